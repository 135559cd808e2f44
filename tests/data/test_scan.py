"""Tests for fashiongan.data.scan: a scan never leaves ROOT, and every link it leaves out is listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from fashiongan.data.folders import load_image_folder
from fashiongan.data.scan import scan, scan_folder
from fashiongan.errors import UserError


def _reasons(root: Path) -> dict[str, str]:
    return {item.path.relative_to(root).as_posix(): item.reason for item in scan(root).skipped}


def test_links_are_listed_and_never_followed_out(linked_folder):
    root, home = linked_folder
    files = scan_folder(root)
    assert sorted({name for _, name in files}) == ["bags", "dresses", "shoes"]
    assert len(files) == 12  # nothing from home/, from /, from the twin, nor the duplicate link
    assert all(Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)) for path, _ in files)
    reasons = _reasons(root)
    assert reasons == {
        "bags/holiday.png": f"link to {os.path.realpath(home / 'holiday.png')}, outside the folder: not followed",
        "bags/home": f"link to {os.path.realpath(home)}, outside the folder: not followed",
        "dresses/same.png": "link to bags/0.png, which is counted already: skipped",
        "dresses/up": "folder link to ROOT itself: not followed (images are counted where they are)",
        "everything": "link to /, outside the folder: not followed",
        "shoes/gone.png": f"dangling link (to {root.parent / 'nowhere.png'}): skipped",
        "shoes/loop_a": "link loop: skipped",
        "shoes/loop_b": "link loop: skipped",
        "twin": "class folder linked to shoes: not followed, so its images are not counted twice",
    }


def test_a_file_link_inside_root_is_read_once(tiny_image_folder):
    store = tiny_image_folder / ".store"
    store.mkdir()
    Image.new("RGB", (5, 5)).save(store / "extra.png")  # hidden: only reachable through the link
    (tiny_image_folder / "bags" / "extra.png").symlink_to(store / "extra.png")
    result = scan(tiny_image_folder)
    assert len(result.files) == 13 and not result.skipped


def test_training_data_warns_about_left_out_links(linked_folder, tmp_path, fashiongan_caplog):
    root, _ = linked_folder
    data = load_image_folder(root, 28, 3, cache_dir=tmp_path / "cache")
    assert len(data) == 12 and data.class_names == ["bags", "dresses", "shoes"]
    warnings = [r.getMessage() for r in fashiongan_caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith(f"left out 9 links in {root}: bags/holiday.png (link to ")
    assert warnings[0].endswith(f"and 6 more; run `fashiongan data check {root}` for the list")


def test_a_linked_root_is_scanned_like_the_folder(tiny_image_folder, tmp_path):
    link = tmp_path / "link-to-images"
    link.symlink_to(tiny_image_folder)
    result = scan(link)
    assert len(result.files) == 12 and not result.skipped


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 folder")
def test_an_unreadable_class_folder_is_listed(tiny_image_folder):
    (tiny_image_folder / "bags").chmod(0)
    try:
        assert "unreadable folder" in _reasons(tiny_image_folder)["bags"]
    finally:
        (tiny_image_folder / "bags").chmod(0o755)


def test_unreadable_root_is_a_user_error(tiny_image_folder, monkeypatch):
    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(UserError, match="cannot read the image folder .*Permission denied"):
        scan(tiny_image_folder)


def test_a_folder_of_only_outside_links_names_them_in_the_error(tmp_path):
    (tmp_path / "home").mkdir()
    Image.new("RGB", (5, 5)).save(tmp_path / "home" / "a.png")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "shoes").symlink_to(tmp_path / "home")
    words = r"no image files in .*root .*; links left out: shoes \(link to .*home, outside"
    with pytest.raises(UserError, match=words):
        load_image_folder(tmp_path / "root", 28, 3, cache_dir=tmp_path / "cache")


def test_a_folder_1100_levels_deep_is_walked_without_recursion(tmp_path):
    from fashiongan.data.scan import files_below
    from tests.cli.hostile_files import make_deep, remove_deep

    root = make_deep(tmp_path)
    try:
        assert [path.name for path, _ in scan(root).files] == ["deep.png", "top.png"]  # tops/d/... < tops/top.png
        assert [path.name for path in files_below(root)] == ["deep.png", "top.png"]
    finally:
        remove_deep(root)  # pytest's own clean-up would recurse per level
