"""What the loop records: per-epoch means, sample grids, optional evaluation and TensorBoard, final plots."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.config import RunConfig
from fashiongan.errors import UserError
from fashiongan.generate import class_labels, sample
from fashiongan.run.checkpoint import TrainingProgress
from fashiongan.training.state import GANState
from fashiongan.viz.animation import make_gif
from fashiongan.viz.grids import save_grid
from fashiongan.viz.plots import plot_training

log = logging.getLogger(__name__)


class EpochMeter:
    """Running sums of the step statistics, kept as tensors on the device: no host sync per step."""

    def __init__(self, sums: dict[str, float] | None = None, batches: int = 0) -> None:
        self.sums = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in (sums or {}).items()}
        self.batches = batches
        self.images = 0
        self.start = time.perf_counter()

    def add(self, stats: dict[str, torch.Tensor], batch_size: int, units: int = 1) -> None:
        """One step's statistics; a step that joined ``units`` batches (a growing batch) counts that many times,
        so the epoch's means stay means over its batches, weighted by images."""
        for key, value in stats.items():
            total = self.sums.get(key)
            value = value.detach().double() * units
            self.sums[key] = value if total is None else total.to(value.device) + value
        self.batches += units
        self.images += batch_size

    def sums_as_floats(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.sums.items()}

    def means(self) -> dict[str, float]:
        """Mean per step; penalty terms run every K steps, so theirs is a mean over the steps that ran them."""
        return {k: v / max(1, self.batches) for k, v in self.sums_as_floats().items()}

    def finite(self) -> bool:
        return all(math.isfinite(v) for v in self.sums_as_floats().values())

    def images_per_second(self) -> float:
        return self.images / max(1e-9, time.perf_counter() - self.start)

    def live_summary(self) -> str:
        m = self.means()
        if "d_loss" not in m:
            return ""
        return (f"D {m['d_loss']:.3f} G {m['g_loss']:.3f} acc r/f {m['d_acc_real']:.2f}/{m['d_acc_fake']:.2f} "
                f"{self.images_per_second():.0f} img/s")

    def record(self, epoch: int, step: int, state: GANState) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "step": step,
            "batches": self.batches,
            **{k: round(v, 6) for k, v in self.means().items()},
            "lr_g": state.opt_g.param_groups[0]["lr"],
            "lr_d": state.opt_d.param_groups[0]["lr"],
            "images_per_s": round(self.images_per_second(), 1),
            "epoch_time_s": round(time.perf_counter() - self.start, 2),
        }

    @staticmethod
    def summary(record: dict[str, Any]) -> str:
        text = (f"D {record['d_loss']:.3f} G {record['g_loss']:.3f} "
                f"acc r/f {record['d_acc_real']:.2f}/{record['d_acc_fake']:.2f}")
        return text + (f" FID {record['fid']:.2f}" if "fid" in record else "")


