from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fashiongan.viz.grids import make_grid, save_grid


def test_gray_grid_places_each_image_in_its_cell():
    images = torch.stack([torch.full((1, 4, 4), i * 10, dtype=torch.uint8) for i in range(5)])
    grid = make_grid(images, nrow=3, padding=1, pad_value=255)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1)
    assert grid[1, 1] == 0 and grid[1, 6] == 10 and grid[6, 6] == 40
    assert grid[6, 11] == 255  # the sixth cell is empty padding
    assert grid[0].tolist() == [255] * grid.shape[1]


def test_rgb_grid_is_height_width_channels():
    images = torch.zeros(2, 3, 5, 5, dtype=torch.uint8)
    images[1, 0] = 200
    grid = make_grid(images, nrow=2, padding=0)
    assert grid.shape == (5, 10, 3) and grid[0, 7].tolist() == [200, 0, 0]


def test_non_uint8_input_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        make_grid(torch.zeros(1, 1, 4, 4), nrow=1)


def test_save_grid_writes_a_scaled_png(tmp_path: Path):
    images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    path = save_grid(images, tmp_path / "g.png", nrow=2, padding=0, scale=3)
    picture = Image.open(path)
    assert picture.size == (48, 48) and picture.mode == "L"
    assert np.array(picture)[0, 0] == images[0, 0, 0, 0].item()
