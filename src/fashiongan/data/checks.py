"""Find the bad files in an image folder and move them out of the way (never delete them).

A file is judged by ``folders.read_image``, the same function the loader decodes with, so a folder
that passes the check loads without skipping anything.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from fashiongan.data.folders import BadImageError, read_image
from fashiongan.data.scan import Skipped, scan
from fashiongan.errors import UserError
from fashiongan.io import check_writable_folder, write_failure_reason
from fashiongan.text import printable

log = logging.getLogger(__name__)


@dataclass
class BadFile:
    path: Path
    reason: str


@dataclass
class CheckReport:
    """What ``check_folder`` found: good images per class and every bad file with its reason."""

    root: Path
    counts: dict[str, int] = field(default_factory=dict)  # class name -> good images, sorted by name
    bad: list[BadFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # links not followed: outside ROOT, dangling, loops

    @property
    def num_good(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return not self.bad


def check_folder(root: str | Path, max_pixels: int | None = Image.MAX_IMAGE_PIXELS) -> CheckReport:
    """Open and fully decode every file of ``ROOT/<class>/...``; count the good ones, list the bad ones.

    ``max_pixels`` is the decompression-bomb limit (Pillow's by default; None disables it).
    """
    root = Path(root)
    scanned = scan(root)
    report = CheckReport(root=root, skipped=scanned.skipped)
    for path, class_name in scanned.files:
        report.counts.setdefault(class_name, 0)
        try:
            read_image(path, max_pixels=max_pixels)
        except BadImageError as exc:
            report.bad.append(BadFile(path, str(exc)))
        else:
            report.counts[class_name] += 1
    report.bad.extend(BadFile(path, "not inside a class folder") for path in scanned.loose)
    return report


def _free_destination(path: Path) -> Path:
    """``path``, or ``name.1.ext``, ``name.2.ext``, ... : the first that does not exist yet."""
    candidate, n = path, 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
    return candidate


def check_quarantine_dir(root: Path, qdir: Path) -> None:
    """Refuse a quarantine folder that is ROOT itself or inside it (unless hidden): it would be scanned as a class."""
    try:
        inside = qdir.resolve().relative_to(root.resolve())
    except ValueError:
        return
    if not inside.parts:
        raise UserError(f"--quarantine {qdir} is the image folder itself; choose a folder outside it")
    if not any(part.startswith(".") for part in inside.parts):  # hidden folders are never scanned
        raise UserError(
            f"--quarantine {qdir} is inside {root}, where it would be read as a class; "
            "choose a folder outside it (or a hidden one such as ROOT/.quarantine)"
        )


def _owned(path: Path, root: Path) -> bool:
    """True if moving ``path`` moves an entry inside ``root``: its folder's real path lies inside root.

    A link is moved as a link (its target stays where it is); any other file must itself be inside root.
    """
    real = Path(os.path.realpath(path.parent if path.is_symlink() else path))
    return real.is_relative_to(Path(os.path.realpath(root)))


def quarantine(report: CheckReport, root: str | Path, qdir: str | Path) -> list[tuple[Path, Path]]:
    """Move every bad file of ``report`` to ``qdir``, mirroring its path relative to ``root``.

    Nothing is deleted and nothing in ``qdir`` is overwritten (a clash gets a ``.1``, ``.2`` ... suffix).
    Returns the (source, destination) pairs actually moved.
    """
    root, qdir = Path(root), Path(qdir)
    check_quarantine_dir(root, qdir)
    check_writable_folder(qdir, "--quarantine")
    moves: list[tuple[Path, Path]] = []
    for bad in report.bad:
        if not bad.path.is_file():
            log.warning("not moving %s: it is no longer there", bad.path)
            continue
        if not _owned(bad.path, root):
            log.warning("not moving %s: its real path is outside %s", bad.path, root)
            continue
        destination = _free_destination(qdir / bad.path.relative_to(root))
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(bad.path), str(destination))
        except OSError as exc:
            if (bad.path.exists() or bad.path.is_symlink()) and destination.is_file():
                with suppress(OSError):  # a partial copy from a move across file systems; the source is intact
                    destination.unlink()
            raise UserError(
                f"cannot move {printable(bad.path)} to {printable(destination)}: {write_failure_reason(exc)}; "
                f"moved {len(moves)} of {len(report.bad)} bad files before that"
            ) from None
        moves.append((bad.path, destination))
    return moves
