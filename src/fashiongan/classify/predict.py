"""Predict the class of image files with a trained classifier run; a bad file is reported, not fatal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fashiongan.classify.checkpoint import load_classifier_weights, load_run
from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.model import build_classifier, probabilities
from fashiongan.data.folders import SUPPORTED_EXTENSIONS, BadImageError, image_to_tensor, read_image
from fashiongan.data.scan import files_below
from fashiongan.errors import UserError
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.device import resolve_device


@dataclass
class Prediction:
    path: Path
    class_name: str | None = None
    probability: float | None = None
    error: str | None = None  # why the file could not be classified


def load_classifier(run_dir: str | Path, device: str = "cpu") -> tuple[nn.Module, ClassifyConfig, list[str]]:
    """The trained model of a classifier run (eval mode), its config and class names."""
    config, class_names = load_run(run_dir)
    model = build_classifier(config.preset, config.channels or 1, config.image_size or 28, len(class_names))
    load_classifier_weights(model, run_dir)
    return model.to(resolve_device(device)).eval(), config, class_names


def expand_inputs(inputs: list[str | Path]) -> list[Path]:
    """Files as given, and the image files under each folder (sorted); a missing path stays, to be reported."""
    paths: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths.extend(p for p in files_below(item) if p.suffix.lower() in SUPPORTED_EXTENSIONS)
        else:
            paths.append(item)
    return paths


def _load(path: Path, config: ClassifyConfig) -> torch.Tensor:
    if not path.exists():
        raise BadImageError("no such file")
    if path.is_dir():
        raise BadImageError("is a folder")
    image = read_image(path)
    return image_to_tensor(image, config.image_size or 28, config.channels or 1, config.square)


@torch.no_grad()
def predict_files(run_dir: str | Path, inputs: list[str | Path], device: str = "cpu") -> list[Prediction]:
    """One Prediction per image file (folders expanded); unreadable files carry an ``error`` instead."""
    model, config, class_names = load_classifier(run_dir, device)
    paths = expand_inputs(inputs)
    if not paths:
        raise UserError(f"no image files found in {', '.join(map(str, inputs))}")
    model_device = next(model.parameters()).device
    results = []
    for path in paths:
        try:
            pixels = _load(path, config)
        except BadImageError as exc:
            results.append(Prediction(path, error=str(exc)))
            continue
        probs = probabilities(model(scale_to_unit(pixels[None].to(model_device))))[0]
        best = int(probs.argmax())
        results.append(Prediction(path, class_names[best], round(float(probs[best]), 4)))
    return results