def save_epoch_grid(
    generator: nn.Module,
    seeds: list[int],
    labels: torch.Tensor | None,
    columns: int,
    run_dir: Path,
    epoch: int,
    device: torch.device,
) -> torch.Tensor:
    """Draw the fixed-noise grid, save it as samples/epoch_NNNN.png, and return the uint8 images."""
    images = sample(generator, seeds, labels, device)
    scale = max(1, 2 * 28 // images.shape[-1])  # small images are enlarged for viewing
    save_grid(images, run_dir / "samples" / f"epoch_{epoch:04d}.png", nrow=columns, scale=scale)
    return images


def finish_run_outputs(run_dir: Path, records: list[dict[str, Any]]) -> list[Path]:
    """losses.png, accuracy.png, fid.png (if evaluated) and progress.gif."""
    outputs = plot_training(records, run_dir)
    frames = sorted((run_dir / "samples").glob("epoch_*.png"))
    gif = make_gif(frames, run_dir / "progress.gif")
    return outputs + ([gif] if gif else [])


class InTrainingEvaluator:
    """Every ``eval_every`` epochs: quick metrics on ``eval_n`` samples; tracks the best FID."""

    def __init__(self, config: RunConfig, device: torch.device) -> None:
        from fashiongan.evaluation.features import load_evaluator

        if config.data.source != "fmnist" and not config.train.evaluator:
            raise UserError("--eval-every on a folder dataset needs --evaluator PATH; make one with "
                            "`fashiongan evaluator train --data DIR --out PATH`")
        self.config, self.device = config, device
        self.evaluator = load_evaluator(config.train.evaluator, device=device)

    @classmethod
    def maybe(cls, config: RunConfig, device: torch.device) -> InTrainingEvaluator | None:
        return cls(config, device) if config.train.eval_every > 0 else None

    def run(self, generator: nn.Module, epoch: int, record: dict[str, Any], progress: TrainingProgress,
            last: bool = False) -> bool:
        """Add the numbers to ``record``; True when this epoch's FID is the best so far."""
        from fashiongan.evaluation.quick import quick_evaluate

        train = self.config.train
        if epoch % train.eval_every != 0 and not last:
            return False
        n = train.eval_n
        labels = class_labels(n, self.config.model.num_classes, None) if self.config.model.conditional else None
        images = sample(generator, range(10_000_000, 10_000_000 + n), labels, self.device)  # fixed eval seeds
        numbers = quick_evaluate(images, labels, self.config.data, evaluator=self.evaluator, device=self.device)
        record.update({k: v for k, v in numbers.items() if isinstance(v, (int, float))})
        fid = numbers.get("fid")
        if fid is not None and (progress.best_fid is None or fid < progress.best_fid):
            progress.best_fid = float(fid)
            return True
        return False


class GridHealth:
    """Health signals in every epoch record, with a warning when they look wrong.

    - ``d_real_sign``: E[sign D(real)], the overfitting heuristic of ADA (Karras et al. 2020, sec. 3): above
      0.6 the discriminator is sure of every real image, which usually means it memorises them.
    - ``grid_class_accuracy`` and ``grid_class_histogram``: the evaluator's predictions on the fixed-noise
      grid (one row per class); samples that collapse onto few classes show up here first.
    """

    OVERFIT_SIGN = 0.6

    def __init__(self, config: RunConfig, device: torch.device) -> None:
        from fashiongan.evaluation.features import load_evaluator

        self.net, info = load_evaluator(config.train.evaluator, device=device)
        self.device, self.num_classes = device, config.model.num_classes
        if info.num_classes != self.num_classes or info.channels != config.data.channels:
            raise UserError("the evaluator does not fit this data (classes or channels differ)")

    @classmethod
    def maybe(cls, config: RunConfig, device: torch.device) -> GridHealth | None:
        """Only where an evaluator fits: Fashion-MNIST (shipped) or a folder run with --evaluator."""
        if not config.model.conditional or (config.data.source != "fmnist" and not config.train.evaluator):
            return None
        try:
            return cls(config, device)
        except UserError as exc:
            log.warning("no grid health checks: %s", exc)
            return None

    def check(self, images: torch.Tensor, labels: torch.Tensor, record: dict[str, Any]) -> None:
        from fashiongan.evaluation.classes import class_accuracy, predicted_classes, predicted_histogram
        from fashiongan.evaluation.features import compute_features

        _, probs = compute_features(self.net, images, device=self.device)
        predicted = predicted_classes(probs)
        histogram = predicted_histogram(predicted, self.num_classes)
        record["grid_class_accuracy"] = round(class_accuracy(labels.numpy(), predicted), 4)
        record["grid_class_histogram"] = histogram.tolist()
        used = int((histogram > 0).sum())
        if record["epoch"] >= 2 and used < max(2, self.num_classes // 2):
            log.warning("epoch %d: the grid's samples fall into only %d of %d classes (mode collapse?)",
                        record["epoch"], used, self.num_classes)
        sign = record.get("d_real_sign")
        if sign is not None and sign > self.OVERFIT_SIGN and record["epoch"] >= 2 and "augment_p" not in record:
            log.warning("epoch %d: D is sure of almost every real image (E[sign D(real)] = %.2f > %.1f): it may be "
                        "overfitting; try --augment ada, or more data", record["epoch"], sign,
                        self.OVERFIT_SIGN)


class Tensorboard:
    """Optional TensorBoard scalars (``--tensorboard``; needs the tensorboard package)."""

    def __init__(self, run_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            hint = "pip install 'fashiongan[tensorboard]'"
            raise UserError(f"--tensorboard needs the tensorboard package: {hint}") from None
        self.writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))

    @classmethod
    def maybe(cls, config: RunConfig, run_dir: Path) -> Tensorboard | None:
        return cls(run_dir) if config.train.tensorboard else None

    def log(self, record: dict[str, Any]) -> None:
        for key, value in record.items():
            if key not in ("epoch", "step") and isinstance(value, (int, float)):
                self.writer.add_scalar(key, value, record["epoch"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
