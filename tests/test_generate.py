"""The sampling path: per-image seeds, class choice, interpolation, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.generate import generate, interpolation_grid, load_generator, noise_for_seeds, resolve_class, slerp
from fashiongan.training.loop import train

from .training.conftest import tiny_config


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    generator = torch.Generator().manual_seed(0)
    from fashiongan.data.dataset import ImageDataset

    data = ImageDataset(torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8, generator=generator),
                        torch.arange(32) % 4, ["Top", "Trouser", "Ankle boot", "Bag"])
    run_dir = tmp_path_factory.mktemp("gen") / "run"
    train(tiny_config(**{"train.epochs": 1}), run_dir, data=data, progress_bar=False)
    return run_dir


def test_noise_of_a_seed_does_not_depend_on_the_others():
    assert torch.equal(noise_for_seeds([5, 6, 7], 10)[1], noise_for_seeds([6], 10)[0])


def test_images_do_not_depend_on_batch_size(tiny_run: Path):
    a = generate(tiny_run, n=12, seed=3, device="cpu", batch_size=5)
    b = generate(tiny_run, n=12, seed=3, device="cpu", batch_size=12)
    c = generate(tiny_run, n=4, seed=11, device="cpu")  # seeds 11..14 = images 8..11 of a
    assert torch.equal(a.images, b.images)
    assert torch.equal(a.images[8:], c.images)
    assert a.images.dtype == torch.uint8 and a.images.shape == (12, 1, 28, 28)


def test_classes_cycle_or_follow_the_request(tiny_run: Path):
    cycling = generate(tiny_run, n=6, device="cpu")
    assert cycling.labels.tolist() == [0, 1, 2, 3, 0, 1]
    by_name = generate(tiny_run, n=3, class_index="ankle BOOT", device="cpu")
    by_index = generate(tiny_run, n=3, class_index="2", device="cpu")
    assert by_name.labels.tolist() == [2, 2, 2]
    assert torch.equal(by_name.images, by_index.images)
    assert by_name.class_names == ["Top", "Trouser", "Ankle boot", "Bag"]


def test_unknown_class_lists_the_valid_ones():
    with pytest.raises(UserError, match=r"unknown class 'Hat'; valid classes: 0=Top, 1=Bag"):
        resolve_class("Hat", ["Top", "Bag"])
    with pytest.raises(UserError, match="out of range"):
        resolve_class(5, ["Top", "Bag"])


def test_interpolation_walks_from_one_end_to_the_other(tiny_run: Path):
    images, steps = interpolation_grid(tiny_run, rows=2, steps=5, seed=0, device="cpu")
    assert images.shape == (10, 1, 28, 28) and steps == 5
    ends = generate(tiny_run, n=4, seed=0, device="cpu", seeds=[0, 1])
    generator, _, _ = load_generator(tiny_run, device="cpu")
    assert images.float().std() > 0
    first_row_start = images[0].float()
    expected = ends.images[0].float()  # seed 0, class 0: the start of walk 0
    assert (first_row_start - expected).abs().max() <= 1  # equal up to float rounding


def test_slerp_endpoints():
    a, b = torch.randn(1, 1, 8), torch.randn(1, 1, 8)
    t = torch.tensor([0.0, 1.0]).view(1, 2, 1)
    out = slerp(a, b, t)
    assert torch.allclose(out[0, 0], a[0, 0], atol=1e-5) and torch.allclose(out[0, 1], b[0, 0], atol=1e-5)


def test_missing_or_corrupt_runs_are_user_errors(tmp_path: Path, tiny_run: Path):
    with pytest.raises(UserError, match="run folder not found"):
        generate(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (broken / "checkpoints" / "last").mkdir(parents=True)
    (broken / "checkpoints" / "last" / "state.json").write_text("{}")
    with pytest.raises(UserError, match="not valid JSON"):
        generate(broken)
