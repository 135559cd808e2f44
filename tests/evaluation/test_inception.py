"""Optional Inception FID/KID: clear one-line errors when unavailable, correct glue, and never a download."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.evaluation import inception
from fashiongan.evaluation.inception import check_inception, inception_fid_kid, inception_weights_path


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty TORCH_HOME, so the tests never see (or touch) the user's real torch hub cache."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


@pytest.fixture
def fake_fidelity(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A stand-in torch_fidelity that records what calculate_metrics was given."""
    module = types.ModuleType("torch_fidelity")
    module.__version__ = "0.0-test"
    module.calls = []

    def calculate_metrics(**kwargs):
        module.calls.append(kwargs)
        return {
            "frechet_inception_distance": 1.5,
            "kernel_inception_distance_mean": 0.25,
            "kernel_inception_distance_std": 0.125,
        }

    module.calculate_metrics = calculate_metrics
    monkeypatch.setitem(sys.modules, "torch_fidelity", module)
    return module


def _write_weights(torch_home: Path) -> Path:
    path = inception_weights_path()
    path.parent.mkdir(parents=True)
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    return path


def test_weights_live_in_the_torch_hub_checkpoints_folder(torch_home: Path) -> None:
    assert inception_weights_path() == torch_home / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"


def test_missing_library_says_how_to_install(torch_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # makes the import fail
    with pytest.raises(UserError, match=r"not installed: pip install 'fashiongan\[inception\]'") as info:
        check_inception()
    assert "\n" not in str(info.value) and str(inception_weights_path().parent) in str(info.value)


def test_missing_weights_say_where_to_put_them(torch_home: Path, fake_fidelity: types.ModuleType) -> None:
    images = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    with pytest.raises(UserError, match="needs the InceptionV3 weights file .*hub/checkpoints") as info:
        inception_fid_kid(images, images)
    assert "\n" not in str(info.value) and inception.WEIGHTS_URL in str(info.value)
    assert fake_fidelity.calls == []  # nothing ran, so nothing could download
    assert not torch_home.exists()


def test_corrupt_weights_are_a_user_error(torch_home: Path, fake_fidelity: types.ModuleType) -> None:
    path = inception_weights_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="are corrupt"):
        check_inception()


def test_glue_passes_rgb_uint8_and_the_weights_path(torch_home: Path, fake_fidelity: types.ModuleType) -> None:
    weights = _write_weights(torch_home)
    real = torch.randint(0, 256, (5, 1, 28, 28), dtype=torch.uint8)
    fake = torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8)
    result = inception_fid_kid(real, fake)
    assert result == {
        "fid": 1.5, "kid": 0.25, "kid_std": 0.125, "num_real": 5, "num_fake": 3, "kid_subset_size": 3,
        "library": "torch-fidelity 0.0-test",
    }  # fmt: skip
    (call,) = fake_fidelity.calls
    assert call["feature_extractor_weights_path"] == str(weights)  # given explicitly: no download
    assert call["cache"] is False and call["cuda"] is False and call["fid"] and call["kid"]
    item = call["input1"][2]
    assert item.dtype == torch.uint8 and item.shape == (3, 28, 28)
    assert torch.equal(item, real[2].repeat(3, 1, 1))
    assert len(call["input2"]) == 3


def test_too_few_images(torch_home: Path, fake_fidelity: types.ModuleType) -> None:
    _write_weights(torch_home)
    one = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    with pytest.raises(UserError, match="at least 2 real and 2 fake"):
        inception_fid_kid(one, one.repeat(4, 1, 1, 1))


@pytest.mark.slow
def test_real_inception_same_set_gives_fid_near_zero() -> None:
    """Only where torch-fidelity and its weights are really present (never downloads)."""
    pytest.importorskip("torch_fidelity")
    if not inception_weights_path().is_file():
        pytest.skip("InceptionV3 weights are not in the torch hub cache")
    images = torch.randint(0, 256, (20, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    result = inception_fid_kid(images, images)
    # Identical sets: FID is 0 up to the matrix square root's error on a rank-deficient covariance, and
    # the unbiased KID estimate is at most 0 (its cross term includes each image paired with itself).
    assert abs(result["fid"]) < 1.0 and result["kid"] < 1e-3
