"""Images from a conditional GAN run, labelled with the class asked for, mixed in with the real ones.

Sampling goes through ``fashiongan.generate`` (load_generator + sample, the one sampling path), from the
run's ``last`` or ``best`` checkpoint. At ratio R an epoch of N real images gets round(R * N) synthetic
ones, with the real class proportions. ``fresh`` draws new noise every epoch (new seeds); ``cached`` draws
one set and reuses it. A fixed labelled set (a pool: a GAN's images drawn once, or pseudo-labelled real
images) can stand in for the generator: each epoch then takes round(R * n_c) of class c from it, seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.generate import load_generator, sample
from fashiongan.numbers import MAX_SEED

MODES = ("fresh", "cached")
CHECKPOINTS = ("last", "best")
SEED_BASE = 1_000_000_000  # synthetic noise seeds live far from the seeds `generate` users pick


@dataclass
class SyntheticSource:
    """A loaded conditional generator and how its classes map onto the classifier's."""

    generator: nn.Module
    class_map: torch.Tensor  # classifier label -> generator label
    device: torch.device
    run_dir: Path
    truncation: float = 1.0  # noise std (the EMA generator samples when the run has one)

    @classmethod
    def open(cls, run_dir: str | Path, class_names: list[str], device: torch.device,
             truncation: float = 1.0, checkpoint: str = "last") -> SyntheticSource:
        """Load ``run_dir``'s generator from ``checkpoint``; its classes must include every class of the data."""
        if checkpoint not in CHECKPOINTS:
            raise UserError(f"--synthetic-checkpoint must be one of {', '.join(CHECKPOINTS)}; got {checkpoint!r}")
        try:
            generator, config, gan_classes = load_generator(run_dir, checkpoint, device)
        except UserError as exc:
            raise UserError(f"--synthetic {run_dir} is not a usable GAN run: {exc}") from None
        if not config.model.conditional:
            raise UserError(f"--synthetic {run_dir}: the GAN is unconditional, so its images have no class; "
                            "train it without --unconditional")
        if (generator.image_size, generator.channels) != (config.data.image_size, config.data.channels):
            raise UserError(f"--synthetic {run_dir}: its config.json does not match its generator")
        missing = [name for name in class_names if name not in gan_classes]
        if missing:
            raise UserError(f"--synthetic {run_dir} has no class {missing[0]!r}; its classes: {', '.join(gan_classes)}")
        class_map = torch.tensor([gan_classes.index(name) for name in class_names], dtype=torch.int64)
        return cls(generator, class_map, device, Path(run_dir), truncation)

    def check_shape(self, data: ImageDataset) -> None:
        shape = (self.generator.channels, self.generator.image_size)
        if shape != (data.channels, data.image_size):
            raise UserError(f"--synthetic {self.run_dir} makes {shape[1]} px images with {shape[0]} channel(s); "
                            f"the classifier's data is {data.image_size} px with {data.channels}")

    def draw(self, labels: torch.Tensor, first_seed: int) -> ImageDataset:
        """One image per label (classifier labels), image i from noise seed ``first_seed + i``."""
        seeds = range(first_seed, first_seed + len(labels))
        images = sample(self.generator, seeds, self.class_map[labels], self.device, truncation=self.truncation).cpu()
        return ImageDataset(images, labels.clone(), [])


def class_counts(real_labels: torch.Tensor, ratio: float, num_classes: int) -> list[int]:
    """round(ratio * n_c) for each class c, where n_c is its count among ``real_labels``."""
    return [round(ratio * int(n)) for n in torch.bincount(real_labels, minlength=num_classes)]


def synthetic_labels(real_labels: torch.Tensor, ratio: float, num_classes: int) -> torch.Tensor:
    """round(ratio * n_c) labels of each class c, where n_c is its count among ``real_labels``."""
    per_class = class_counts(real_labels, ratio, num_classes)
    return torch.cat([torch.full((n,), c, dtype=torch.int64) for c, n in enumerate(per_class)])


