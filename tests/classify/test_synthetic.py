"""GAN images as training data: through the sampling path, labelled with the class asked for, mixed at ratio R."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import fashiongan
from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.synthetic import (
    ConfidenceFilter,
    SyntheticMixer,
    SyntheticSource,
    draw_from_pool,
    pool_counts,
    synthetic_labels,
)
from fashiongan.classify.train import train_classifier
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import Splits
from fashiongan.errors import UserError
from fashiongan.generate import load_generator, sample
from tests.classify.conftest import banded

TINY_GAN = {"model.g_channels": 16, "model.d_channels": 8, "model.z_dim": 8, "train.batch_size": 16,
            "train.epochs": 1}  # fmt: skip


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory) -> Path:
    """A 1-epoch conditional GAN on 4 banded classes (its images are poor; the plumbing is what is tested)."""
    run_dir = tmp_path_factory.mktemp("gan") / "run"
    fashiongan.train(fashiongan.make_config("fmnist", TINY_GAN), run_dir, progress_bar=False, data=banded(32, 4, 0))
    return run_dir


def test_synthetic_labels_follow_the_real_class_counts():
    labels = synthetic_labels(torch.tensor([0, 0, 1, 2, 2, 2]), 2.0, 4)
    assert torch.bincount(labels, minlength=4).tolist() == [4, 2, 6, 0]


def test_source_draws_through_generate_with_the_asked_classes(gan_run: Path):
    names = ["class2", "class0"]  # a classifier may use a subset of the GAN's classes, in its own order
    source = SyntheticSource.open(gan_run, names, torch.device("cpu"))
    drawn = source.draw(torch.tensor([0, 1, 1]), first_seed=5)
    generator, _, _ = load_generator(gan_run)
    expected = sample(generator, [5, 6, 7], torch.tensor([2, 0, 0]), torch.device("cpu"))
    assert torch.equal(drawn.images, expected) and drawn.labels.tolist() == [0, 1, 1]


def test_truncation_draws_through_the_sampling_path_with_smaller_noise(gan_run: Path):
    labels = torch.tensor([0, 1, 2, 3])
    full = SyntheticSource.open(gan_run, ["class0", "class1", "class2", "class3"], torch.device("cpu"))
    truncated = SyntheticSource.open(gan_run, ["class0", "class1", "class2", "class3"], torch.device("cpu"), 0.5)
    generator, _, _ = load_generator(gan_run)
    expected = sample(generator, [9, 10, 11, 12], labels, torch.device("cpu"), truncation=0.5)
    drawn = truncated.draw(labels, first_seed=9)
    assert torch.equal(drawn.images, expected) and not torch.equal(drawn.images, full.draw(labels, 9).images)
    with pytest.raises(UserError, match="--synthetic-truncation must be in"):
        ClassifyConfig(synthetic=str(gan_run), synthetic_truncation=1.5)._check_synthetic()


def test_fresh_mode_draws_new_images_each_epoch_and_cached_reuses_them(gan_run: Path):
    real = banded(8, 4, 0)
    source = SyntheticSource.open(gan_run, real.class_names, torch.device("cpu"))
    fresh = SyntheticMixer(source, 1.5, "fresh", seed=0)
    first, second = fresh.for_epoch(real, 0), fresh.for_epoch(real, 1)
    assert len(first) == 12 and not torch.equal(first.images, second.images)
    assert torch.equal(first.images, SyntheticMixer(source, 1.5, "fresh", seed=0).for_epoch(real, 0).images)
    cached = SyntheticMixer(source, 1.5, "cached", seed=0)
    assert cached.for_epoch(real, 0) is cached.for_epoch(real, 1)


def test_a_classifier_trains_with_gan_images_mixed_in(gan_run: Path, tmp_path: Path):
    splits = Splits(banded(32, 4, 1), banded(8, 4, 2), banded(16, 4, 3), "official")
    config = ClassifyConfig(preset="small-cnn", epochs=2, batch_size=16, synthetic=str(gan_run), synthetic_ratio=2,
                            augment="classic", device="cpu")  # fmt: skip
    metrics = train_classifier(config, tmp_path / "run", splits=splits, progress_bar=False).metrics
    assert metrics["synthetic_per_epoch"] == 64 and metrics["steps"] == 2 * (96 // 16)


def test_gan_class_and_shape_mismatches_are_user_errors(gan_run: Path, tmp_path: Path):
    with pytest.raises(UserError, match="has no class 'Sneaker'; its classes: class0, class1"):
        SyntheticSource.open(gan_run, ["class0", "Sneaker"], torch.device("cpu"))
    source = SyntheticSource.open(gan_run, ["class0", "class1"], torch.device("cpu"))
    with pytest.raises(UserError, match="makes 28 px images with 1 channel"):
        source.check_shape(banded(4, 2, 0, size=32, channels=3))
    with pytest.raises(UserError, match=r"--synthetic-ratio must be in \(0, 100\]"):
        SyntheticMixer(source, 0.0, "fresh", 0)
    with pytest.raises(UserError, match="is not a usable GAN run: run config not found"):
        SyntheticSource.open(tmp_path, ["class0"], torch.device("cpu"))


class FixedLogits(torch.nn.Module):
    """A stand-in classifier: image i gets the logits row i of ``table`` (by its first pixel's value)."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = table

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = ((x[:, 0, 0, 0] + 1) * 127.5).round().long()
        return self.table[index]


def test_confidence_filter_keeps_images_the_classifier_puts_in_the_asked_class():
    table = torch.tensor([[5.0, 0.0], [0.0, 5.0], [0.1, 0.0], [0.0, 5.0]])  # image 2: 52% class 0
    images = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    images[:, 0, 0, 0] = torch.arange(4, dtype=torch.uint8)
    data = ImageDataset(images, torch.tensor([0, 1, 0, 0]), ["a", "b"])
    keep = ConfidenceFilter(FixedLogits(table), 0.5, torch.device("cpu")).keep(data)
    assert keep.tolist() == [True, True, True, False]
    keep = ConfidenceFilter(FixedLogits(table), 0.9, torch.device("cpu")).keep(data)
    assert keep.tolist() == [True, True, False, False]


def test_a_filtered_mixer_gives_a_subset_of_the_unfiltered_draw(gan_run: Path):
    real = banded(8, 4, 0)
    source = SyntheticSource.open(gan_run, real.class_names, torch.device("cpu"))
    everything = SyntheticMixer(source, 2.0, "fresh", 0).for_epoch(real, 0)
    keep_all = ConfidenceFilter(FixedLogits(torch.zeros(256, 4)), 0.25, torch.device("cpu"))  # p = 0.25 for all
    assert len(SyntheticMixer(source, 2.0, "fresh", 0, keep_all).for_epoch(real, 0)) == len(everything)
    reject_all = ConfidenceFilter(FixedLogits(torch.zeros(256, 4)), 0.3, torch.device("cpu"))
    assert len(SyntheticMixer(source, 2.0, "fresh", 0, reject_all).for_epoch(real, 0)) == 0


def test_a_pool_gives_each_epoch_its_class_counts_without_repeats():
    pool = banded(40, 4, 5)  # 10 of each class
    counts = pool_counts(pool, [3, 12, 0, 10])
    assert counts == [3, 10, 0, 10]  # at most what the pool holds
    drawn = draw_from_pool(pool, [3, 12, 0, 10], seed=1)
    assert torch.bincount(drawn.labels, minlength=4).tolist() == counts
    assert len(image_keys(drawn.images)) == len(drawn)  # no image twice
    assert torch.equal(drawn.images, draw_from_pool(pool, [3, 12, 0, 10], seed=1).images)
    assert not torch.equal(drawn.images, draw_from_pool(pool, [3, 12, 0, 10], seed=2).images)
    mixer = SyntheticMixer(None, 0.5, "fresh", seed=0, pool=pool)
    real = banded(8, 4, 0)
    assert mixer.per_epoch(real) == 4 and len(mixer.for_epoch(real, 0)) == 4
    assert not torch.equal(mixer.for_epoch(real, 0).images, mixer.for_epoch(real, 1).images)


def test_a_classifier_counts_the_real_and_pool_images_it_is_shown(tmp_path: Path):
    splits = Splits(banded(32, 4, 1), banded(8, 4, 2), banded(16, 4, 3), "official")
    pool = banded(40, 4, 5)
    config = ClassifyConfig(preset="small-cnn", epochs=3, batch_size=10, synthetic_ratio=0.5, device="cpu")
    metrics = train_classifier(config, tmp_path / "mixed", splits=splits, progress_bar=False, pool=pool).metrics
    assert metrics["real_images_shown"] == 3 * 32 and metrics["synthetic_images_shown"] == 3 * 16
    assert metrics["steps"] == 3 * (48 // 10)  # the tail joins the last batch: every image once per epoch
    config.synthetic_only, config.synthetic_ratio = True, 1.0
    metrics = train_classifier(config, tmp_path / "only", splits=splits, progress_bar=False, pool=pool).metrics
    assert metrics["real_images_shown"] == 0 and metrics["synthetic_images_shown"] == 3 * 32
    with pytest.raises(UserError, match="--synthetic-only needs --synthetic GAN_RUN"):
        train_classifier(config, tmp_path / "none", splits=splits, progress_bar=False)


def test_the_best_checkpoint_can_be_sampled(gan_run: Path, tmp_path: Path):
    import shutil

    best = tmp_path / "run"
    shutil.copytree(gan_run, best)
    with pytest.raises(UserError, match="no 'best' checkpoint"):
        SyntheticSource.open(best, ["class0"], torch.device("cpu"), checkpoint="best")
    shutil.copytree(best / "checkpoints" / "last", best / "checkpoints" / "best")
    source = SyntheticSource.open(best, ["class0"], torch.device("cpu"), checkpoint="best")
    assert source.draw(torch.tensor([0, 0]), 3).images.shape == (2, 1, 28, 28)
    with pytest.raises(UserError, match="--synthetic-checkpoint must be one of last, best"):
        SyntheticSource.open(best, ["class0"], torch.device("cpu"), checkpoint="ema")


def test_bf16_autocast_trains_and_scores(tmp_path: Path):
    splits = Splits(banded(32, 4, 1), banded(8, 4, 2), banded(16, 4, 3), "official")
    config = ClassifyConfig(preset="small-cnn", epochs=1, batch_size=16, precision="bf16", device="cpu")
    metrics = train_classifier(config, tmp_path / "bf16", splits=splits, progress_bar=False).metrics
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["config"]["precision"] == "bf16"


def image_keys(images: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images}
