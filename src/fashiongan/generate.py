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

from fashiongan.config import RunConfig
from fashiongan.errors import UserError
from fashiongan.io import read_json
from fashiongan.models.build import build_generator
from fashiongan.models.layers import to_uint8
from fashiongan.training.checkpoint import GENERATOR_FILE, load_progress, load_weights, resolve_checkpoint
from fashiongan.training.device import resolve_device


@dataclass
class Samples:
    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor | None  # int64 (N,) for a conditional model, else None
    class_names: list[str]
    seeds: list[int]


def noise_for_seeds(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """(len(seeds), z_dim) standard normal noise, row i drawn from its own generator seeded seeds[i]."""
    rows = [torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return torch.stack(rows) if rows else torch.empty(0, z_dim)


@torch.no_grad()
def sample(
    generator: nn.Module,
    seeds: Sequence[int],
    labels: torch.Tensor | None,
    device: torch.device,
    batch_size: int = 500,
) -> torch.Tensor:
    """uint8 images (N, C, H, W) for ``seeds`` (and ``labels``, one per seed, for a conditional model)."""
    was_training = generator.training
    generator.eval()
    try:
        z_all = noise_for_seeds(seeds, generator.z_dim)
        chunks = []
        for start in range(0, len(seeds), batch_size):
            z = z_all[start : start + batch_size].to(device)
            batch_labels = None if labels is None else labels[start : start + batch_size].to(device)
            chunks.append(to_uint8(generator(z, batch_labels)).cpu())
        if not chunks:
            return torch.empty(0, generator.channels, generator.image_size, generator.image_size, dtype=torch.uint8)
        return torch.cat(chunks)
    finally:
        generator.train(was_training)


def load_run_config(run_dir: str | Path) -> RunConfig:
    return RunConfig.from_dict(read_json(Path(run_dir) / "config.json", "run config"))


def load_generator(
    run_dir: str | Path, checkpoint: str = "last", device: str | torch.device = "cpu"
) -> tuple[nn.Module, RunConfig, list[str]]:
    """Rebuild a run's generator from config.json and a checkpoint's weights (safetensors)."""
    from fashiongan.export.hub import is_model_folder, load_model_folder

    if is_model_folder(run_dir):
        return load_model_folder(run_dir, device)
    run_dir = Path(run_dir)
    folder = resolve_checkpoint(run_dir, checkpoint)
    config = load_run_config(run_dir)
    progress = load_progress(folder)
    if progress.class_names:
        config.model.num_classes = len(progress.class_names)
    generator = build_generator(config)
    load_weights(generator, folder / GENERATOR_FILE)
    device = device if isinstance(device, torch.device) else resolve_device(device)
    return generator.to(device).eval(), config, progress.class_names


def resolve_class(class_index: int | str, class_names: list[str]) -> int:
    """A class given by index or name (case-insensitive) → its index; else a UserError listing them."""
    choices = ", ".join(f"{i}={name}" for i, name in enumerate(class_names))
    if isinstance(class_index, str) and class_index.strip().lstrip("-").isdigit():
        class_index = int(class_index)
    if isinstance(class_index, int):
        if 0 <= class_index < len(class_names):
            return class_index
        raise UserError(f"class index {class_index} is out of range; valid classes: {choices}")
    lowered = {name.lower(): i for i, name in enumerate(class_names)}
    if class_index.lower() in lowered:
        return lowered[class_index.lower()]
    raise UserError(f"unknown class {class_index!r}; valid classes: {choices}")


def class_labels(n: int, num_classes: int, class_index: int | None) -> torch.Tensor:
    """The label of each image: ``class_index`` for all, or the classes cycling 0..K-1."""
    if class_index is not None:
        return torch.full((n,), class_index, dtype=torch.int64)
    return torch.arange(n, dtype=torch.int64) % num_classes


def generate(
    run_dir: str | Path,
    n: int = 64,
    class_index: int | str | None = None,
    seed: int = 0,
    checkpoint: str = "last",
    device: str = "auto",
    batch_size: int = 500,
    seeds: Sequence[int] | None = None,
) -> Samples:
    """Draw images from a trained run.

    Args:
        run_dir: a folder made by ``fashiongan train``.
        n: how many images (ignored when ``seeds`` is given).
        class_index: a class index or name for a conditional model; None cycles through the classes.
        seed: image i uses seed + i; or pass ``seeds`` explicitly.
        checkpoint: "last" or "best".
    """
    if n < 1 and seeds is None:
        raise UserError(f"--n must be at least 1; got {n}")
    generator, config, class_names = load_generator(run_dir, checkpoint, device)
    seeds = list(seeds) if seeds is not None else list(range(seed, seed + n))
    conditional = config.model.conditional
    if class_index is not None and not conditional:
        raise UserError("this run's model is unconditional: it cannot be asked for a class (drop --class)")
    labels = None
    if conditional:
        index = None if class_index is None else resolve_class(class_index, class_names)
        labels = class_labels(len(seeds), len(class_names), index)
    images = sample(generator, seeds, labels, next(generator.parameters()).device, batch_size)
    return Samples(images=images, labels=labels, class_names=class_names, seeds=seeds)


def interpolation_grid(
    run_dir: str | Path,
    rows: int = 8,
    steps: int = 10,
    class_index: int | str | None = None,
    seed: int = 0,
    checkpoint: str = "last",
    device: str = "auto",
) -> tuple[torch.Tensor, int]:
    """Images that walk (spherically) between pairs of noise vectors: ``rows`` walks of ``steps`` each.

    Returns uint8 images (rows*steps, C, H, W) and the row length, for a grid. For a conditional model
    each row keeps one class (cycling through the classes unless ``class_index`` is given).
    """
    generator, config, class_names = load_generator(run_dir, checkpoint, device)
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
