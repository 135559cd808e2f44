"""The one sampling path: a run folder (or a generator) goes in, uint8 images and labels come out.

Training grids, `fashiongan generate`, evaluation and later the web page all sample through here.
Image i is drawn from its own seed (seed + i), so an image does not depend on the batch size or on
how many others are drawn with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fashiongan.errors import UserError
from fashiongan.models.layers import to_uint8
from fashiongan.numbers import parse_class
from fashiongan.run.device import autocast
from fashiongan.run.folder import load_generator, load_run_config

__all__ = ["Samples", "class_labels", "generate", "interpolation_grid", "load_generator", "load_run_config",
           "noise_for_seeds", "resolve_class", "sample", "slerp"]


@dataclass
class Samples:
    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor | None  # int64 (N,) for a conditional model, else None
    class_names: list[str]
    seeds: list[int]


def noise_for_seeds(seeds: Sequence[int], z_dim: int, truncation: float = 1.0) -> torch.Tensor:
    """(len(seeds), z_dim) normal noise of std ``truncation``, row i from its own generator seeded seeds[i].

    A truncation below 1 draws closer to the mode: cleaner, less varied images (Brock et al. 2019 truncate
    by resampling; scaling the noise is the simpler variant, used e.g. by Kingma & Dhariwal 2018 for Glow).
    """
    z = torch.empty(len(seeds), z_dim)
    rng = torch.Generator()  # one generator re-seeded per row: the same numbers as a fresh one per seed
    for row, seed in zip(z, seeds, strict=True):
        torch.randn(z_dim, generator=rng.manual_seed(int(seed)), out=row)
    return z.mul_(truncation) if truncation != 1.0 else z


def sample(
    generator: nn.Module,
    seeds: Sequence[int],
    labels: torch.Tensor | None,
    device: torch.device,
    batch_size: int = 500,
    truncation: float = 1.0,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """uint8 images (N, C, H, W) for ``seeds`` (and ``labels``, one per seed, for a conditional model).

    Runs under inference_mode, in ``dtype`` autocast when given (bf16 sampling is about 1 grey level off).
    """
    was_training = generator.training
    generator.eval()
    try:
        z_all = noise_for_seeds(seeds, generator.z_dim, truncation)
        chunks = []
        with torch.inference_mode(), autocast(device, dtype):
            for start in range(0, len(seeds), batch_size):
                z = z_all[start : start + batch_size].to(device, non_blocking=True)
                batch_labels = None if labels is None else labels[start : start + batch_size].to(device)
                chunks.append(to_uint8(generator(z, batch_labels).float()).cpu())
        if not chunks:
            return torch.empty(0, generator.channels, generator.image_size, generator.image_size, dtype=torch.uint8)
        return torch.cat(chunks)
    finally:
        generator.train(was_training)


def resolve_class(class_index: int | str, class_names: list[str]) -> int:
    """A class given by index or name (case-insensitive) → its index; else a UserError listing them."""
    return parse_class(class_index, class_names)


def class_labels(n: int, num_classes: int, class_index: int | None, start: int = 0) -> torch.Tensor:
    """The label of each image: ``class_index`` for all, or the classes cycling 0..K-1 from image ``start``."""
    if class_index is not None:
        return torch.full((n,), class_index, dtype=torch.int64)
    return torch.arange(start, start + n, dtype=torch.int64) % num_classes


def generate(
    run_dir: str | Path,
    n: int = 64,
    class_index: int | str | None = None,
    seed: int = 0,
    checkpoint: str = "last",
    device: str = "auto",
    batch_size: int = 500,
    seeds: Sequence[int] | None = None,
    truncation: float = 1.0,
    label_start: int = 0,
    module: str | None = None,
) -> Samples:
    """Draw images from a trained run.

    Args:
        run_dir: a folder made by ``fashiongan train``.
        n: how many images (ignored when ``seeds`` is given).
        class_index: a class index or name for a conditional model; None cycles through the classes.
        seed: image i uses seed + i; or pass ``seeds`` explicitly.
        checkpoint: "last" or "best".
        truncation: noise std in (0, 1]; below 1 trades variety for fidelity.
        label_start: cycling classes start as if ``label_start`` images came before (one rank's share).
        module: the checkpoint module to sample ("generator": the raw weights); None: the EMA copy if any.
    """
    if n < 1 and seeds is None:
        raise UserError(f"--n must be at least 1; got {n}")
    if not 0 < truncation <= 1:
        raise UserError(f"--truncation must be in (0, 1]; got {truncation}")
    generator, config, class_names = load_generator(run_dir, checkpoint, device, module)
    seeds = list(seeds) if seeds is not None else list(range(seed, seed + n))
    conditional = config.model.conditional
    if class_index is not None and not conditional:
        raise UserError("this run's model is unconditional: it cannot be asked for a class (drop --class)")
    labels = None
    if conditional:
        index = None if class_index is None else resolve_class(class_index, class_names)
        labels = class_labels(len(seeds), len(class_names), index, label_start)
    images = sample(generator, seeds, labels, next(generator.parameters()).device, batch_size, truncation)
    return Samples(images=images, labels=labels, class_names=class_names, seeds=seeds)


def interpolation_grid(
    run_dir: str | Path,
    rows: int = 8,
    steps: int = 10,
    class_index: int | str | None = None,
    seed: int = 0,
    checkpoint: str = "last",
    device: str = "auto",
    module: str | None = None,
) -> tuple[torch.Tensor, int]:
    """Images that walk (spherically) between pairs of noise vectors: ``rows`` walks of ``steps`` each.

    Returns uint8 images (rows*steps, C, H, W) and the row length, for a grid. For a conditional model
    each row keeps one class (cycling through the classes unless ``class_index`` is given). ``module``
    names the checkpoint module to sample ("generator": the raw weights); None: the EMA copy where there is one.
    """
    generator, config, class_names = load_generator(run_dir, checkpoint, device, module)
    ends = noise_for_seeds(range(seed, seed + 2 * rows), generator.z_dim).view(rows, 2, -1)
    t = torch.linspace(0, 1, steps).view(1, steps, 1)
    z = slerp(ends[:, :1], ends[:, 1:], t).reshape(rows * steps, -1)  # (rows*steps, z_dim)
    labels = None
    if config.model.conditional:
        index = None if class_index is None else resolve_class(class_index, class_names)
        labels = class_labels(rows, len(class_names), index).repeat_interleave(steps)
    elif class_index is not None:
        raise UserError("this run's model is unconditional: it cannot be asked for a class (drop --class)")
    dev = next(generator.parameters()).device
    with torch.no_grad():
        images = to_uint8(generator(z.to(dev), None if labels is None else labels.to(dev))).cpu()
    return images, steps


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: keeps Gaussian noise at a typical norm (White 2016, "Sampling Generative Networks")."""
    a_unit, b_unit = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_unit * b_unit).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b
