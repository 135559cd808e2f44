"""The one run-folder preparer: every trainer (the GAN, the classifiers) creates and reopens its folder here.

A folder with a checkpoint is never trained over without ``resume``; ``resume`` on a folder without one
either starts the run from scratch with a note (the GAN: a run that died before its first checkpoint) or
is an error (``restart=False``: the classifier).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fashiongan.errors import UserError
from fashiongan.io import check_writable_folder

log = logging.getLogger(__name__)
CHECKPOINT_STATES = ("last/state.json", ".last.old/state.json")  # a whole checkpoint, or the one a crash kept


def has_checkpoint(run_dir: Path) -> bool:
    return any((run_dir / "checkpoints" / state).is_file() for state in CHECKPOINT_STATES)


def prepare_run_dir(run_dir: Path, resume: bool, *, kind: str = "run", restart: bool = True,
                    finished_file: str | None = None, subfolders: tuple[str, ...] = ()) -> bool:
    """Create ``run_dir`` (and ``subfolders``); returns True when there is a checkpoint to resume from.

    ``kind`` names the run in errors; ``finished_file`` (e.g. metrics.json) marks a finished run too. With
    ``restart``, a folder whose run died before its first checkpoint (metrics but no weights) starts again,
    with --resume or without, its metrics.jsonl moved aside; without, --resume there is an error.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; name a folder for the run")
    check_writable_folder(run_dir, "--out")
    resumable = has_checkpoint(run_dir)
    finished = finished_file is not None and (run_dir / finished_file).exists()
    if not resume and (resumable or finished):
        raise UserError(f"{run_dir} already holds a {kind}: pass --resume to continue it, or choose another --out")
    if resume and not resumable and not restart:
        raise UserError(f"--resume needs a {kind} with a checkpoint; {run_dir} has none")
    if not resumable and ((run_dir / "metrics.jsonl").exists() or (run_dir / "checkpoints").exists()):
        log.warning("%s holds a run that never saved a checkpoint; starting it again from scratch", run_dir)
        stale = run_dir / "metrics.jsonl"
        if stale.exists():
            stale.replace(run_dir / "metrics.jsonl.stale")  # moved aside, never deleted
    elif resume and not resumable:
        log.warning("--resume: %s has no checkpoint yet; starting the run from scratch", run_dir)
    try:
        for folder in (run_dir, *(run_dir / name for name in subfolders)):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the run folder {run_dir}: {exc.strerror or exc}") from None
    return resumable
