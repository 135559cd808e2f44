"""Model folders: written, recognised, loaded offline with the same outputs, carded; push without a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import fashiongan
from fashiongan.errors import UserError
from fashiongan.export.hub import export_model_folder, is_model_folder, load_model_folder, push_folder
from fashiongan.io import write_json
from tests.serve.helpers import CLASS_NAMES, train_tiny_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    run = train_tiny_run(tmp_path_factory.mktemp("hub") / "run")
    write_json(run / "eval.json", {"fid": 142.53, "kid": 32.0, "floor": {"fid": 0.41}, "n": 100})
    return run


@pytest.fixture(scope="module")
def folder(run_dir: Path, tmp_path_factory) -> Path:
    return export_model_folder(run_dir, tmp_path_factory.mktemp("hub-out") / "model")


def test_folder_layout_and_config(folder: Path):
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    config = json.loads((folder / "config.json").read_text())
    assert config["format"] == "fashiongan-generator" and config["format_version"] == 1
    assert (config["image_size"], config["channels"], config["z_dim"]) == (28, 1, 100)
    assert config["class_names"] == CLASS_NAMES
    assert config["run_config"]["model"]["g_channels"] == 16


def test_is_model_folder(folder: Path, run_dir: Path, tmp_path: Path):
    assert is_model_folder(folder)
    assert not is_model_folder(run_dir) and not is_model_folder(tmp_path / "missing")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text("{not json")
    (tmp_path / "other" / "model.safetensors").write_bytes(b"")
    assert not is_model_folder(tmp_path / "other")


def test_loading_gives_the_same_generator(folder: Path, run_dir: Path):
    loaded, config, class_names = load_model_folder(folder)
    original, _, _ = fashiongan.load_generator(run_dir)
    assert class_names == CLASS_NAMES and config.model.conditional
    z, labels = torch.randn(5, 100), torch.arange(5) % 4
    with torch.no_grad():
        assert torch.equal(loaded(z, labels), original(z, labels))


def test_load_generator_and_generate_accept_a_model_folder(folder: Path, run_dir: Path):
    generator, _, names = fashiongan.load_generator(folder)
    assert names == CLASS_NAMES and not generator.training
    from_folder = fashiongan.generate(folder, n=6, class_index="Sneaker", seed=2, device="cpu")
    from_run = fashiongan.generate(run_dir, n=6, class_index="Sneaker", seed=2, device="cpu")
    assert torch.equal(from_folder.images, from_run.images)


def test_model_card_has_samples_and_numbers(folder: Path):
    card = (folder / "README.md").read_text()
    assert "![samples, one row per class](samples.png)" in card
    assert "| fid | 142.5 | 0.41 |" in card and "| kid | 32 |  |" in card
    assert "T-shirt/top, Trouser, Sneaker, Ankle boot" in card
    from PIL import Image

    assert Image.open(folder / "samples.png").size == (2 * (8 * 30 + 2), 2 * (4 * 30 + 2))  # 8 per class, x2


def test_a_wrong_config_is_a_user_error(folder: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(UserError, match="is not a fashiongan model config"):
        load_model_folder(bad)


def test_push_without_a_token_says_so_in_one_line(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("huggingface_hub", reason="--push needs the [hub] extra")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored token there
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    with pytest.raises(UserError, match="cannot push to me/model: no Hugging Face token") as info:
        push_folder(folder, "me/model")
    assert "\n" not in str(info.value)
