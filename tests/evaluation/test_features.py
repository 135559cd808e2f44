"""load_evaluator / save_evaluator round trip, hash checks, and compute_features' contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fashiongan.data.fashion_mnist import load_fashion_mnist
from fashiongan.errors import UserError
from fashiongan.evaluation.features import (
    SHIPPED_WEIGHTS,
    EvaluatorInfo,
    compute_features,
    json_path_for,
    load_evaluator,
    save_evaluator,
)
from fashiongan.evaluation.network import EvaluatorNet


def _tiny_info(channels: int = 1) -> EvaluatorInfo:
    return EvaluatorInfo(
        sha256="", class_names=["a", "b", "c"], image_size=28, channels=channels, feature_dim=8,
        test_accuracy=0.5, command="test", seed=0, extra={"epochs": 1},
    )  # fmt: skip


@pytest.fixture
def saved(tmp_path: Path) -> tuple[EvaluatorNet, Path]:
    torch.manual_seed(0)
    net = EvaluatorNet(in_channels=1, num_classes=3, feature_dim=8)
    # Give BatchNorm non-trivial running statistics so the round trip checks buffers too.
    net.train()
    net(torch.randn(16, 1, 28, 28))
    net.eval()
    out = tmp_path / "ev" / "mine.safetensors"
    save_evaluator(net, _tiny_info(), out)
    return net, out


def test_round_trip_gives_equal_outputs(saved: tuple[EvaluatorNet, Path]) -> None:
    net, out = saved
    loaded, info = load_evaluator(out)
    assert not loaded.training
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    torch.testing.assert_close(loaded.forward_features(x), net.forward_features(x), rtol=0, atol=0)
    assert info.path == out and info.class_names == ["a", "b", "c"] and info.num_classes == 3
    assert info.extra == {"epochs": 1} and info.eval_split == "test"
    assert len(info.sha256) == 64


def test_json_is_written_beside_the_weights(saved: tuple[EvaluatorNet, Path]) -> None:
    _, out = saved
    facts = json.loads(json_path_for(out).read_text())
    assert json_path_for(out) == out.with_name("mine.json")
    assert facts["weights"] == "mine.safetensors" and facts["feature_dim"] == 8 and facts["epochs"] == 1


def test_changed_weights_fail_the_hash_check(saved: tuple[EvaluatorNet, Path]) -> None:
    _, out = saved
    data = bytearray(out.read_bytes())
    data[-1] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"do not match the sha256 in mine\.json"):
        load_evaluator(out)


def test_missing_files_are_user_errors(saved: tuple[EvaluatorNet, Path], tmp_path: Path) -> None:
    _, out = saved
    with pytest.raises(UserError, match=r"evaluator weights not found: .*nothing\.safetensors"):
        load_evaluator(tmp_path / "nothing.safetensors")
    json_path_for(out).unlink()
    with pytest.raises(UserError, match=r"evaluator description not found: .*mine\.json"):
        load_evaluator(out)


def test_description_without_required_facts_is_a_user_error(saved: tuple[EvaluatorNet, Path]) -> None:
    _, out = saved
    facts = json.loads(json_path_for(out).read_text())
    del facts["feature_dim"]
    json_path_for(out).write_text(json.dumps(facts))
    with pytest.raises(UserError, match="missing: feature_dim"):
        load_evaluator(out)


def test_compute_features_is_batch_size_independent(saved: tuple[EvaluatorNet, Path]) -> None:
    net, _ = saved
    images = torch.randint(0, 256, (23, 1, 28, 28), dtype=torch.uint8)
    feats_a, probs_a = compute_features(net, images, batch_size=23)
    feats_b, probs_b = compute_features(net, images, batch_size=4)
    assert feats_a.dtype == np.float64 and probs_a.dtype == np.float64
    assert feats_a.shape == (23, 8) and probs_a.shape == (23, 3)
    np.testing.assert_allclose(feats_a, feats_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs_a, probs_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs_a.sum(axis=1), 1.0, rtol=1e-12)


def test_compute_features_scales_uint8_to_unit_range(saved: tuple[EvaluatorNet, Path]) -> None:
    net, _ = saved
    images = torch.randint(0, 256, (6, 1, 28, 28), dtype=torch.uint8)
    feats, probs = compute_features(net, images)
    with torch.no_grad():
        logits, expected = net.forward_features(images.float() / 127.5 - 1)
    np.testing.assert_allclose(feats, expected.double().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, torch.softmax(logits.double(), 1).numpy(), rtol=1e-5, atol=1e-6)


def test_compute_features_restores_training_mode(saved: tuple[EvaluatorNet, Path]) -> None:
    net, _ = saved
    net.train()
    compute_features(net, torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    assert net.training


def test_compute_features_rejects_wrong_channels_and_small_images(saved: tuple[EvaluatorNet, Path]) -> None:
    net, _ = saved
    with pytest.raises(UserError, match="takes 1-channel images but got 3-channel"):
        compute_features(net, torch.zeros(2, 3, 28, 28, dtype=torch.uint8))
    with pytest.raises(UserError, match="at least 28x28"):
        compute_features(net, torch.zeros(2, 1, 16, 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match="uint8"):
        compute_features(net, torch.zeros(2, 1, 28, 28))


def test_compute_features_of_no_images(saved: tuple[EvaluatorNet, Path]) -> None:
    net, _ = saved
    feats, probs = compute_features(net, torch.zeros(0, 1, 28, 28, dtype=torch.uint8))
    assert feats.shape == (0, 8) and probs.shape == (0, 3)


def test_shipped_weights_load_or_explain() -> None:
    """The shipped evaluator loads with a verified hash; if the package lacks it, the error says so."""
    if not SHIPPED_WEIGHTS.is_file():
        with pytest.raises(UserError, match="shipped evaluator weights .* are missing"):
            load_evaluator()
        return
    net, info = load_evaluator()
    assert info.channels == 1 and info.image_size == 28 and info.num_classes == 10
    assert info.test_accuracy >= 0.93 and net.feature_dim == info.feature_dim


def test_shipped_evaluator_accuracy_on_the_fashion_mnist_test_split() -> None:
    """The shipped weights reach >= 93% on the real test split, as their JSON records (10,000 images)."""
    if not SHIPPED_WEIGHTS.is_file():
        pytest.skip("the shipped evaluator weights are not in this checkout")
    try:
        test = load_fashion_mnist("test", download=False)
    except UserError:
        pytest.skip("Fashion-MNIST is not available on this machine")
    net, info = load_evaluator()
    _, probs = compute_features(net, test.images)
    accuracy = float((probs.argmax(1) == test.labels.numpy()).mean())
    assert accuracy >= 0.93
    assert accuracy == pytest.approx(info.test_accuracy, abs=5e-4)
