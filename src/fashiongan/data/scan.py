"""Scan ROOT/<class>/... for image files without ever leaving ROOT.

Links are where a scan can go wrong: a folder link to a home folder would hand its documents to
``data check --quarantine`` (which moves bad files), a link to ``/`` would walk the whole file
system, and a class folder linked to another class would count its images twice. So folder links
are never followed, file links are followed only when their target lies inside ROOT (and is not
already counted), and every link left out is listed with its reason.
"""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from fashiongan.errors import UserError
from fashiongan.text import printable


@dataclass
class Skipped:
    """A path the scan did not follow or read, and why (a link leaving ROOT, a dangling link, ...)."""

    path: Path
    reason: str


@dataclass
class FolderScan:
    """Every file of ``ROOT/<class>/...`` (path, class), loose files in ROOT, and what was left out."""

    root: Path
    files: list[tuple[Path, str]] = field(default_factory=list)  # sorted by class, then path
    loose: list[Path] = field(default_factory=list)  # files directly in ROOT beside class folders
    skipped: list[Skipped] = field(default_factory=list)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _relative(real: Path, root_real: Path) -> str:
    relative = real.relative_to(root_real).as_posix()
    return "ROOT itself" if relative == "." else relative


def _link_problem(link: Path, root_real: Path, top_level: bool) -> str | None:
    """Why the link ``link`` is not followed, or None for a link to a file inside ROOT."""
    try:
        target = os.readlink(link)
        os.stat(link)  # follows the link: raises for a dangling link or a loop
    except FileNotFoundError:
        return f"dangling link (to {target}): skipped"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "link loop: skipped"
        return f"unreadable link ({exc.strerror}): skipped"
    real = Path(os.path.realpath(link))
    if not real.is_relative_to(root_real):
        return f"link to {real}, outside the folder: not followed"
    if real.is_dir():
        inside = _relative(real, root_real)
        if top_level:
            return f"class folder linked to {inside}: not followed, so its images are not counted twice"
        return f"folder link to {inside}: not followed (images are counted where they are)"
    if not real.is_file():
        return "link to something that is not a file: skipped"
    return None


def _entries(folder: Path, skipped: list[Skipped]) -> list[Path]:
    """The visible entries of ``folder``, sorted; an unreadable folder is recorded and gives none."""
    try:
        return [path for path in sorted(folder.iterdir()) if _visible(path)]
    except OSError as exc:
        skipped.append(Skipped(folder, f"unreadable folder ({exc.strerror or exc}): skipped"))
        return []


def _walk(
    folder: Path, class_name: str, root_real: Path, found: list[tuple[Path, str]], skipped: list[Skipped]
) -> None:
    """Add every file below ``folder`` to ``found``; links are checked, never followed out of ROOT.

    Depth-first in sorted order with a stack of folders, not recursion: a tree thousands of folders deep
    is walked like any other (recursion would end in a RecursionError near 1,000 levels).
    """
    stack = [iter(_entries(folder, skipped))]
    while stack:
        path = next(stack[-1], None)
        if path is None:
            stack.pop()
            continue
        try:
            if path.is_symlink():
                problem = _link_problem(path, root_real, top_level=False)
                if problem:
                    skipped.append(Skipped(path, problem))
                else:
                    found.append((path, class_name))
            elif path.is_dir():
                stack.append(iter(_entries(path, skipped)))
            elif path.is_file():
                found.append((path, class_name))
        except OSError as exc:  # e.g. a path longer than the system allows
            skipped.append(Skipped(path, f"unreadable ({exc.strerror or exc}): skipped"))


def files_below(folder: Path) -> list[Path]:
    """Every visible file below ``folder`` (file links included, folder links not followed), sorted.

    For reading a user's pictures (``classify predict DIR``): no classes, no ROOT rules, any depth.
    """
    found, folders = [], [folder]
    while folders:
        for path in _entries(folders.pop(), []):
            with suppress(OSError):  # e.g. a path longer than the system allows: left out
                if path.is_dir() and not path.is_symlink():
                    folders.append(path)
                elif path.is_file():
                    found.append(path)
    return sorted(found)


def _drop_duplicates(
    found: list[tuple[Path, str]], root_real: Path, skipped: list[Skipped]
) -> list[tuple[Path, str]]:
    """Keep each real file once: a file link to a file that is also scanned is listed, not counted."""
    owner = {os.path.realpath(path): path for path, _ in found if not path.is_symlink()}
    kept = []
    for path, class_name in found:
        real = os.path.realpath(path)
        if path.is_symlink():
            if real in owner:
                skipped.append(Skipped(path, f"link to {_relative(Path(real), root_real)}, "
                                             "which is counted already: skipped"))
                continue
            owner[real] = path
        kept.append((path, class_name))
    return kept


def scan(root: str | Path) -> FolderScan:
    """Scan ``ROOT/<class>/...`` (see ``scan_folder``), keeping the loose files and the skipped links."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"image folder not found: {root} (expected ROOT/<class>/<images>)")
    root_real = Path(os.path.realpath(root))
    result = FolderScan(root=root)
    entries = _entries(root, result.skipped)
    if result.skipped:
        raise UserError(f"cannot read the image folder {root}: {result.skipped[0].reason}")
    top_files, class_dirs = [], []
    for path in entries:
        if path.is_symlink():
            problem = _link_problem(path, root_real, top_level=True)
            if problem:
                result.skipped.append(Skipped(path, problem))
            else:
                top_files.append(path)
        elif path.is_dir():
            class_dirs.append(path)
        elif path.is_file():
            top_files.append(path)
    found: list[tuple[Path, str]] = []
    if class_dirs:
        for class_dir in class_dirs:
            _walk(class_dir, class_dir.name, root_real, found, result.skipped)
        result.loose = top_files
    else:  # a flat folder: one class named after ROOT
        found = [(path, root_real.name) for path in top_files]
    result.files = _drop_duplicates(found, root_real, result.skipped)
    result.skipped.sort(key=lambda item: item.path)
    return result


def scan_folder(root: str | Path) -> list[tuple[Path, str]]:
    """All files of ``ROOT/<class>/...`` as (path, class name), sorted by class then path.

    Files in deeper folders belong to their top-level class. A flat folder (files directly in ROOT and
    no class subfolders) is one class named after ROOT. Hidden files and folders are ignored; files are
    not opened here, so bad ones are included (``read_image`` sorts them out). Folder links are not
    followed and file links only inside ROOT (``scan`` lists what was left out).
    """
    return scan(root).files


def loose_files(root: str | Path) -> list[Path]:
    """Files directly in ROOT when ROOT also has class subfolders: they belong to no class."""
    return scan(root).loose


def describe_skipped(skipped: list[Skipped], root: Path, limit: int = 3) -> str:
    """'a (reason); b (reason); and 4 more': a short summary of skipped links for one warning line."""
    parts = [f"{printable(_display(item.path, root))} ({item.reason})" for item in skipped[:limit]]
    if len(skipped) > limit:
        parts.append(f"and {len(skipped) - limit} more")
    return "; ".join(parts)


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
