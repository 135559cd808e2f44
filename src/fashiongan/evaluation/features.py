"""Load the evaluator network (shipped or user-trained) and turn uint8 images into features.

An evaluator is two files side by side: ``NAME.safetensors`` (the weights) and ``NAME.json``
(what made them: classes, image size, accuracy, the command and seed, and the weights' sha256).
The sha256 is checked at every load, so metrics are never computed with a silently changed network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from fashiongan.errors import UserError
from fashiongan.evaluation.network import EvaluatorNet
from fashiongan.io import read_json, save_tensors, sha256_file, write_json
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.checkpoint import load_weights
from fashiongan.schemas import check_evaluator_facts

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "fmnist_evaluator.safetensors"
FORMAT = "fashiongan-evaluator/1"
PROGRESS_MIN_IMAGES = 10_000  # show a progress bar only for feature passes at least this large
TRAIN_HINT = "fashiongan evaluator train --out PATH"
REQUIRED_FACTS = (
    "sha256", "class_names", "image_size", "channels", "feature_dim", "test_accuracy", "command", "seed",
)  # fmt: skip


@dataclass
class EvaluatorInfo:
    """The facts recorded beside an evaluator's weights (its ``.json`` file)."""

    sha256: str
    class_names: list[str]
    image_size: int
    channels: int
    feature_dim: int
    test_accuracy: float  # on the test split, or on the held-out validation split (see eval_split)
    command: str
    seed: int
    path: Path | None = None  # the .safetensors file
    eval_split: str = "test"  # "test" or "val" (a seeded 10% held out of a folder without test/)
    extra: dict[str, Any] = field(default_factory=dict)  # epochs, train time, date, torch version, ...

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_json(self) -> dict[str, Any]:
        facts = {"format": FORMAT, "weights": self.path.name if self.path else None}
        facts.update({k: v for k, v in dataclasses.asdict(self).items() if k not in ("path", "extra")})
        facts.update(self.extra)
        return facts

    @classmethod
    def from_json(cls, facts: dict[str, Any], path: Path) -> EvaluatorInfo:
        names = [f.name for f in dataclasses.fields(cls) if f.name not in ("path", "extra")]
        missing = [name for name in REQUIRED_FACTS if name not in facts]
        if missing or facts.get("format") != FORMAT:
            what = ", ".join(missing) or "format"
            raise UserError(f"{json_path_for(path)} is not a {FORMAT} description (missing: {what})")
        check_evaluator_facts(facts, json_path_for(path))
        extra = {k: v for k, v in facts.items() if k not in names and k not in ("format", "weights")}
        return cls(**{k: facts[k] for k in names if k in facts}, path=path, extra=extra)


def json_path_for(weights_path: str | Path) -> Path:
    """The description file beside ``weights_path``: same folder, same stem, ``.json``."""
    return Path(weights_path).with_suffix(".json")


def save_evaluator(net: EvaluatorNet, info: EvaluatorInfo, out: str | Path) -> EvaluatorInfo:
    """Write ``out`` (.safetensors), then its ``.json``, both atomically.

    Returns ``info`` with ``sha256`` and ``path`` filled in.
    """
    out = Path(out)
    save_tensors(out, net.state_dict(), metadata={"format": FORMAT})
    info = dataclasses.replace(info, sha256=sha256_file(out), path=out)
    write_json(json_path_for(out), info.to_json())
    return info


def _missing_weights_message(path: Path, shipped: bool) -> str:
    if shipped:
        return f"the shipped evaluator weights {path} are missing; reinstall fashiongan or run `{TRAIN_HINT}`"
    return f"evaluator weights not found: {path}; train them with `{TRAIN_HINT}`"


def read_evaluator_info(path: str | Path | None = None) -> EvaluatorInfo:
    """Read an evaluator's description (None: the shipped one) and verify the weights' sha256.

    A missing file, an incomplete description or a hash mismatch is a ``UserError``.
    """
    shipped = path is None
    path = SHIPPED_WEIGHTS if path is None else Path(path)
    if not path.is_file():
        raise UserError(_missing_weights_message(path, shipped))
    info = EvaluatorInfo.from_json(read_json(json_path_for(path), what="evaluator description"), path)
    actual = sha256_file(path)
    if actual != info.sha256:
        raise UserError(
            f"evaluator weights {path} do not match the sha256 in {json_path_for(path).name} "
            f"(expected {info.sha256[:12]}..., got {actual[:12]}...); retrain them with `{TRAIN_HINT}`"
        )
    return info


def load_evaluator(
    path: str | Path | None = None, device: str | torch.device = "cpu"
) -> tuple[EvaluatorNet, EvaluatorInfo]:
    """The evaluator at ``path`` (None: the shipped Fashion-MNIST one), hash-checked, in eval mode.

    Returns (network, info). Weights that do not fit ``EvaluatorNet`` are a ``UserError``.
    """
    info = read_evaluator_info(path)
    net = EvaluatorNet(in_channels=info.channels, num_classes=info.num_classes, feature_dim=info.feature_dim)
    load_weights(net, info.path, model="this version's EvaluatorNet", what="evaluator weights")
    return net.to(torch.device(device)).eval(), info


def _check_images(net: EvaluatorNet, images: torch.Tensor) -> None:
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(f"expected uint8 images (N, C, H, W); got {images.dtype} {tuple(images.shape)}")
    if images.shape[1] != net.in_channels:
        raise UserError(
            f"the evaluator takes {net.in_channels}-channel images but got {images.shape[1]}-channel ones; "
            f"use an evaluator trained on this data (`{TRAIN_HINT}`) or match --channels"
        )
    if min(images.shape[2:]) < 28:
        raise UserError(f"the evaluator needs images of at least 28x28 pixels; got {tuple(images.shape[2:])}")


@torch.no_grad()
def compute_features(
    net: EvaluatorNet, images: torch.Tensor, batch_size: int = 500, device: str | torch.device = "cpu",
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features and class probabilities of uint8 ``images`` (N, C, H, W).

    Images are scaled to [-1, 1] on the device (x / 127.5 - 1). The network runs in eval mode
    (moved to ``device``; its train/eval mode is restored afterwards), so results do not depend on
    ``batch_size``. Returns float64 arrays: features (N, feature_dim) and probabilities (N, num_classes).
    """
    _check_images(net, images)
    device = torch.device(device)
    was_training = net.training
    net.to(device, memory_format=torch.channels_last).eval()  # channels-last convolutions: faster on CPUs
    features, probs = [], []
    starts = range(0, len(images), batch_size)
    quiet = len(images) < PROGRESS_MIN_IMAGES or not progress
    for start in tqdm(starts, desc="features", unit="batch", leave=False, disable=quiet):
        batch = scale_to_unit(images[start : start + batch_size].to(device))
        logits, feats = net.forward_features(batch.contiguous(memory_format=torch.channels_last))
        features.append(feats.double().cpu())
        probs.append(torch.softmax(logits.double(), dim=1).cpu())
    net.train(was_training)
    if not features:
        return np.zeros((0, net.feature_dim)), np.zeros((0, net.num_classes))
    return torch.cat(features).numpy(), torch.cat(probs).numpy()
