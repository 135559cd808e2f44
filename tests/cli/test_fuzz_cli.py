"""Hostile invocations of every command: each must exit non-zero without a traceback and change no user file.

Every case runs ``fashiongan.cli.main`` in this process on a fresh copy of a small "user world" (a
trained run and broken copies of it, .npz files, image folders, links, an evaluator, a read-only
folder), hashing the world before and after. Only the paths a case names as its outputs may change.
A few cases also run through a subprocess, as a user runs them.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors import SafetensorError

from fashiongan import io
from fashiongan.cli import main
from tests.cli import hostile_files

BIG = str(2**64)
DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


# --- the world: files a user has, built once and copied for every case ----------------------------------


def _write_npz(path: Path, **arrays) -> None:
    np.savez(path, **arrays)


def _npz_files(folder: Path) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    _write_npz(folder / "good.npz", images=images, labels=np.arange(20) % 10)
    (folder / "corrupt.npz").write_bytes(rng.bytes(300))
    (folder / "cut.npz").write_bytes((folder / "good.npz").read_bytes()[:400])
    _write_npz(folder / "float.npz", images=images.astype(np.float32))
    _write_npz(folder / "noimages.npz", pictures=images)
    np.savez(folder / "object.npz", images=np.array([{"a": 1}] * 12, dtype=object), allow_pickle=True)
    _write_npz(folder / "few.npz", images=images[:3])
    _write_npz(folder / "badlabels.npz", images=images, labels=np.full(20, 99))
    _write_npz(folder / "shortlabels.npz", images=images, labels=np.arange(5))
    _write_npz(folder / "big.npz", images=rng.integers(0, 256, (12, 32, 32), dtype=np.uint8))
    _write_npz(folder / "5d.npz", images=rng.integers(0, 256, (2, 2, 2, 2, 2), dtype=np.uint8))
    (folder / "zero.npz").write_bytes(b"")


def _broken_runs(world: Path) -> None:
    """Copies of the good run, each broken in one way a crash or a hand edit could break it."""
    edits = {
        "run_cfg_garbage": ("config.json", b"{not json"),
        "run_cfg_list": ("config.json", b"[1, 2, 3]"),
        "run_cfg_empty": ("config.json", b"{}"),
        "run_cfg_binary": ("config.json", b"\xff\xfe\x00garbage"),
        "run_state_garbage": ("checkpoints/last/state.json", b"nonsense"),
        "run_weights_garbage": ("checkpoints/last/generator.safetensors", b"\x00" * 64),
        "run_weights_text": ("checkpoints/last/generator.safetensors", b"hello, I am not weights"),
    }
    for name, (relative, data) in edits.items():
        shutil.copytree(world / "run", world / name)
        (world / name / relative).write_bytes(data)
    weights = world / "run" / "checkpoints" / "last" / "generator.safetensors"
    shutil.copytree(world / "run", world / "run_weights_cut")
    (world / "run_weights_cut" / "checkpoints/last/generator.safetensors").write_bytes(weights.read_bytes()[:200])
    shutil.copytree(world / "run", world / "run_no_ckpt")
    shutil.rmtree(world / "run_no_ckpt" / "checkpoints")
    config = json.loads((world / "run" / "config.json").read_text())
    config["data"]["image_size"] = "big"
    shutil.copytree(world / "run", world / "run_cfg_badsize")
    (world / "run_cfg_badsize" / "config.json").write_text(json.dumps(config))


def _image_folders(world: Path) -> None:
    rng = np.random.default_rng(1)
    for name in ("bags", "shoes"):
        (world / "images" / name).mkdir(parents=True)
        for i in range(3):
            pixels = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(world / "images" / name / f"{i}.png")
    (world / "messy" / "tops").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(world / "messy" / "tops" / "ok.png")
    (world / "messy" / "tops" / "empty.png").write_bytes(b"")
    (world / "messy" / "tops" / "notes.txt").write_text("not an image")
    (world / "allbad" / "x").mkdir(parents=True)
    (world / "allbad" / "x" / "a.png").write_bytes(b"garbage")
    (world / "home").mkdir()
    (world / "home" / "taxes.txt").write_text("private")
    (world / "home" / "empty.png").write_bytes(b"")
    linked = world / "linked"
    shutil.copytree(world / "images", linked)
    (linked / "bags" / "home").symlink_to(Path("..") / ".." / "home")  # relative: survives the copy
    (linked / "everything").symlink_to("/")
    (linked / "shoes" / "gone.png").symlink_to("nowhere.png")
    (linked / "shoes" / "loop").symlink_to("loop")
    (world / "onlylinks").mkdir()
    (world / "onlylinks" / "home").symlink_to(Path("..") / "home")
    (world / "empty").mkdir()


def _evaluators(world: Path, evaluator: Path) -> None:
    for suffix in (".safetensors", ".json"):
        shutil.copy(evaluator.with_suffix(suffix), world / f"evaluator{suffix}")
    (world / "ev_garbage.safetensors").write_bytes(b"garbage")
    shutil.copy(evaluator, world / "ev_badsha.safetensors")
    info = json.loads(evaluator.with_suffix(".json").read_text())
    info["sha256"] = "0" * 64
    (world / "ev_badsha.json").write_text(json.dumps(info))
    shutil.copy(evaluator, world / "ev_nojson.safetensors")


@pytest.fixture(scope="module")
def template(tiny_run, tmp_path_factory) -> Path:
    world = tmp_path_factory.mktemp("fuzz-template") / "world"
    world.mkdir()
    shutil.copytree(tiny_run.run_dir, world / "run")
    shutil.copytree(tiny_run.data_dir, world / "fmnist")
    shutil.copytree(tiny_run.data_dir, world / "fmnist_bad")
    for path in (world / "fmnist_bad").iterdir():
        path.write_bytes(b"\x1f\x8b garbage")
    _broken_runs(world)
    _npz_files(world / "npz")
    _image_folders(world)
    _evaluators(world, tiny_run.evaluator)
    (world / "notes.txt").write_text("my notes")
    Image.new("L", (4, 4)).save(world / "mine.png")
    (world / "mine.npz").write_bytes((world / "npz" / "good.npz").read_bytes())
    (world / "dir.png").mkdir()
    (world / "dir.json").mkdir()
    hostile_files.model_folders(world)
    hostile_files.classifier_runs(world, world / "fmnist")
    hostile_files.evaluator_descriptions(world)
    hostile_files.odd_images(world)
    hostile_files.npy_headers(world / "npz")
    hostile_files.study_folders(world)
    return world


def fingerprint(world: Path) -> dict[str, str]:
    """Inode, size and modification time of every file, and the target of every link, below ``world``.

    Any write changes one of the three (an atomic replace makes a new inode, even with the same bytes), and
    reading them is much cheaper than hashing every file twice per case. Walked without recursion
    (``os.walk`` recurses per level before Python 3.12, and the world may hold a folder 1,100 levels deep).
    """
    prints = {}
    for folder, dirs, files in hostile_files.walk(world):
        for name in dirs + files:
            path = Path(folder) / name
            relative = path.relative_to(world).as_posix()
            if path.is_symlink():
                prints[relative] = "link:" + os.readlink(path)
            elif path.is_file():
                stat = path.stat()
                prints[relative] = f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"
    return prints


# --- the cases ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    args: list[str]  # {w}: the world copy, {out}: a fresh folder outside it
    allowed: list[str] = field(default_factory=list)  # world paths the command may change (named outputs)
    setup: str | None = None  # a name in SETUPS
    xfail: str | None = None
    exit: int | None = None  # the exit code expected; None: any failure (not 0)
    says: str | None = None  # words its last line of stderr (or, exiting 0, of stdout) must hold


def C(*args: str, allowed: tuple[str, ...] = (), setup: str | None = None, xfail: str | None = None,
      exit: int | None = None, says: str | None = None) -> Case:
    return Case(list(args), list(allowed), setup, xfail, exit, says)


TINY = ("--data-dir", "{w}/fmnist", "--epochs", "1", "--batch-size", "32", "--z-dim", "8", "--no-progress",
        "--preset", "fmnist")
EV = ("--evaluator", "{w}/evaluator.safetensors", "--device", "cpu")

TRAIN = {
    "epochs-zero": C("train", "--epochs", "0"),
    "epochs-negative": C("train", "--epochs", "-1"),
    "epochs-text": C("train", "--epochs", "many"),
    "epochs-huge-digits": C("train", "--epochs", "9" * 5000),
    "batch-zero": C("train", "--batch-size", "0"),
    "lr-zero": C("train", "--lr", "0"),
    "lr-big": C("train", "--lr", "5"),
    "lr-nan": C("train", "--lr", "nan"),
    "lr-inf": C("train", "--lr", "inf"),
    "seed-negative": C("train", "--seed", "-1"),
    "seed-2-63": C("train", "--seed", str(2**63)),
    "seed-huge": C("train", "--seed", BIG),
    "image-size": C("train", "--image-size", "7"),
    "channels": C("train", "--channels", "2"),
    "square": C("train", "--square", "circle"),
    "preset": C("train", "--preset", "nope"),
    "discriminator": C("train", "--discriminator", "transformer"),
    "z-dim-zero": C("train", "--z-dim", "0"),
    "eval-n-small": C("train", "--eval-n", "5"),
    "eval-every-negative": C("train", "--eval-every", "-1"),
    "limit-zero": C("train", "--limit", "0"),
    "z-dim-huge": C("train", *TINY[:6], "--z-dim", str(10**12), "--no-progress", "--out", "{out}/r"),
    "batch-huge": C("train", *TINY[:4], "--batch-size", str(10**12), "--z-dim", "8", "--no-progress",
                    "--out", "{out}/r", "--eval-every", "1", "--evaluator", "{w}/ev_garbage.safetensors"),
    "eval-n-huge": C("train", *TINY, "--eval-n", str(10**12), "--eval-every", "1", "--out", "{out}/r"),
    "unknown-flag": C("train", "--warp-speed"),
    "resume-without-out": C("train", "--resume"),
    "resume-a-file": C("train", "--resume", "--out", "{w}/notes.txt"),
    "resume-changes-lr": C("train", "--resume", "--out", "{w}/run", "--lr", "0.1"),
    "resume-changes-preset": C("train", "--resume", "--out", "{w}/run", "--preset", "fmnist-mlp"),
    "resume-garbage-config": C("train", "--resume", "--out", "{w}/run_cfg_garbage", "--no-progress"),
    "resume-list-config": C("train", "--resume", "--out", "{w}/run_cfg_list", "--no-progress"),
    "data-missing": C("train", "--data", "{w}/nope", "--out", "{out}/r"),
    "data-empty": C("train", "--data", "{w}/empty", "--out", "{out}/r", "--no-progress"),
    "data-a-file": C("train", "--data", "{w}/notes.txt", "--out", "{out}/r"),
    "data-all-bad": C("train", "--data", "{w}/allbad", "--out", "{out}/r", "--no-progress"),
    "data-only-links-out": C("train", "--data", "{w}/onlylinks", "--out", "{out}/r", "--no-progress"),
    "data-dir-missing": C("train", "--data-dir", "{w}/nope", "--out", "{out}/r", "--no-progress"),
    "data-dir-garbage": C("train", "--data-dir", "{w}/fmnist_bad", "--out", "{out}/r", "--no-progress"),
    "out-is-a-file": C("train", *TINY, "--out", "{w}/notes.txt"),
    "out-under-a-file": C("train", *TINY, "--out", "{w}/notes.txt/run"),
    "out-read-only": C("train", *TINY, "--out", "{w}/ro/run", setup="read_only"),
    "out-holds-a-run": C("train", *TINY, "--out", "{w}/run"),
    "disk-full-safetensors": C("train", *TINY, "--out", "{out}/r", setup="disk_full_safetensors"),
    "disk-full-torch-save": C("train", *TINY, "--out", "{out}/r", setup="disk_full_torch_save"),
    "disk-full-json": C("train", *TINY, "--out", "{out}/r", setup="disk_full_bytes"),
}

G = ("generate", "{w}/run")
GENERATE = {
    "run-missing": C("generate", "{w}/nope", "--out", "{out}/g.png"),
    "run-is-a-file": C("generate", "{w}/notes.txt", "--out", "{out}/g.png"),
    "no-out": C(*G),
    "empty-out": C(*G, "--out", ""),
    "out-jpg": C(*G, "--out", "{out}/g.jpg"),
    "n-zero": C(*G, "--n", "0", "--out", "{out}/g.png"),
    "n-negative": C(*G, "--n", "-5", "--out", "{out}/g.png"),
    "n-text": C(*G, "--n", "lots", "--out", "{out}/g.png"),
    "n-huge-grid": C(*G, "--n", str(10**12), "--out", "{out}/g.png"),
    "n-beyond-int64": C(*G, "--n", BIG, "--out", "{out}/g.npz"),
    "seed-2-63": C(*G, "--seed", str(2**63), "--out", "{out}/g.png"),
    "seed-plus-n-overflows": C(*G, "--seed", str(2**63 - 3), "--n", "10", "--out", "{out}/g.png"),
    "seeds-backwards": C(*G, "--seeds", "5-1", "--out", "{out}/g.png"),
    "seeds-letters": C(*G, "--seeds", "a-b", "--out", "{out}/g.png"),
    "seeds-negative": C(*G, "--seeds", "-3", "--out", "{out}/g.png"),
    "seeds-empty": C(*G, "--seeds", "", "--out", "{out}/g.png"),
    "seeds-double-comma": C(*G, "--seeds", "1,,2", "--out", "{out}/g.png"),
    "seeds-too-many": C(*G, "--seeds", "0-100000000000", "--out", "{out}/g.npz"),
    "seeds-huge": C(*G, "--seeds", f"{2**63}-{2**63 + 2}", "--out", "{out}/g.png"),
    "seeds-and-n": C(*G, "--seeds", "1-3", "--n", "3", "--out", "{out}/g.png"),
    "class-unknown": C(*G, "--class", "Hat", "--out", "{out}/g.png"),
    "class-index-high": C(*G, "--class", "99", "--out", "{out}/g.png"),
    "class-index-negative": C(*G, "--class", "-1", "--out", "{out}/g.png"),
    "checkpoint-best-missing": C(*G, "--checkpoint", "best", "--out", "{out}/g.png"),
    "checkpoint-bogus": C(*G, "--checkpoint", "first", "--out", "{out}/g.png"),
    "device-bogus": C(*G, "--device", "tpu", "--out", "{out}/g.png"),
    "nrow-zero": C(*G, "--nrow", "0", "--out", "{out}/g.png"),
    "interpolate-npz": C(*G, "--interpolate", "--out", "{out}/g.npz"),
    "interpolate-seeds": C(*G, "--interpolate", "--seeds", "1-3", "--out", "{out}/g.png"),
    "interpolate-nrow": C(*G, "--interpolate", "--nrow", "3", "--out", "{out}/g.png"),
    "interpolate-huge": C(*G, "--interpolate", "--n", "100000", "--out", "{out}/g.png"),
    "out-existing-png": C(*G, "--out", "{w}/mine.png"),
    "out-existing-npz": C(*G, "--out", "{w}/mine.npz"),
    "out-folder-named-png": C(*G, "--out", "{w}/dir.png"),
    "out-a-file-as-folder": C(*G, "--n", "3", "--out", "{w}/notes.txt"),
    "out-under-a-file": C(*G, "--out", "{w}/notes.txt/g.png"),
    "out-read-only-png": C(*G, "--out", "{w}/ro/g.png", setup="read_only"),
    "out-read-only-npz": C(*G, "--out", "{w}/ro/g.npz", setup="read_only"),
    "out-read-only-folder": C(*G, "--n", "3", "--out", "{w}/ro/pngs", setup="read_only"),
    "disk-full-npz": C(*G, "--n", "30", "--out", "{out}/g.npz", setup="disk_full_zip"),
    "disk-full-png": C(*G, "--out", "{out}/g.png", setup="disk_full_pil"),
    "disk-full-folder": C(*G, "--n", "5", "--out", "{out}/pngs", setup="disk_full_pil_later"),
    "config-garbage": C("generate", "{w}/run_cfg_garbage", "--out", "{out}/g.png"),
    "config-list": C("generate", "{w}/run_cfg_list", "--out", "{out}/g.png"),
    "config-empty": C("generate", "{w}/run_cfg_empty", "--out", "{out}/g.png"),
    "config-binary": C("generate", "{w}/run_cfg_binary", "--out", "{out}/g.png"),
    "config-bad-size": C("generate", "{w}/run_cfg_badsize", "--out", "{out}/g.png"),
    "state-garbage": C("generate", "{w}/run_state_garbage", "--out", "{out}/g.png"),
    "weights-garbage": C("generate", "{w}/run_weights_garbage", "--out", "{out}/g.png"),
    "weights-text": C("generate", "{w}/run_weights_text", "--out", "{out}/g.png"),
    "weights-cut": C("generate", "{w}/run_weights_cut", "--out", "{out}/g.png"),
    "no-checkpoints": C("generate", "{w}/run_no_ckpt", "--out", "{out}/g.png"),
}

E = ("evaluate", "{w}/run")
RUN_OUTPUTS = ("run/eval.json", "run/eval")
EVALUATE = {
    "nothing": C("evaluate"),
    "run-and-samples": C(*E, "--samples", "{w}/npz/good.npz"),
    "samples-missing": C("evaluate", "--samples", "{w}/npz/nope.npz", *EV),
    "samples-corrupt": C("evaluate", "--samples", "{w}/npz/corrupt.npz", *EV),
    "samples-cut": C("evaluate", "--samples", "{w}/npz/cut.npz", *EV),
    "samples-empty-file": C("evaluate", "--samples", "{w}/npz/zero.npz", *EV),
    "samples-float": C("evaluate", "--samples", "{w}/npz/float.npz", *EV),
    "samples-no-images": C("evaluate", "--samples", "{w}/npz/noimages.npz", *EV),
    "samples-pickled": C("evaluate", "--samples", "{w}/npz/object.npz", *EV),
    "samples-too-few": C("evaluate", "--samples", "{w}/npz/few.npz", *EV),
    "samples-labels-out-of-range": C("evaluate", "--samples", "{w}/npz/badlabels.npz", "--data-dir", "{w}/fmnist", *EV),
    "samples-labels-short": C("evaluate", "--samples", "{w}/npz/shortlabels.npz", *EV),
    "samples-wrong-size": C("evaluate", "--samples", "{w}/npz/big.npz", "--data-dir", "{w}/fmnist", *EV),
    "samples-5d": C("evaluate", "--samples", "{w}/npz/5d.npz", *EV),
    "samples-a-folder": C("evaluate", "--samples", "{w}/dir.png", *EV),
    "samples-data-missing": C("evaluate", "--samples", "{w}/npz/good.npz", "--data", "{w}/nope", *EV),
    "samples-data-dir-missing": C("evaluate", "--samples", "{w}/npz/good.npz", "--data-dir", "{w}/nope", *EV),
    "samples-with-n": C("evaluate", "--samples", "{w}/npz/good.npz", "--n", "20"),
    "samples-json-exists": C("evaluate", "--samples", "{w}/npz/good.npz", "--json", "{w}/notes.txt", *EV),
    "run-with-data": C(*E, "--data", "{w}/images"),
    "n-too-small": C(*E, "--n", "5"),
    "n-too-large": C(*E, "--n", str(10**9)),
    "seed-huge": C(*E, "--seed", BIG),
    "seed-plus-n-overflows": C(*E, "--seed", str(2**63 - 5), "--n", "20"),
    "evaluator-missing": C(*E, "--n", "20", "--evaluator", "{w}/nope.safetensors", allowed=RUN_OUTPUTS),
    "evaluator-garbage": C(*E, "--n", "20", "--evaluator", "{w}/ev_garbage.safetensors", allowed=RUN_OUTPUTS),
    "evaluator-bad-sha": C(*E, "--n", "20", "--evaluator", "{w}/ev_badsha.safetensors", allowed=RUN_OUTPUTS),
    "evaluator-no-json": C(*E, "--n", "20", "--evaluator", "{w}/ev_nojson.safetensors", allowed=RUN_OUTPUTS),
    "json-exists": C(*E, "--n", "20", *EV, "--json", "{w}/notes.txt"),
    "json-a-folder": C(*E, "--n", "20", *EV, "--json", "{w}/dir.json"),
    "json-under-a-file": C(*E, "--n", "20", *EV, "--json", "{w}/notes.txt/e.json"),
    "report-a-file": C(*E, "--n", "20", *EV, "--report", "{w}/notes.txt"),
    "run-read-only": C("evaluate", "{w}/ro/run", "--n", "20", *EV, setup="read_only_run"),
    "disk-full-json": C(*E, "--n", "20", *EV, allowed=RUN_OUTPUTS, setup="disk_full_bytes"),
    "config-garbage": C("evaluate", "{w}/run_cfg_garbage", "--n", "20", *EV),
    "config-empty": C("evaluate", "{w}/run_cfg_empty", "--n", "20", *EV, allowed=("run_cfg_empty",)),
    "weights-garbage": C("evaluate", "{w}/run_weights_garbage", "--n", "20", *EV),
    "device-bogus": C(*E, "--device", "tpu"),
    "checkpoint-bogus": C(*E, "--checkpoint", "nope"),
}

DATA = {
    "no-subcommand": C("data"),
    "check-no-dir": C("data", "check"),
    "check-missing": C("data", "check", "{w}/nope"),
    "check-a-file": C("data", "check", "{w}/notes.txt"),
    "check-messy": C("data", "check", "{w}/messy"),
    "check-all-bad": C("data", "check", "{w}/allbad"),
    "check-links": C("data", "check", "{w}/linked"),
    "quarantine-links": C("data", "check", "{w}/linked", "--quarantine", "{out}/q", allowed=("linked",)),
    "quarantine-only-links": C("data", "check", "{w}/onlylinks", "--quarantine", "{out}/q", allowed=("onlylinks",)),
    "quarantine-inside": C("data", "check", "{w}/messy", "--quarantine", "{w}/messy/bad"),
    "quarantine-a-file": C("data", "check", "{w}/messy", "--quarantine", "{w}/notes.txt"),
    "quarantine-under-a-file": C("data", "check", "{w}/messy", "--quarantine", "{w}/notes.txt/q"),
    "quarantine-read-only": C("data", "check", "{w}/messy", "--quarantine", "{w}/ro/q", setup="read_only"),
    "quarantine-disk-full": C("data", "check", "{w}/messy", "--quarantine", "{out}/q", allowed=("messy",),
                              setup="disk_full_move"),
    "max-pixels-zero": C("data", "check", "{w}/messy", "--max-pixels", "0"),
    "max-pixels-text": C("data", "check", "{w}/messy", "--max-pixels", "many"),
}

EVALUATOR = {
    "no-subcommand": C("evaluator"),
    "info-missing": C("evaluator", "info", "{w}/nope.safetensors"),
    "info-garbage": C("evaluator", "info", "{w}/ev_garbage.safetensors"),
    "info-a-text-file": C("evaluator", "info", "{w}/notes.txt"),
    "info-bad-sha": C("evaluator", "info", "{w}/ev_badsha.safetensors"),
    "info-no-json": C("evaluator", "info", "{w}/ev_nojson.safetensors"),
    "info-a-folder": C("evaluator", "info", "{w}/dir.png"),
    "train-no-out": C("evaluator", "train"),
    "train-epochs-zero": C("evaluator", "train", "--epochs", "0", "--out", "{out}/e.safetensors"),
    "train-seed-huge": C("evaluator", "train", "--seed", BIG, "--out", "{out}/e.safetensors"),
    "train-image-size": C("evaluator", "train", "--image-size", "7", "--out", "{out}/e.safetensors"),
    "train-data-missing": C("evaluator", "train", "--data", "{w}/nope", "--out", "{out}/e.safetensors"),
    "train-data-dir-missing": C("evaluator", "train", "--data-dir", "{w}/nope", "--out", "{out}/e.safetensors"),
    "train-data-dir-garbage": C("evaluator", "train", "--data-dir", "{w}/fmnist_bad", "--out", "{out}/e.safetensors"),
    "train-out-wrong-suffix": C("evaluator", "train", "--data-dir", "{w}/fmnist", "--epochs", "1",
                                "--out", "{out}/e.txt"),
    "train-out-existing-file": C("evaluator", "train", "--data-dir", "{w}/fmnist", "--epochs", "1",
                                 "--out", "{w}/evaluator.safetensors"),
    "train-out-a-folder": C("evaluator", "train", "--data-dir", "{w}/fmnist", "--epochs", "1",
                            "--out", "{w}/dir.png"),
    "train-out-read-only": C("evaluator", "train", "--data-dir", "{w}/fmnist", "--epochs", "1",
                             "--out", "{w}/ro/e.safetensors", setup="read_only"),
}

CLASSIFY = {
    "no-subcommand": C("classify"),
    "train-data-missing": C("classify", "train", "--data", "{w}/nope", "--out", "{out}/c"),
    "train-data-a-file": C("classify", "train", "--data", "{w}/notes.txt", "--out", "{out}/c"),
    "train-epochs-zero": C("classify", "train", "--epochs", "0", "--out", "{out}/c"),
    "train-preset-unknown": C("classify", "train", "--preset", "resnet9000", "--out", "{out}/c"),
    "train-synthetic-missing": C("classify", "train", "--data-dir", "{w}/fmnist", "--synthetic", "{w}/nope",
                                 "--out", "{out}/c"),
    "train-synthetic-no-checkpoint": C("classify", "train", "--data-dir", "{w}/fmnist", "--synthetic",
                                       "{w}/run_no_ckpt", "--out", "{out}/c"),
    "train-out-a-file": C("classify", "train", "--data-dir", "{w}/fmnist", "--out", "{w}/notes.txt"),
    "predict-missing-run": C("classify", "predict", "{w}/nope", "{w}/images"),
    "predict-gan-run": C("classify", "predict", "{w}/run", "{w}/images"),
}

STUDY = {
    "no-subcommand": C("study"),
    "per-class-zero": C("study", "augmentation", "--per-class", "0", "--out", "{out}/s"),
    "per-class-text": C("study", "augmentation", "--per-class", "ten", "--out", "{out}/s"),
    "ratios-negative": C("study", "augmentation", "--ratios", "-1", "--out", "{out}/s"),
    "shard-out-of-range": C("study", "augmentation", "--shard", "3/2", "--out", "{out}/s"),
    "seeds-zero": C("study", "augmentation", "--seeds", "0", "--out", "{out}/s"),
    "merge-missing": C("study", "merge", "{w}/nope"),
    "merge-a-file": C("study", "merge", "{w}/notes.txt"),
}

SERVE = {  # every one fails before a socket is opened
    "missing-run": C("serve", "{w}/nope"),
    "a-file": C("serve", "{w}/notes.txt"),
    "no-checkpoint": C("serve", "{w}/run_no_ckpt"),
    "garbage-config": C("serve", "{w}/run_cfg_badsize"),
    "port-too-big": C("serve", "{w}/run", "--port", "99999"),
    "port-text": C("serve", "{w}/run", "--port", "http"),
}

EXPORT = {
    "missing-run": C("export", "{w}/nope", "--format", "onnx", "--out", "{out}/m.onnx"),
    "format-unknown": C("export", "{w}/run", "--format", "pdf", "--out", "{out}/m.pdf"),
    "no-checkpoint": C("export", "{w}/run_no_ckpt", "--format", "hub", "--out", "{out}/h"),
    "weights-cut": C("export", "{w}/run_weights_cut", "--format", "onnx", "--out", "{out}/m.onnx"),
    "onnx-over-a-user-file": C("export", "{w}/run", "--format", "onnx", "--out", "{w}/notes.txt"),
    "hub-over-a-user-folder": C("export", "{w}/run", "--format", "hub", "--out", "{w}/images"),
    "hub-read-only": C("export", "{w}/run", "--format", "hub", "--out", "{w}/ro/h", setup="read_only"),
}

BENCH = {
    "preset-unknown": C("bench", "--preset", "stylegan9"),
    "seconds-zero": C("bench", "--seconds", "0"),
    "batch-zero": C("bench", "--batch-size", "0"),
    "precision-fp8": C("bench", "--precision", "fp8"),
    "set-unknown": C("bench", "--set", "train.warp=9"),
}

# --- round 3: hand-edited folders and configs, odd numbers, odd images, output folders ----------------------

SUPERSCRIPT_TWO, ARABIC_ONE, FULLWIDTH_ONE = "\u00b2", "\u0661", "\uff11"  # isdigit() is true for all three
GARBAGE_EV = ("--eval-every", "1", "--evaluator", "{w}/ev_garbage.safetensors", "--epochs", "1", "--no-progress")
# A folder trains only after every image is decoded; the garbage evaluator then stops it with one line.

TRAIN_R3 = {
    "out-holds-a-user-config": C("train", *TINY, "--out", "{w}/user_cfg", says="not a GAN run"),
    "resume-out-holds-a-user-config": C("train", *TINY, "--resume", "--out", "{w}/user_cfg"),
    "out-holds-user-files": C("train", *TINY, "--out", "{w}/home", says="not a GAN run"),
    "out-forced-into-user-config": C("train", *TINY, "--out", "{w}/user_cfg", "--force", allowed=("user_cfg",),
                                     exit=0),
    "data-deep": C("train", "--data", "{w}/deep", "--out", "{out}/r", *GARBAGE_EV, setup="deep",
                   says="evaluator"),
    "data-bad-exif": C("train", "--data", "{w}/exif", "--out", "{out}/r", *GARBAGE_EV, says="evaluator"),
    "data-strip-padded": C("train", "--data", "{w}/strip", "--square", "pad", "--out", "{out}/r", *GARBAGE_EV,
                           says="evaluator"),
    "seed-superscript": C("train", "--seed", SUPERSCRIPT_TWO),
    "epochs-arabic": C("train", "--epochs", ARABIC_ONE, says="expects int"),
    "set-epochs-fullwidth": C("train", "--set", f"train.epochs={FULLWIDTH_ONE}", "--dry-run", says="expects int"),
    "set-lr-fullwidth": C("train", "--set", f"train.lr_g={FULLWIDTH_ONE}.0", "--dry-run", says="expects float"),
    "threads-huge": C("train", "--threads", "3000000000", says="at most 1024"),
    "set-threads-huge": C("train", "--set", "train.threads=3000000000", "--dry-run", says="at most 1024"),
}

MODELS = ("model_version_text", "model_version_future", "model_no_run_config", "model_run_config_list",
          "model_names_number", "model_names_ints", "model_names_empty", "model_names_twice", "model_no_names",
          "model_size_text", "model_size_other", "model_z_dim_huge")
GENERATE_R3 = {
    "class-superscript": C(*G, "--class", SUPERSCRIPT_TWO, "--out", "{out}/g.png", says="unknown class"),
    "class-arabic-digit": C(*G, "--class", ARABIC_ONE, "--out", "{out}/g.png", says="unknown class"),
    "class-fullwidth-digit": C(*G, "--class", FULLWIDTH_ONE, "--out", "{out}/g.png", says="unknown class"),
    "class-empty": C(*G, "--class", "", "--out", "{out}/g.png", says="unknown class"),
    "class-huge-index": C(*G, "--class", "9" * 40, "--out", "{out}/g.png"),
    "seeds-whole-range": C(*G, "--seeds", f"0-{2**63 - 1}", "--out", "{out}/g.npz", says="at most 1,000,000 seeds"),
    "seeds-two-whole-ranges": C(*G, "--seeds", f"0-{2**62},5-{2**62}", "--out", "{out}/g.npz"),
    "seeds-superscript": C(*G, "--seeds", f"{SUPERSCRIPT_TWO}-5", "--out", "{out}/g.png"),
    "seeds-spaces": C(*G, "--seeds", "1 2", "--out", "{out}/g.png"),
    "n-superscript": C(*G, "--n", SUPERSCRIPT_TWO, "--out", "{out}/g.png"),
    "seed-fullwidth": C(*G, "--seed", FULLWIDTH_ONE, "--out", "{out}/g.png"),
    "truncation-fullwidth": C(*G, "--truncation", f"0.{FULLWIDTH_ONE}", "--out", "{out}/g.png"),
    "model-ints-class-by-name": C("generate", "{w}/model_names_ints", "--class", "Sneaker", "--out", "{out}/g.png"),
    "model-good-class-by-name": C("generate", "{w}/model", "--class", "sneaker", "--n", "2", "--out", "{out}/g.png",
                                  exit=0, says="Wrote 2 images"),
    "out-a-folder-of-user-files": C(*G, "--n", "3", "--out", "{w}/home", says="not generated images"),
    **{f"hand-edited-{name[6:].replace('_', '-')}": C("generate", f"{{w}}/{name}", "--n", "3", "--out", "{out}/g.png")
       for name in MODELS},
}

EVALUATE_R3 = {
    "samples-header-claims-1e12-npz": C("evaluate", "--samples", "{w}/npz/huge.npz", *EV, says="claims"),
    "samples-header-claims-1e12-npy": C("evaluate", "--samples", "{w}/npz/huge.npy", *EV, says="single .npy"),
    "evaluator-names-number": C(*E, "--n", "20", "--evaluator", "{w}/ev_names_number.safetensors",
                                says="'class_names'"),
    "evaluator-size-text": C(*E, "--n", "20", "--evaluator", "{w}/ev_size_text.safetensors", says="'image_size'"),
    "evaluator-features-zero": C(*E, "--n", "20", "--evaluator", "{w}/ev_features_zero.safetensors"),
    "samples-evaluator-names-number": C("evaluate", "--samples", "{w}/npz/good.npz", "--evaluator",
                                        "{w}/ev_names_number.safetensors"),
    "eval-folder-links-out-of-the-run": C("evaluate", "{w}/run_eval_link", "--n", "20", *EV,
                                          says="outside the run folder"),
    "report-into-a-user-folder": C(*E, "--n", "20", *EV, "--report", "{w}/home", says="not a report"),
    "cache-dir-elsewhere-is-not-used": C("evaluate", "{w}/run_cache_elsewhere", "--n", "20", *EV, exit=0,
                                         allowed=("run_cache_elsewhere/eval.json", "run_cache_elsewhere/eval")),
    "seed-superscript": C(*E, "--seed", SUPERSCRIPT_TWO),
    "n-arabic": C(*E, "--n", ARABIC_ONE * 3),
    "cas-per-class-trillion": C(*E, "--cas", "--cas-per-class", str(10**12), says="at most 10000"),
}

DATA_R3 = {
    "check-deep": C("data", "check", "{w}/deep", setup="deep", exit=0, says="2 good images in 1 classes"),
    "check-bad-exif": C("data", "check", "{w}/exif", exit=1, says="bad_exif.jpg: corrupt or truncated"),
    "quarantine-bad-exif": C("data", "check", "{w}/exif", "--quarantine", "{out}/q", allowed=("exif",), exit=1,
                             says="bad_exif.jpg"),
    "check-strip": C("data", "check", "{w}/strip", exit=1, says="too large once padded square"),
    "quarantine-strip": C("data", "check", "{w}/strip", "--quarantine", "{out}/q", allowed=("strip",), exit=1),
    "check-names-escaped": C("data", "check", "{w}/names", exit=1, says="esc\\x1b[31mred.png"),
    "quarantine-is-the-folder": C("data", "check", "{w}/messy", "--quarantine", "{w}/messy", says="folder itself"),
    "quarantine-is-the-good-folder": C("data", "check", "{w}/images", "--quarantine", "{w}/images",
                                       says="folder itself"),
    "quarantine-inside-a-good-folder": C("data", "check", "{w}/images", "--quarantine", "{w}/images/bags/q",
                                         says="inside"),
    "quarantine-inside-by-dots": C("data", "check", "{w}/messy", "--quarantine", "{w}/messy/../messy/tops/q"),
    "quarantine-deep-itself": C("data", "check", "{w}/deep", "--quarantine", "{w}/deep", setup="deep"),
    "max-pixels-superscript": C("data", "check", "{w}/messy", "--max-pixels", SUPERSCRIPT_TWO),
    "max-pixels-huge": C("data", "check", "{w}/messy", "--max-pixels", "1" + "0" * 40, says="at most"),
}

EVALUATOR_R3 = {
    "info-names-number": C("evaluator", "info", "{w}/ev_names_number.safetensors", says="'class_names'"),
    "info-size-text": C("evaluator", "info", "{w}/ev_size_text.safetensors", says="'image_size'"),
    "info-features-zero": C("evaluator", "info", "{w}/ev_features_zero.safetensors", says="'feature_dim'"),
    "train-seed-superscript": C("evaluator", "train", "--seed", SUPERSCRIPT_TWO, "--out", "{out}/e.safetensors"),
}

CLF_EDITS = ("clf_no_names", "clf_names_empty", "clf_classify_list", "clf_size_text", "clf_size_huge",
             "clf_seed_huge", "clf_unknown_key")
CLASSIFY_R3 = {
    **{f"predict-{name[4:].replace('_', '-')}": C("classify", "predict", f"{{w}}/{name}", "{w}/images")
       for name in CLF_EDITS},
    "predict-bad-exif": C("classify", "predict", "{w}/clf", "{w}/pics/bad_exif.jpg", exit=2,
                          says="bad_exif.jpg: corrupt or truncated"),
    "predict-strip-padded": C("classify", "predict", "{w}/clf_square_pad", "{w}/pics/strip.png", exit=2,
                              says="too large once padded square"),
    "predict-deep": C("classify", "predict", "{w}/clf", "{w}/deep", setup="deep", exit=0),
    "predict-names-escaped": C("classify", "predict", "{w}/clf", "{w}/names", exit=2, says="esc\\x1b[31mred.png"),
    "train-synthetic-seed-huge": C("classify", "train", "--data-dir", "{w}/fmnist", "--synthetic", "{w}/run",
                                   "--seed", "2000000000000", "--out", "{out}/c", says="at most 4294967295"),
    "train-image-size-huge": C("classify", "train", "--image-size", "1000000", "--out", "{out}/c"),
    "train-batch-trillion": C("classify", "train", "--batch-size", str(10**12), "--out", "{out}/c"),
    "train-epochs-trillion": C("classify", "train", "--epochs", str(10**12), "--out", "{out}/c"),
    "train-seed-superscript": C("classify", "train", "--seed", SUPERSCRIPT_TWO, "--out", "{out}/c"),
    "train-out-holds-a-user-config": C("classify", "train", "--data-dir", "{w}/fmnist", "--out", "{w}/user_cfg",
                                       says="not a classifier run"),
    "train-resume-names-empty": C("classify", "train", "--resume", "--out", "{w}/clf_names_empty",
                                  says="'class_names'"),
    "train-resume-size-huge": C("classify", "train", "--resume", "--out", "{w}/clf_size_huge"),
}

STUDY_R3 = {
    "per-class-superscript": C("study", "augmentation", "--per-class", SUPERSCRIPT_TWO, "--out", "{out}/s"),
    "per-class-huge": C("study", "augmentation", "--per-class", "9" * 30, "--out", "{out}/s"),
    "seeds-superscript": C("study", "augmentation", "--seeds", SUPERSCRIPT_TWO, "--out", "{out}/s"),
    "out-a-file": C("study", "augmentation", "--out", "{w}/notes.txt", says="is a file"),
    "out-a-user-folder": C("study", "augmentation", "--out", "{w}/home", says="not a study"),
    "state-a-list": C("study", "augmentation", "--out", "{w}/study_list", says="study.json"),
    "merge-cell-empty-object": C("study", "merge", "{w}/study_cells", says="n10-s0.json"),
    "merge-arm-name-garbled": C("study", "merge", "{w}/study_arms", says="classic+gan@RATIO"),
    "merge-state-a-list": C("study", "merge", "{w}/study_list"),
}

SERVE_R3 = {
    **{f"hand-edited-{name[6:].replace('_', '-')}": C("serve", f"{{w}}/{name}")
       for name in ("model_names_empty", "model_names_ints", "model_version_text", "model_no_run_config",
                    "model_size_other")},
    "a-classifier-run": C("serve", "{w}/clf"),
    "port-superscript": C("serve", "{w}/run", "--port", SUPERSCRIPT_TWO),
}

EXPORT_R3 = {
    "hub-into-the-run-forced": C("export", "{w}/run", "--format", "hub", "--out", "{w}/run", "--force",
                                 says="never replaces a run's files"),
    "hub-into-its-checkpoint-forced": C("export", "{w}/run", "--format", "hub", "--out",
                                        "{w}/run/checkpoints/last", "--force"),
    "hub-into-another-run-forced": C("export", "{w}/run", "--format", "hub", "--out", "{w}/clf", "--force"),
    "onnx-into-its-checkpoints-forced": C("export", "{w}/run", "--format", "onnx", "--out",
                                          "{w}/run/checkpoints/g.onnx", "--force"),
    "hub-eval-json-a-list": C("export", "{w}/run_eval_list", "--format", "hub", "--out", "{w}/exported",
                              says="eval.json"),
    "hub-from-a-hand-edited-model": C("export", "{w}/model_names_empty", "--format", "hub", "--out", "{w}/exported"),
    "hub-over-a-model-folder": C("export", "{w}/run", "--format", "hub", "--out", "{w}/model"),
    "hub-forced-into-a-user-folder": C("export", "{w}/run", "--format", "hub", "--out", "{w}/home", "--force",
                                       allowed=("home/config.json", "home/model.safetensors", "home/README.md",
                                                "home/samples.png"), exit=0),
}

BENCH_R3 = {
    "threads-huge": C("bench", "--threads", "3000000000", says="at most 1024"),
    "threads-superscript": C("bench", "--threads", SUPERSCRIPT_TWO),
    "seconds-nan": C("bench", "--seconds", "nan"),
    "generate-n-huge": C("bench", "--generate-n", "9" * 40),
    "generate-n-trillion": C("bench", "--generate-n", str(10**12), says="at most 1000000"),
    "evaluate-n-trillion": C("bench", "--evaluate-n", str(10**12), says="at most 100000"),
    "batch-trillion": C("bench", "--batch-size", str(10**12), says="at most 65536"),
}

TOP = {
    "nothing": C(),
    "bogus-flag": C("--bogus"),
    "bogus-command": C("paint"),
}

CASES = {
    f"{command}:{name}": case
    for command, table in (("train", TRAIN), ("generate", GENERATE), ("evaluate", EVALUATE), ("data", DATA),
                           ("evaluator", EVALUATOR), ("classify", CLASSIFY), ("study", STUDY), ("serve", SERVE),
                           ("export", EXPORT), ("bench", BENCH), ("top", TOP),
                           ("train", TRAIN_R3), ("generate", GENERATE_R3), ("evaluate", EVALUATE_R3),
                           ("data", DATA_R3), ("evaluator", EVALUATOR_R3), ("classify", CLASSIFY_R3),
                           ("study", STUDY_R3), ("serve", SERVE_R3), ("export", EXPORT_R3), ("bench", BENCH_R3))
    for name, case in table.items()
}  # fmt: skip


# --- setups: unwritable folders and full disks -------------------------------------------------------------


def _fail_from_call(monkeypatch, target, name: str, error: BaseException, first_failing_call: int = 1) -> None:
    real, calls = getattr(target, name), {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= first_failing_call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)


def _setup(name: str | None, world: Path, monkeypatch, read_only) -> None:
    if name == "read_only":
        read_only(world / "ro")
    elif name == "read_only_run":
        shutil.copytree(world / "run", world / "ro" / "run")
        read_only(world / "ro" / "run")
        read_only(world / "ro")
    elif name == "disk_full_safetensors":
        message = 'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left" })'
        _fail_from_call(monkeypatch, io, "save_file", SafetensorError(message))
    elif name == "disk_full_torch_save":
        _fail_from_call(monkeypatch, io.torch, "save", RuntimeError("[enforce fail at inline_container.cc:778] . "
                                                                    "unexpected pos 4096 vs 4032"))
    elif name == "disk_full_bytes":
        _fail_from_call(monkeypatch, Path, "write_bytes", DISK_FULL)
    elif name == "disk_full_zip":
        _fail_from_call(monkeypatch, zipfile._ZipWriteFile, "write", DISK_FULL, first_failing_call=2)
    elif name == "disk_full_pil":
        _fail_from_call(monkeypatch, Image.Image, "save", DISK_FULL)
    elif name == "disk_full_pil_later":
        _fail_from_call(monkeypatch, Image.Image, "save", DISK_FULL, first_failing_call=3)
    elif name == "disk_full_move":
        _fail_from_call(monkeypatch, shutil, "move", DISK_FULL, first_failing_call=2)
    elif name == "deep":
        hostile_files.make_deep(world)
    else:
        assert name is None, name


@pytest.fixture(autouse=True)
def _fresh_log_handler():
    """cli.main binds its log handler to the sys.stderr of its first call; capsys swaps sys.stderr per test."""
    logger = logging.getLogger("fashiongan")
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers.clear()
    yield
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]


def _changed(before: dict[str, str], after: dict[str, str], allowed: list[str]) -> list[str]:
    def is_allowed(path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in allowed)

    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) and not is_allowed(k))


def _params():
    for case_id, case in CASES.items():
        marks = [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []
        yield pytest.param(case, id=case_id, marks=marks)


def test_there_are_at_least_300_cases_across_every_command():
    from fashiongan.cli import COMMANDS

    assert len(CASES) >= 300
    commands = {case.args[0] for case in CASES.values() if case.args and not case.args[0].startswith("-")}
    assert {module.__name__.rsplit(".", 1)[1] for module in COMMANDS} <= commands


@pytest.mark.parametrize("case", _params())
def test_hostile_invocation(case: Case, template, tmp_path, capsys, monkeypatch, read_only):
    world, out = tmp_path / "world", tmp_path / "out"
    shutil.copytree(template, world, symlinks=True)
    out.mkdir()
    monkeypatch.chdir(tmp_path)  # anything written to the current folder would land beside the world
    monkeypatch.setenv("FASHION_MNIST_DIR", str(world / "fmnist"))  # a case that trains by mistake stays tiny
    _setup(case.setup, world, monkeypatch, read_only)
    before = fingerprint(world)
    args = [arg.replace("{w}", str(world)).replace("{out}", str(out)) for arg in case.args]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse: usage and one error line, exit 2
        code = exc.code
    except Exception as exc:  # in a terminal this would be a traceback
        pytest.fail(f"uncaught {type(exc).__name__}: {exc}")
    finally:
        after = fingerprint(world)
        hostile_files.remove_deep(world / "deep")  # pytest's clean-up recurses per level
    captured = capsys.readouterr()
    err = captured.err
    if case.exit is None:
        assert code not in (0, None), f"exit {code}; stderr: {err}"
    else:
        assert code == case.exit, f"exit {code}; stderr: {err}"
    assert "Traceback" not in err
    if code == 2:
        assert re.match(r"fashiongan( [a-z]+)*: (error: |interrupted)", err.splitlines()[-1]), err
    if case.says is not None:
        assert case.says in (captured.out + err).replace(str(world), "{w}"), (captured.out, err)
    assert "\x1b" not in captured.out + err  # a terminal escape in a file name is printed escaped
    assert _changed(before, after, case.allowed) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "world"]


SUBPROCESS_CASES = ["generate:weights-text", "evaluate:samples-corrupt", "data:check-links"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_hostile_invocation_in_a_subprocess(case_id: str, template, tmp_path):
    world = tmp_path / "world"
    shutil.copytree(template, world, symlinks=True)
    before = fingerprint(world)
    args = [arg.replace("{w}", str(world)).replace("{out}", str(tmp_path / "out")) for arg in CASES[case_id].args]
    result = subprocess.run([sys.executable, "-m", "fashiongan", *args], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert fingerprint(world) == before


def test_sigterm_while_writing_an_npz_leaves_no_temporary_file(tiny_run, tmp_path):
    """SIGTERM in the middle of a long `generate --out big.npz`: exit 143, one line, no temp file beside it."""
    process = subprocess.Popen([sys.executable, "-m", "fashiongan", "generate", str(tiny_run.run_dir), "--n",
                                "50000000", "--device", "cpu", "--out", str(tmp_path / "big.npz")],
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob(".big.npz.*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the temporary file exists: the write is under way
    assert any(tmp_path.glob(".big.npz.*")), "the temporary file never appeared"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert err.strip().splitlines()[-1] == "fashiongan: terminated (SIGTERM)" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_closed_pipe_ends_data_check_quietly(tmp_path):
    """`fashiongan data check DIR | head -1` with a report larger than the pipe's buffer."""
    (tmp_path / "data" / "tops").mkdir(parents=True)
    for i in range(3000):
        (tmp_path / "data" / "tops" / f"bad_{i:04d}.png").write_bytes(b"not an image")
    process = subprocess.Popen([sys.executable, "-m", "fashiongan", "data", "check", str(tmp_path / "data")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert first.startswith(b"class") and process.returncode == 1
    assert err == "", err  # no BrokenPipeError traceback, no "Exception ignored" at exit
