"""Chunked writers: a streamed .npz reads back like np.savez's; PNG names are made on demand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.sample_files import PngNames, check_folder_free, write_npz


def _chunks(channels: int, labelled: bool):
    generator = torch.Generator().manual_seed(0)
    for size in (4, 4, 3):
        images = torch.randint(0, 256, (size, channels, 6, 5), dtype=torch.uint8, generator=generator)
        yield images, (torch.arange(size) % 3 if labelled else None)


@pytest.mark.parametrize(("channels", "labelled"), [(1, True), (3, False)])
def test_streamed_npz_reads_back(tmp_path, channels, labelled):
    chunks = list(_chunks(channels, labelled))
    assert write_npz(tmp_path / "s.npz", iter(chunks), 11, (channels, 6, 5)) == 11
    arrays = np.load(tmp_path / "s.npz", allow_pickle=False)
    images = torch.cat([c[0] for c in chunks]).numpy()
    expected = images[:, 0] if channels == 1 else images.transpose(0, 2, 3, 1)
    assert arrays["images"].dtype == np.uint8 and np.array_equal(arrays["images"], expected)
    if labelled:
        assert arrays["labels"].dtype == np.int64 and arrays["labels"].tolist() == [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2]
    else:
        assert "labels" not in arrays
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def test_png_names_are_made_on_demand(tmp_path):
    names = PngNames(10**9, lambda i: i % 2, ["Ankle boot", "T-shirt/top"])
    assert names[0] == "ankle-boot_00000.png" and names[999_999_999] == "t-shirt-top_999999999.png"
    assert names.ours("t-shirt-top_00001.png") and not names.ours("ankle-boot_00001.png")
    assert not names.ours("notes.txt") and not PngNames(3, None, []).ours("image_00003.png")
    (tmp_path / "notes.txt").write_text("mine")
    check_folder_free(tmp_path, names)
    (tmp_path / "ankle-boot_00002.png").write_bytes(b"mine")
    with pytest.raises(UserError, match="ankle-boot_00002.png already exists; pass --force"):
        check_folder_free(tmp_path, names)
