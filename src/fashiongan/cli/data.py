"""`fashiongan data check DIR [--quarantine QDIR]`: find the bad files in an image folder.

Exit codes: 0 when every file is a good image, 1 when bad files were found (even once they have been
moved to QDIR), 2 for a problem with the command itself (e.g. DIR does not exist).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from fashiongan.cli.common import int_at_least
from fashiongan.data.checks import CheckReport, check_folder, quarantine


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect datasets", description="Inspect datasets.")
    commands = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="find bad image files in ROOT/<class>/<images>",
        description="Open and fully decode every file in an image folder; count good images per class "
        "and list bad files with the reason. Exit 0 if all are good, 1 if any is bad.",
    )
    check.add_argument("folder", metavar="DIR", type=Path, help="the image folder, DIR/<class>/<images>")
    check.add_argument(
        "--quarantine",
        metavar="QDIR",
        type=Path,
        help="move bad files here, keeping their paths relative to DIR (never deleted, never overwritten)",
    )
    check.add_argument(
        "--max-pixels",
        metavar="N",
        type=int_at_least(1),
        default=Image.MAX_IMAGE_PIXELS,
        help="larger images count as decompression bombs (default: Pillow's limit, %(default)s)",
    )
    check.set_defaults(func=run)


def format_report(report: CheckReport) -> list[str]:
    """The per-class table, each bad file with its reason, and a summary line."""
    width = max([len("class"), *map(len, report.counts)])
    digits = max(len("images"), len(str(report.num_good)))
    lines = [f"{'class':<{width}}  {'images':>{digits}}"]
    lines += [f"{name:<{width}}  {count:>{digits}}" for name, count in report.counts.items()]
    lines.append(f"{'total':<{width}}  {report.num_good:>{digits}}")
    if report.bad:
        lines += ["", f"bad files ({len(report.bad)}):"]
        lines += [f"  {bad.path.relative_to(report.root)}: {bad.reason}" for bad in report.bad]
    summary = f"{report.num_good} good images in {len(report.counts)} classes, {len(report.bad)} bad files"
    lines += ["", summary]
    return lines


def run(args: argparse.Namespace) -> int:
    report = check_folder(args.folder, max_pixels=args.max_pixels)
    print("\n".join(format_report(report)))
    if report.ok:
        return 0
    if args.quarantine is not None:
        moves = quarantine(report, args.folder, args.quarantine)
        print(f"\nmoved {len(moves)} bad files to {args.quarantine}:")
        for source, destination in moves:
            print(f"  {source} -> {destination}")
    else:
        print(f"run again with --quarantine QDIR to move them out of {args.folder}")
    return 1
