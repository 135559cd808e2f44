"""Tests for fashiongan.data.folders: scanning, decoding odd modes, squaring, the on-disk cache."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

from fashiongan.data import folders
from fashiongan.data.folders import image_to_tensor, load_image_folder, read_image
from fashiongan.data.scan import scan_folder
from fashiongan.errors import UserError

# --- scanning ----------------------------------------------------------------------------------------


def test_scan_classes_sorted_nested_and_hidden(messy_image_folder):
    root = messy_image_folder.root
    scanned = scan_folder(root)
    assert [name for _, name in scanned] == sorted(name for _, name in scanned)
    relative = {p.relative_to(root).as_posix(): name for p, name in scanned}
    assert relative["tops/nested/deeper/deep.png"] == "tops"  # deeper folders belong to the top class
    assert not any("hidden" in path or ".thumbs" in path for path in relative)
    assert "tops/notes.txt" in relative  # bad files are listed; read_image judges them
    assert len(relative) == 13 + 5


def test_scan_survives_a_symlink_loop(tiny_image_folder):
    (tiny_image_folder / "bags" / "loop").symlink_to(tiny_image_folder / "bags")
    assert len(scan_folder(tiny_image_folder)) == 12


def test_scan_flat_folder_is_one_class(tmp_path):
    flat = tmp_path / "sneakers"
    flat.mkdir()
    for i in range(3):
        Image.new("RGB", (5, 5)).save(flat / f"{i}.png")
    assert scan_folder(flat) == [(flat / f"{i}.png", "sneakers") for i in range(3)]
    data = load_image_folder(flat, 28, 1, cache_dir=tmp_path / "cache")
    assert data.class_names == ["sneakers"] and data.labels.tolist() == [0, 0, 0]


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(UserError, match="image folder not found: .*nowhere"):
        load_image_folder(tmp_path / "nowhere", 28, 1)
    (tmp_path / "empty" / "class").mkdir(parents=True)
    with pytest.raises(UserError, match="no image files in .*empty"):
        load_image_folder(tmp_path / "empty", 28, 1)
    (tmp_path / "empty" / "class" / "a.png").write_bytes(b"")
    with pytest.raises(UserError, match="no readable images in .*empty; run `fashiongan data check"):
        load_image_folder(tmp_path / "empty", 28, 1, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"channels": 2}, "channels must be 1 .grayscale. or 3 .RGB.; got 2"),
        ({"square": "fit"}, "square must be 'crop' or 'pad'; got 'fit'"),
        ({"image_size": 0}, "image size must be a positive integer; got 0"),
    ],
)
def test_bad_options(tiny_image_folder, options, message):
    with pytest.raises(UserError, match=message):
        load_image_folder(tiny_image_folder, **{"image_size": 28, "channels": 1, **options})


# --- one file ----------------------------------------------------------------------------------------


def _tensor(path, size=8, channels=3, square="crop"):
    return image_to_tensor(read_image(path), size, channels, square)


def test_odd_modes_are_converted(messy_image_folder):
    tops = messy_image_folder.root / "tops"
    red, white = torch.tensor([255, 0, 0]), torch.tensor([255, 255, 255])
    assert (_tensor(tops / "cmyk.jpg").float().mean((1, 2)) - red).abs().max() < 3  # JPEG: near red
    palette = _tensor(tops / "palette.gif")
    assert torch.equal(palette[:, 0, 0], white) and torch.equal(palette[:, 0, 7], red)  # transparent, red
    assert torch.equal(_tensor(tops / "alpha.png")[:, 0, 0], white)  # fully transparent red
    assert _tensor(tops / "gray_alpha.png", channels=1).unique().tolist() == [255]
    gray16 = _tensor(tops / "gray16.png", channels=1)
    assert gray16.shape == (1, 8, 8) and gray16.unique().tolist() == [128]  # 32896 / 257 = 128, not clipped


def test_rgb_to_gray_and_sizes(messy_image_folder):
    image = _tensor(messy_image_folder.root / "tops" / "rgb.png", size=32, channels=1)
    assert image.shape == (1, 32, 32) and image.dtype == torch.uint8


def test_crop_and_pad(tmp_path):
    pixels = np.zeros((2, 6, 3), dtype=np.uint8)  # 6 wide, 2 high
    pixels[:, 2:4] = 200  # the two middle columns
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    cropped = _tensor(tmp_path / "wide.png", size=2, square="crop")
    assert cropped.unique().tolist() == [200]  # only the center survives a center crop
    padded = _tensor(tmp_path / "wide.png", size=6, square="pad")
    assert padded[:, [0, 1, 4, 5]].unique().tolist() == [255]  # white bands above and below
    assert torch.equal(padded[0, 2:4], torch.from_numpy(pixels[:, :, 0]))


def test_read_image_closes_nothing_left_open(messy_image_folder):
    image = read_image(messy_image_folder.root / "tops" / "palette.gif")
    assert image.size == (8, 8) and image.mode == "P"  # usable after read_image returned


# --- whole folders and the cache ---------------------------------------------------------------------


def test_load_tiny_folder(tiny_image_folder, tmp_path):
    data = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)
    assert data.images.shape == (12, 3, 28, 28) and data.images.dtype == torch.uint8
    assert data.class_names == ["bags", "dresses", "shoes"]
    assert data.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    for label in range(3):  # each class leans to its own colour channel
        assert data.images[data.labels == label, label].float().mean() > 230


def test_bad_files_skipped_with_one_warning(messy_image_folder, tmp_path, fashiongan_caplog):
    root = messy_image_folder.root
    data = load_image_folder(root, 16, 1, square="pad", cache_dir=tmp_path)
    assert len(data) == sum(messy_image_folder.good.values())
    good = messy_image_folder.good
    assert data.labels.bincount().tolist() == [good["shoes"], good["tops"]]
    warnings = [r.getMessage() for r in fashiongan_caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"skipped 5 bad files in {root}; run `fashiongan data check {root}` for the list"]


def test_loose_files_are_ignored_with_a_warning(tiny_image_folder, tmp_path, fashiongan_caplog):
    Image.new("RGB", (4, 4)).save(tiny_image_folder / "stray.png")
    assert len(load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)) == 12
    assert "ignored 1 files directly in" in fashiongan_caplog.text


def test_cache_hit_and_invalidation(tiny_image_folder, tmp_path, monkeypatch):
    calls = []
    real_read_image = folders.read_image
    monkeypatch.setattr(folders, "read_image", lambda path: calls.append(path) or real_read_image(path))
    cache = tmp_path / "cache"
    first = load_image_folder(tiny_image_folder, 28, 3, cache_dir=cache)
    assert len(calls) == 12 and len(list(cache.glob("*.safetensors"))) == 1
    assert len(list(cache.glob("*.json"))) == 1 and not list(cache.glob(".*"))  # no temp files left

    second = load_image_folder(tiny_image_folder, 28, 3, cache_dir=cache)  # unchanged: nothing decoded
    assert len(calls) == 12
    assert torch.equal(first.images, second.images) and torch.equal(first.labels, second.labels)
    assert second.class_names == first.class_names

    load_image_folder(tiny_image_folder, 32, 3, cache_dir=cache)  # other options: decoded again
    assert len(calls) == 24

    touched = tiny_image_folder / "bags" / "0.png"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    load_image_folder(tiny_image_folder, 28, 3, cache_dir=cache)
    assert len(calls) == 36

    Image.new("RGB", (8, 8), (1, 2, 3)).save(tiny_image_folder / "shoes" / "new.png")
    grown = load_image_folder(tiny_image_folder, 28, 3, cache_dir=cache)
    assert len(calls) == 49 and len(grown) == 13


def test_damaged_cache_is_rebuilt(tiny_image_folder, tmp_path):
    first = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)
    (tensors,) = tmp_path.glob("*.safetensors")
    tensors.write_bytes(b"not safetensors")
    again = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)
    assert torch.equal(first.images, again.images)


def test_default_cache_is_the_user_cache(tiny_image_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONGAN_CACHE", str(tmp_path / "user-cache"))
    load_image_folder(tiny_image_folder, 28, 1)
    assert len(list((tmp_path / "user-cache" / "folders").glob("*.safetensors"))) == 1


def test_class_names_fix_the_label_order(tiny_image_folder, tmp_path):
    names = ["a", "bags", "dresses", "shoes"]
    data = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path, class_names=names)
    assert data.class_names == names and data.labels.unique().tolist() == [1, 2, 3]
    with pytest.raises(UserError, match=r"has classes \['shoes'\] that are not in"):
        load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path, class_names=["bags", "dresses"])


def test_the_cache_is_an_npy_file_mapped_back_copy_on_write(tiny_image_folder, tmp_path):
    first = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)
    (npy,) = tmp_path.glob("*.npy")
    on_disk = np.load(npy)  # decoded straight into this file: a folder larger than memory never is in it whole
    assert on_disk.dtype == np.uint8 and np.array_equal(on_disk[: len(first)], first.images.numpy())
    second = load_image_folder(tiny_image_folder, 28, 3, cache_dir=tmp_path)
    assert torch.equal(second.images, first.images) and torch.equal(second.labels, first.labels)
    second.images[0] += 1  # a caller that changes its images changes its own copy, never the cache
    assert np.array_equal(np.load(npy), on_disk)
    batch = second.images.index_select(0, torch.tensor([3, 1]))  # the training loop's batch path
    assert torch.equal(batch, first.images[[3, 1]])


# --- the one decoder: EXIF and padded bombs ------------------------------------------------------------


def test_a_corrupt_exif_block_is_a_bad_file_for_the_check_and_the_loader(tiny_image_folder):
    from fashiongan.data.checks import check_folder

    bad = tiny_image_folder / "bags" / "bad_exif.jpg"
    Image.new("RGB", (8, 8)).save(bad, exif=b"Exif\x00\x00garbage-not-tiff")  # not TIFF data
    with pytest.raises(folders.BadImageError, match=r"corrupt or truncated image \(SyntaxError: not a TIFF file"):
        read_image(bad)
    report = check_folder(tiny_image_folder)
    assert [item.path.name for item in report.bad] == ["bad_exif.jpg"]
    assert len(load_image_folder(tiny_image_folder, 28, 3, cache_dir=tiny_image_folder.parent / "c")) == 12


def test_the_exif_rotation_is_applied_once_by_the_decoder(tmp_path):
    image = Image.new("L", (4, 2), 0)
    image.putpixel((0, 0), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    image.save(tmp_path / "phone.jpg", exif=exif, quality=100)
    upright = read_image(tmp_path / "phone.jpg")
    assert upright.size == (2, 4)
    assert image_to_tensor(upright, 2, 1, "pad").shape == (1, 2, 2)


def test_an_image_too_large_once_padded_square_is_a_bad_file(tmp_path):
    Image.new("L", (20_000, 1), 255).save(tmp_path / "strip.png")  # 20,000 pixels; padded, 400,000,000
    with pytest.raises(folders.BadImageError, match=r"too large once padded square: 20000x1 pads to 20000x20000"):
        read_image(tmp_path / "strip.png")
    assert read_image(tmp_path / "strip.png", max_pixels=None).size == (20_000, 1)
