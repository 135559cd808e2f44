"""Where a command may write: a new or empty folder, one of its own, or any folder with --force.

The rule protects a user's files: ``train --out DIR`` where DIR holds someone's config.json, or an export
pointed at a run folder, must not replace them. A folder is "one of the command's own" when it holds what
that command leaves (a run's checkpoints/, a study's study.json, ...). ``--force`` lets a command write into
any folder, except that nothing ever writes a model folder into a run folder or its checkpoints.

``staged_folder`` builds a folder of several files next to its destination and moves it into place only
when every file is written, so a failure (or Ctrl-C, or SIGTERM) leaves no half-made folder that would
later load as a whole one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from fashiongan.errors import UserError
from fashiongan.io import write_error
from fashiongan.text import printable

# What a GAN run, a classifier run or a study leaves in its folder: a folder holding one of these is a run.
RUN_MARKS = ("checkpoints", "metrics.jsonl", "metrics.json", "history.jsonl", "eval.json", "samples", "study.json",
             "cells")
RUN_OWN_FOLDERS = ("checkpoints", "samples", "eval", "cells", "work")  # never written into by another command


def visible_entries(folder: Path) -> list[str]:
    """The names in ``folder`` that do not start with a dot (hidden temporary files are ours or the system's)."""
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


def has_any(folder: Path, names: tuple[str, ...]) -> bool:
    return any((folder / name).exists() or (folder / name).is_symlink() for name in names)


def is_run_folder(folder: str | Path) -> bool:
    """True when ``folder`` holds a run (GAN or classifier) or a study: its checkpoints, metrics or cells."""
    folder = Path(folder)
    return folder.is_dir() and has_any(folder, RUN_MARKS)


def inside_run(path: str | Path) -> Path | None:
    """The run folder whose own files ``path`` would replace or join (the run itself, or its checkpoints/,
    samples/, ... at any depth), else None."""
    path = Path(os.path.abspath(path))
    if is_run_folder(path):
        return path
    for below, parent in zip([path, *path.parents], path.parents, strict=False):
        if is_run_folder(parent) and below.name in RUN_OWN_FOLDERS:
            return parent
    return None


def check_stays_inside(path: str | Path, folder: str | Path) -> None:
    """Refuse to write ``path`` (a default output inside a run folder) when a link takes it out of the folder.

    A downloaded run folder could hold an ``eval`` link to a folder outside it, to make ``evaluate RUN`` write a
    report there.
    """
    real_folder = Path(os.path.realpath(folder))
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(real_folder):
        raise UserError(f"{path} leads to {real}, outside the run folder {folder}; a run folder does not choose "
                        "where fashiongan writes: remove the link, or give the output path yourself")


def describe(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(printable(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_output_folder(folder: str | Path, force: bool, owns: Callable[[Path], bool], *, flag: str = "--out",
                        what: str = "this command's") -> None:
    """Refuse, before any work, to write into ``folder`` unless it is new, empty, ``owns(folder)``, or forced.

    ``owns`` says whether the folder is one the command made (its run, its study). A file where the folder
    should be is refused even with ``force``.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if not folder.is_dir():
        raise UserError(f"{flag} {folder} is a file, not a folder")
    names = visible_entries(folder)
    if not names or force or owns(folder):
        return
    raise UserError(f"{flag} {folder} already holds files that are not {what} ({describe(names)}); choose a new "
                    "or empty folder, or pass --force to write into it")


@contextmanager
def staged_folder(out: str | Path, last: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``out``; when the block succeeds, its files move into ``out``.

    A new or empty ``out`` is replaced by the staged folder in one rename. Otherwise (``--force`` into a folder
    with other files) the files move in one by one, ``last`` ones at the end (the file that marks the folder
    as complete, e.g. a model folder's config.json). If the block fails or is interrupted, the staged folder
    is removed and ``out`` is as it was.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result gets the usual permissions
    except OSError as exc:
        raise write_error(out, exc) from None
    try:
        yield staging
        _move_in(staging, out, last)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _move_in(staging: Path, out: Path, last: tuple[str, ...]) -> None:
    try:
        if not out.exists() or (out.is_dir() and not os.listdir(out)):
            with suppress(FileNotFoundError):
                out.rmdir()
            os.replace(staging, out)
            return
        for name in sorted(os.listdir(staging), key=lambda name: (name in last, name)):
            os.replace(staging / name, out / name)
    except OSError as exc:
        raise write_error(out, exc) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
