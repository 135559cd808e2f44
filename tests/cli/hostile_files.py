"""Hand-edited folders and odd files for the hostile-invocation test (test_fuzz_cli.py).

Each builder adds to the fuzz "world": model folders, classifier runs, evaluator descriptions and study
folders broken the way a hand edit breaks them, images that decoders choke on, and a folder 1,100 levels
deep (built per case: copying it would itself recurse too deep).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

DEEP_LEVELS = 1100  # deeper than Python's default recursion limit of 1000


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


# Every case copies the whole world: copies leave out what their command never reads (a GAN run's
# discriminator and training state, a classifier's optimizer state, grids and plots).
LIGHT = shutil.ignore_patterns("discriminator.safetensors", "training-state.pt", "samples", "*.png", "*.gif",
                               "metrics.jsonl", "history.jsonl")


def _variant(world: Path, source: str, name: str, relative: str, edit, weights: str | None = None) -> None:
    """A copy of ``source`` with ``relative`` edited; ``weights`` (a file name) replaced by a stand-in.

    The files are checked before any weights are read, so the stand-in is never opened.
    """
    shutil.copytree(world / source, world / name, symlinks=True, ignore=LIGHT)
    _edit_json(world / name / relative, edit)
    if weights is not None:
        (world / name / weights).write_bytes(b"stand-in: never read")


def model_folders(world: Path) -> None:
    """world/model (exported from world/run) and copies with one key of config.json edited each."""
    from fashiongan.export.hub import export_model_folder

    export_model_folder(world / "run", world / "model")
    edits = {
        "model_version_text": lambda m: m.update(format_version="x"),
        "model_version_future": lambda m: m.update(format_version=99),
        "model_no_run_config": lambda m: m.pop("run_config"),
        "model_run_config_list": lambda m: m.update(run_config=[]),
        "model_names_number": lambda m: m.update(class_names=5),
        "model_names_ints": lambda m: m.update(class_names=list(range(10))),
        "model_names_empty": lambda m: m.update(class_names=[]),
        "model_names_twice": lambda m: m.update(class_names=["a"] * 10),
        "model_no_names": lambda m: m.pop("class_names"),
        "model_size_text": lambda m: m.update(image_size="28"),
        "model_size_other": lambda m: m.update(image_size=64),
        "model_z_dim_huge": lambda m: m["run_config"]["model"].update(z_dim=10**12),
    }
    for name, edit in edits.items():
        _variant(world, "model", name, "config.json", edit, weights="model.safetensors")
    shutil.copytree(world / "run", world / "run_eval_list", ignore=LIGHT)
    (world / "run_eval_list" / "eval.json").write_text("[1, 2, 3]")
    _variant(world, "run", "run_cache_elsewhere", "config.json",
             lambda c: c["data"].update(cache_dir=str(world / "home" / "cache")))
    shutil.copytree(world / "run", world / "run_eval_link", ignore=LIGHT)
    (world / "run_eval_link" / "eval").symlink_to(Path("..") / "home")
    user = world / "user_cfg"
    user.mkdir()
    (user / "config.json").write_text('{"my": "settings"}')


def classifier_runs(world: Path, fmnist: Path) -> None:
    """world/clf: one epoch of the small classifier on tiny data, and hand-edited copies of its config.json."""
    from fashiongan.classify.config import ClassifyConfig
    from fashiongan.classify.train import train_classifier
    from fashiongan.data.splits import Splits
    from tests.classify.conftest import banded

    config = ClassifyConfig(data_dir=str(fmnist), preset="small-cnn", epochs=1, batch_size=16, device="cpu")
    splits = Splits(banded(32, 10, 0), banded(10, 10, 1), banded(10, 10, 2), "official")
    train_classifier(config, world / "clf", splits=splits, progress_bar=False, plots=False)
    (world / "clf" / "checkpoints" / "last" / "training-state.pt").unlink()  # predict reads the weights only
    edits = {
        "clf_no_names": lambda c: c.pop("class_names"),
        "clf_names_empty": lambda c: c.update(class_names=[]),
        "clf_classify_list": lambda c: c.update(classify=[]),
        "clf_size_text": lambda c: c["classify"].update(image_size="28"),
        "clf_size_huge": lambda c: c["classify"].update(image_size=1_000_000),
        "clf_seed_huge": lambda c: c["classify"].update(seed=2 * 10**12),
        "clf_unknown_key": lambda c: c["classify"].update(warp=9),
    }
    for name, edit in edits.items():
        _variant(world, "clf", name, "config.json", edit, weights="checkpoints/last/model.safetensors")
    _variant(world, "clf", "clf_square_pad", "config.json", lambda c: c["classify"].update(square="pad"))


def evaluator_descriptions(world: Path) -> None:
    for name, edit in {"ev_names_number": lambda f: f.update(class_names=5),
                       "ev_size_text": lambda f: f.update(image_size="28"),
                       "ev_features_zero": lambda f: f.update(feature_dim=0)}.items():
        (world / f"{name}.safetensors").write_bytes(b"stand-in: the description is refused before it is read")
        shutil.copy(world / "evaluator.json", world / f"{name}.json")
        _edit_json(world / f"{name}.json", edit)


def odd_images(world: Path) -> None:
    """exif/: a JPEG whose EXIF block is not TIFF data; strip/: a 1 x 200,000 PNG; names/: a newline and ESC."""
    rng = np.random.default_rng(2)
    for folder in ("exif/tops", "exif/shoes", "strip/tops", "strip/shoes", "names/tops"):
        (world / folder).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(world / folder / f"{i}.png")
    Image.new("RGB", (8, 8)).save(world / "exif" / "tops" / "bad_exif.jpg", exif=b"Exif\x00\x00garbage-not-tiff")
    Image.new("L", (200_000, 1), 255).save(world / "strip" / "shoes" / "strip.png")
    Image.new("L", (8, 8)).save(world / "names" / "tops" / "line\nbreak.png")
    (world / "names" / "tops" / "esc\x1b[31mred.png").write_bytes(b"not an image")
    (world / "pics").mkdir()
    shutil.copy(world / "exif" / "tops" / "bad_exif.jpg", world / "pics" / "bad_exif.jpg")
    shutil.copy(world / "strip" / "shoes" / "strip.png", world / "pics" / "strip.png")


def npy_headers(folder: Path) -> None:
    """An .npz and a .npy whose headers claim 10^12 bytes they do not hold."""
    import io
    import zipfile

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**6, 1000, 1000)})
    data = buffer.getvalue() + bytes(100)
    with zipfile.ZipFile(folder / "huge.npz", "w") as archive:
        archive.writestr("images.npy", data)
    (folder / "huge.npy").write_bytes(data)


def study_folders(world: Path) -> None:
    (world / "study_list").mkdir()
    (world / "study_list" / "study.json").write_text("[]")
    (world / "study_cells" / "cells").mkdir(parents=True)
    (world / "study_cells" / "cells" / "n10-s0.json").write_text("{}")
    (world / "study_arms" / "cells").mkdir(parents=True)
    cell = {"cell": "n10-s0", "per_class": 10, "seed": 0, "real_images": 100, "real_per_class": [10] * 10,
            "arms": [{"arm": "classic+gan@x", "test_accuracy": 0.5, "val_accuracy": 0.5}]}
    (world / "study_arms" / "cells" / "n10-s0.json").write_text(json.dumps(cell))


def make_deep(world: Path) -> Path:
    """world/deep/tops/d/d/.../d/deep.png, 1,100 folders deep, and one image near the top."""
    folder = world / "deep" / "tops"
    folder.mkdir(parents=True)
    Image.new("L", (8, 8), 100).save(folder / "top.png")
    for _ in range(DEEP_LEVELS):  # one mkdir at a time: os.makedirs recurses per level
        folder = folder / "d"
        folder.mkdir()
    Image.new("L", (8, 8), 200).save(folder / "deep.png")
    return world / "deep"


def remove_deep(root: Path) -> None:
    """Delete a tree of any depth without recursion (shutil.rmtree recurses per level)."""
    if not root.exists():
        return
    folders = []
    for folder, _dirs, files in walk(root):
        folders.append(folder)
        for name in files:
            os.unlink(folder / name)
    for folder in reversed(folders):
        os.rmdir(folder)


def walk(root: Path):
    """(folder, dirs, files) for every folder below ``root``, top-down, iterative; links are not followed."""
    stack = [root]
    while stack:
        folder = stack.pop()
        dirs, files = [], []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
        yield folder, dirs, files
        stack.extend(folder / name for name in reversed(dirs))
