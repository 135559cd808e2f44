"""ONNX export: the file runs in onnxruntime like PyTorch, for any batch size; a mismatch is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="ONNX export needs the [export] extra (onnx, onnxruntime)")
import onnxruntime  # noqa: E402

from fashiongan.errors import UserError  # noqa: E402
from fashiongan.export import onnx as onnx_export  # noqa: E402
from fashiongan.generate import load_generator  # noqa: E402
from tests.serve.helpers import CLASS_NAMES, train_tiny_run  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("onnx") / "run")


def test_conditional_export_matches_pytorch_for_any_batch(run_dir: Path, tmp_path: Path):
    generator, config, _ = load_generator(run_dir)
    out = tmp_path / "g.onnx"
    diff = onnx_export.export_onnx(generator, out, config.model.conditional)
    assert diff < 1e-4
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z", "labels"]
    for n in (1, 13):
        z = np.random.default_rng(n).standard_normal((n, 100)).astype(np.float32)
        labels = np.arange(n, dtype=np.int64) % len(CLASS_NAMES)
        (images,) = session.run(None, {"z": z, "labels": labels})
        with torch.no_grad():
            expected = generator(torch.from_numpy(z), torch.from_numpy(labels)).numpy()
        assert images.shape == (n, 1, 28, 28)
        assert np.abs(images - expected).max() < 1e-4


def test_unconditional_export_has_only_noise_input(tmp_path: Path):
    run_dir = train_tiny_run(tmp_path / "uncond", conditional=False)
    generator, config, _ = load_generator(run_dir)
    onnx_export.export_onnx(generator, tmp_path / "u.onnx", config.model.conditional)
    session = onnxruntime.InferenceSession(str(tmp_path / "u.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z"]
    assert session.run(None, {"z": np.zeros((2, 100), np.float32)})[0].shape == (2, 1, 28, 28)


def test_a_mismatch_is_refused_and_leaves_no_file(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    generator, config, _ = load_generator(run_dir)
    real_export = onnx_export._export

    def export_then_change_weights(wrapper, inputs, names, path):
        real_export(wrapper, inputs, names, path)
        with torch.no_grad():  # PyTorch now disagrees with the file
            next(wrapper.parameters()).add_(1.0)

    monkeypatch.setattr(onnx_export, "_export", export_then_change_weights)
    with pytest.raises(UserError, match=r"the exported ONNX model differs from PyTorch by .* more than 0.0001"):
        onnx_export.export_onnx(generator, tmp_path / "bad.onnx", config.model.conditional)
    assert not (tmp_path / "bad.onnx").exists()
