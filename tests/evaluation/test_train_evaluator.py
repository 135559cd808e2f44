"""train_evaluator on tiny datasets: loadable, seeded, honest about its split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fashiongan.config import DataConfig
from fashiongan.errors import UserError
from fashiongan.evaluation.features import compute_features, json_path_for, load_evaluator
from fashiongan.evaluation.train_evaluator import held_out_splits, train_evaluator


def _folder_config(root: Path) -> DataConfig:
    return DataConfig(source=str(root), image_size=28, channels=3)


def test_folder_without_test_split_trains_and_loads(tiny_image_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev.safetensors"
    info = train_evaluator(_folder_config(tiny_image_folder), out, epochs=1, seed=0, device="cpu", command="cmd")
    assert out.is_file() and json_path_for(out).is_file()
    assert info.eval_split == "val" and info.extra["eval_images"] == 1 and info.extra["train_images"] == 11
    assert 0.0 <= info.test_accuracy <= 1.0 and len(info.extra["history"]) == 1
    net, loaded = load_evaluator(out)
    assert loaded.sha256 == info.sha256 and loaded.command == "cmd" and loaded.seed == 0
    assert loaded.class_names == ["bags", "dresses", "shoes"] and loaded.channels == 3 and loaded.image_size == 28
    features, probs = compute_features(net, torch.randint(0, 256, (4, 3, 28, 28), dtype=torch.uint8))
    assert features.shape == (4, loaded.feature_dim) and probs.shape == (4, 3)
    facts = json.loads(json_path_for(out).read_text())
    assert facts["eval_split"] == "val" and facts["torch_version"] == torch.__version__


def test_same_seed_gives_the_same_weights(tiny_image_folder: Path, tmp_path: Path) -> None:
    config = _folder_config(tiny_image_folder)
    first = train_evaluator(config, tmp_path / "a.safetensors", epochs=2, seed=3, device="cpu")
    second = train_evaluator(config, tmp_path / "b.safetensors", epochs=2, seed=3, device="cpu")
    other = train_evaluator(config, tmp_path / "c.safetensors", epochs=2, seed=4, device="cpu")
    assert first.sha256 == second.sha256
    assert other.sha256 != first.sha256


def test_fashion_mnist_layout_uses_its_test_split(tiny_fashion_mnist_dir: Path, tmp_path: Path) -> None:
    config = DataConfig(source="fmnist", data_dir=str(tiny_fashion_mnist_dir))
    info = train_evaluator(config, tmp_path / "fm.safetensors", epochs=1, device="cpu")
    assert info.eval_split == "test" and info.extra["eval_images"] == 10 and info.extra["train_images"] == 20
    assert info.num_classes == 10 and info.channels == 1


def test_folder_with_train_and_test_uses_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("test", 2)):
        for name in ("coats", "hats"):
            (tmp_path / "shop" / split / name).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, (30, 30), dtype=np.uint8), "L").save(
                    tmp_path / "shop" / split / name / f"{i}.png"
                )
    train, held_out, split = held_out_splits(DataConfig(source=str(tmp_path / "shop")), seed=0)
    assert split == "test" and len(train) == 12 and len(held_out) == 4


def test_validation_holdout_is_seeded_and_disjoint(tiny_image_folder: Path) -> None:
    config = _folder_config(tiny_image_folder)
    train_a, val_a, _ = held_out_splits(config, seed=1)
    train_b, val_b, _ = held_out_splits(config, seed=1)
    assert torch.equal(val_a.images, val_b.images) and torch.equal(train_a.images, train_b.images)
    flat_train = {bytes(img.numpy().tobytes()) for img in train_a.images}
    assert all(bytes(img.numpy().tobytes()) not in flat_train for img in val_a.images)


def test_out_must_be_a_safetensors_path(tiny_image_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--out must end in .safetensors"):
        train_evaluator(_folder_config(tiny_image_folder), tmp_path / "ev.pt", epochs=1, device="cpu")
    assert not (tmp_path / "ev.pt").exists()