def draw_from_pool(pool: ImageDataset, counts: list[int], seed: int) -> ImageDataset:
    """``counts[c]`` images of each class c from ``pool``, without repeats (all of a class that has fewer).

    Seeded: the same seed draws the same images; each epoch passes its own seed.
    """
    generator = torch.Generator().manual_seed(seed)
    chosen = [torch.empty(0, dtype=torch.int64)]
    for c, wanted in enumerate(counts):
        members = (pool.labels == c).nonzero().flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:wanted]])
    return pool.subset(torch.cat(chosen))


def pool_counts(pool: ImageDataset, counts: list[int]) -> list[int]:
    """How many images ``draw_from_pool`` gives of each class (``counts`` capped by what the pool holds)."""
    held = torch.bincount(pool.labels, minlength=len(counts)).tolist()
    return [min(want, have) for want, have in zip(counts, held, strict=False)]


@dataclass
class ConfidenceFilter:
    """Keeps synthetic images that a classifier (trained on the real images) assigns to the class asked for
    with probability >= ``min_confidence`` (a lever of the study: drop the GAN's off-class images)."""

    model: nn.Module
    min_confidence: float
    device: torch.device

    @torch.no_grad()
    def keep(self, data: ImageDataset) -> torch.Tensor:
        """Boolean mask (N,) of the images to keep."""
        from fashiongan.classify.model import probabilities
        from fashiongan.models.layers import scale_to_unit

        self.model.eval()
        kept = []
        for start in range(0, len(data), 1000):
            images = scale_to_unit(data.images[start : start + 1000].to(self.device))
            probs = probabilities(self.model(images.contiguous(memory_format=torch.channels_last))).cpu()
            asked = data.labels[start : start + 1000]
            kept.append(probs[torch.arange(len(asked)), asked] >= self.min_confidence)
        return torch.cat(kept) if kept else torch.zeros(0, dtype=torch.bool)


@dataclass
class SyntheticMixer:
    """Builds each epoch's synthetic images for a run: fresh seeds per epoch, or one cached set."""

    source: SyntheticSource | None  # None: draw from ``pool``
    ratio: float
    mode: str
    seed: int
    confidence_filter: ConfidenceFilter | None = None
    pool: ImageDataset | None = None  # a fixed labelled set each epoch draws from (instead of the generator)
    _cache: ImageDataset | None = None

    def __post_init__(self) -> None:
        if (self.source is None) == (self.pool is None):
            raise ValueError("a SyntheticMixer needs exactly one of a generator source and a pool")
        if self.mode not in MODES:
            raise UserError(f"--synthetic-mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not 0 < self.ratio <= 100:
            raise UserError(f"--synthetic-ratio must be in (0, 100]; got {self.ratio}")

    def per_epoch(self, real: ImageDataset) -> int:
        """Synthetic images per epoch beside ``real`` (before a confidence filter drops any)."""
        counts = class_counts(real.labels, self.ratio, real.num_classes)
        return sum(pool_counts(self.pool, counts) if self.pool is not None else counts)

    def for_epoch(self, real: ImageDataset, epoch: int) -> ImageDataset:
        """The synthetic images to train on in ``epoch`` (0-based), labelled with the class asked for."""
        if self.pool is not None:
            drawn = draw_from_pool(self.pool, class_counts(real.labels, self.ratio, real.num_classes),
                                   SEED_BASE + self.seed * 10_000_000 + epoch)
            return ImageDataset(drawn.images, drawn.labels, list(real.class_names))
        if self.mode == "cached" and self._cache is not None:
            return self._cache
        assert self.source is not None
        labels = synthetic_labels(real.labels, self.ratio, real.num_classes)
        round_index = 0 if self.mode == "cached" else epoch
        first_seed = SEED_BASE + self.seed * 10_000_000 + round_index * len(labels)
        if first_seed + len(labels) > MAX_SEED:  # only past MAX_CLASSIFIER_SEED, which the flags refuse
            raise UserError(f"--seed {self.seed} is too large for the synthetic images' noise seeds")
        drawn = self.source.draw(labels, first_seed)
        drawn.class_names = list(real.class_names)
        if self.confidence_filter is not None:  # fewer images than the ratio asks for: the rest were off-class
            drawn = drawn.subset(self.confidence_filter.keep(drawn).nonzero().flatten())
        if self.mode == "cached":
            self._cache = drawn
        return drawn
