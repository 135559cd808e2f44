"""Read a shareable model folder (config.json, model.safetensors, README.md), as ``from_pretrained`` does.

``export --format hub`` writes these folders (export/hub.py); reading them lives here, in the run-folder
layer, so that ``load_generator`` (and through it generate, serve, export and evaluate) opens a run folder
and a model folder alike without importing the exporter.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from fashiongan.config import RunConfig
from fashiongan.errors import UserError
from fashiongan.io import read_json
from fashiongan.models.build import build_generator
from fashiongan.run.checkpoint import load_weights
from fashiongan.run.device import resolve_device
from fashiongan.schemas import check_model_config, check_model_matches

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT = "fashiongan-generator"
FORMAT_VERSION = 1


def is_model_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder made by ``export --format hub`` (not a training run folder)."""
    config_path = Path(path) / CONFIG_FILE
    if not (config_path.is_file() and (Path(path) / WEIGHTS_FILE).is_file()):
        return False
    try:
        return json.loads(config_path.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def load_model_folder(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[nn.Module, RunConfig, list[str]]:
    """Rebuild the generator of a model folder: (generator in eval mode, RunConfig, class names)."""
    path = Path(path)
    meta = check_model_config(read_json(path / CONFIG_FILE, "model config"), path / CONFIG_FILE, FORMAT,
                              FORMAT_VERSION)
    try:
        config = RunConfig.from_dict(meta["run_config"])
    except UserError as exc:
        raise UserError(f"{path / CONFIG_FILE}: run_config: {exc}") from None
    class_names = list(meta["class_names"])
    if class_names:
        config = config.with_num_classes(len(class_names))
    generator = build_generator(config)
    check_model_matches(meta, {"image_size": generator.image_size, "channels": generator.channels,
                               "z_dim": generator.z_dim, "conditional": config.model.conditional}, path / CONFIG_FILE)
    load_weights(generator, path / WEIGHTS_FILE)
    device = device if isinstance(device, torch.device) else resolve_device(device)
    return generator.to(device, memory_format=torch.channels_last).eval(), config, class_names
