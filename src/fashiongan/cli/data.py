"""`fashiongan data check DIR [--quarantine QDIR]`: find the bad files in an image folder.

Exit codes: 0 when every file is a good image, 1 when bad files were found (even once they have been
moved to QDIR) or links were left out (links leaving DIR, dangling links, loops, links that would count
images twice: listed, never followed or moved), 2 for a problem with the command itself (e.g. DIR does
not exist).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from fashiongan.cli.common import int_at_least
from fashiongan.data.checks import CheckReport, check_folder, check_quarantine_dir, quarantine
from fashiongan.text import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect datasets", description="Inspect datasets.")
    commands = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="find bad image files in ROOT/<class>/<images>",
        description="Open and fully decode every file in an image folder; count good images per class "
        "and list bad files with the reason. Exit 0 if all are good, 1 if any is bad or a link was left out.",
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


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, escaped so that a name with a newline stays on its line."""
    return printable(path.relative_to(root).as_posix())


def format_report(report: CheckReport) -> list[str]:
    """The per-class table, each bad file with its reason, the links left out, and a summary line."""
    counts = {printable(name): count for name, count in report.counts.items()}
    width = max([len("class"), *map(len, counts)])
    digits = max(len("images"), len(str(report.num_good)))
    lines = [f"{'class':<{width}}  {'images':>{digits}}"]
    lines += [f"{name:<{width}}  {count:>{digits}}" for name, count in counts.items()]
    lines.append(f"{'total':<{width}}  {report.num_good:>{digits}}")
    if report.bad:
        lines += ["", f"bad files ({len(report.bad)}):"]
        lines += [f"  {_relative(bad.path, report.root)}: {printable(bad.reason)}" for bad in report.bad]
    if report.skipped:
        lines += ["", f"links left out ({len(report.skipped)}; never read, never moved):"]
        lines += [f"  {_relative(item.path, report.root)}: {printable(item.reason)}" for item in report.skipped]
    summary = f"{report.num_good} good images in {len(report.counts)} classes, {len(report.bad)} bad files"
    if report.skipped:
        summary += f", {len(report.skipped)} links left out"
    lines += ["", summary]
    return lines


def run(args: argparse.Namespace) -> int:
    if args.quarantine is not None:  # before the scan, whatever it finds
        check_quarantine_dir(args.folder, args.quarantine)
    report = check_folder(args.folder, max_pixels=args.max_pixels)
    print("\n".join(format_report(report)))
    if report.ok and not report.skipped:
        return 0
    if report.skipped:
        print("links are left where they are: point them inside DIR or copy the files in, if they should count")
    if report.ok:
        return 1
    if args.quarantine is not None:
        moves = quarantine(report, args.folder, args.quarantine)
        print(f"\nmoved {len(moves)} bad files to {printable(args.quarantine)}:")
        for source, destination in moves:
            print(f"  {printable(source)} -> {printable(destination)}")
    else:
        print(f"run again with --quarantine QDIR to move them out of {printable(args.folder)}")
    return 1
