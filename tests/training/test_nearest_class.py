"""--init-start nearest: a new class starts as the source class the source D's class head sees in its images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import load_tensors
from fashiongan.training.loop import train
from fashiongan.training.nearest_class import nearest_source_classes

from .conftest import tiny_config
from .test_init_from import MODERN


class BrightnessD(nn.Module):
    """A discriminator whose features are (brightness, darkness) of the image, read by a class head."""

    def __init__(self) -> None:
        super().__init__()
        self.class_head = nn.Linear(2, 3)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        bright = images.mean(dim=(1, 2, 3))
        return self.class_head(torch.stack([bright, -bright], dim=1))


def test_each_new_class_takes_the_source_class_its_images_look_like():
    images = torch.cat([torch.full((5, 1, 4, 4), 250, dtype=torch.uint8), torch.full((5, 1, 4, 4), 5,
                                                                                      dtype=torch.uint8)])
    labels = torch.tensor([1] * 5 + [2] * 5)
    head = {"weight": torch.tensor([[8.0, 0.0], [0.0, 8.0]]), "bias": torch.zeros(2)}  # source: light, dark
    nearest = nearest_source_classes(BrightnessD(), head, images, labels, ["light", "snow", "coal"],
                                     ["light", "dark"])
    assert nearest == {"snow": "light", "coal": "dark"}  # "light" is not new: it keeps its own rows
    assert nearest_source_classes(nn.Linear(2, 2), head, images, labels, ["snow", "coal"], ["light", "dark"]) == {}


def test_a_run_records_and_uses_the_nearest_source_classes(tmp_path: Path, tiny_data: ImageDataset):
    train(tiny_config(**MODERN), tmp_path / "source", data=tiny_data, progress_bar=False)
    data = ImageDataset(tiny_data.images, tiny_data.labels, ["a", "b", "x", "y"])
    config = tiny_config(**MODERN, **{"train.init_from": str(tmp_path / "source"), "train.init_start": "nearest",
                                      "train.lr_g": 1e-8, "train.lr_d": 1e-8})
    train(config, tmp_path / "tuned", data=data, progress_bar=False)
    record = json.loads((tmp_path / "tuned" / "init_from.json").read_text())
    assert record["new_classes_chosen_by"] == "nearest"
    start_as = record["new_classes_start_as"]
    assert set(start_as) == {"x", "y"} and set(start_as.values()) <= {"a", "b", "c", "d"}
    key = "blocks.0.norm.gain.weight"
    before = load_tensors(tmp_path / "source" / "checkpoints" / "last" / "generator.safetensors")[key]
    after = load_tensors(tmp_path / "tuned" / "checkpoints" / "last" / "generator.safetensors")[key]
    for row, name in ((2, "x"), (3, "y")):
        torch.testing.assert_close(after[row], before["abcd".index(start_as[name])], atol=1e-6, rtol=0)


def test_init_start_without_a_source_is_one_line():
    with pytest.raises(UserError, match="needs --init-from"):
        tiny_config(**{"train.init_start": "nearest"})
