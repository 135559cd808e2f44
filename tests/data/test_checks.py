"""Tests for fashiongan.data.checks: every kind of bad file is found, quarantine moves without overwriting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from fashiongan.data.checks import BadFile, CheckReport, check_folder, quarantine
from fashiongan.errors import UserError


def _reasons(report):
    return {bad.path.relative_to(report.root).as_posix(): bad.reason for bad in report.bad}


def test_check_finds_every_bad_file(messy_image_folder):
    report = check_folder(messy_image_folder.root)
    assert report.counts == messy_image_folder.good and report.num_good == 13 and not report.ok
    reasons = _reasons(report)
    assert set(reasons) == set(messy_image_folder.bad)
    for path, words in messy_image_folder.bad.items():
        assert words in reasons[path], (path, reasons[path])


def test_decompression_bomb_with_a_lowered_limit(messy_image_folder):
    report = check_folder(messy_image_folder.root, max_pixels=messy_image_folder.bomb_limit)
    assert _reasons(report)[messy_image_folder.bomb] == "too large: 120x100 pixels is over the limit of 10000"
    assert report.counts["shoes"] == messy_image_folder.good["shoes"] - 1


def test_pillow_bomb_error_is_a_bad_file(messy_image_folder, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # Pillow errors above 2x its own limit
    report = check_folder(messy_image_folder.root, max_pixels=None)
    assert "decompression-bomb" in _reasons(report)[messy_image_folder.bomb]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(tiny_image_folder):
    locked = tiny_image_folder / "bags" / "0.png"
    locked.chmod(0)
    try:
        assert _reasons(check_folder(tiny_image_folder)) == {"bags/0.png": "unreadable (permission denied)"}
    finally:
        locked.chmod(0o644)


def test_permission_error_is_a_bad_file(tiny_image_folder, monkeypatch):
    """The same branch as above without needing a non-root user: Pillow's open raises PermissionError."""
    real_open = Image.open

    def open_or_refuse(path, *args, **kwargs):
        if str(path).endswith("dresses/1.png"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", open_or_refuse)
    assert _reasons(check_folder(tiny_image_folder)) == {"dresses/1.png": "unreadable (permission denied)"}


def test_good_folder_is_ok(tiny_image_folder):
    report = check_folder(tiny_image_folder)
    assert report.ok and report.counts == {"bags": 4, "dresses": 4, "shoes": 4}


def test_loose_file_reported(tiny_image_folder):
    Image.new("RGB", (4, 4)).save(tiny_image_folder / "stray.png")
    assert _reasons(check_folder(tiny_image_folder)) == {"stray.png": "not inside a class folder"}


def test_missing_folder(tmp_path):
    with pytest.raises(UserError, match="image folder not found"):
        check_folder(tmp_path / "nope")


def test_quarantine_moves_and_never_overwrites(messy_image_folder, tmp_path):
    root, qdir = messy_image_folder.root, tmp_path / "quarantine"
    report = check_folder(root)
    contents = {bad.path: bad.path.read_bytes() for bad in report.bad}
    (qdir / "tops").mkdir(parents=True)
    (qdir / "tops" / "empty.png").write_bytes(b"older quarantined file")

    moves = quarantine(report, root, qdir)
    assert [src for src, _ in moves] == [bad.path for bad in report.bad]
    for src, dst in moves:
        assert not src.exists() and dst.read_bytes() == contents[src]
    destinations = {src.relative_to(root).as_posix(): dst.relative_to(qdir).as_posix() for src, dst in moves}
    assert destinations["tops/cut.png"] == "tops/cut.png"  # mirrors the relative path
    assert destinations["tops/empty.png"] == "tops/empty.1.png"  # the existing file was kept
    assert (qdir / "tops" / "empty.png").read_bytes() == b"older quarantined file"
    assert check_folder(root).ok and check_folder(root).counts == messy_image_folder.good


def test_quarantine_inside_root_refused_unless_hidden(messy_image_folder):
    root = messy_image_folder.root
    report = check_folder(root)
    with pytest.raises(UserError, match="--quarantine .* is inside .*would be read as a class"):
        quarantine(report, root, root / "bad")
    moves = quarantine(report, root, root / ".quarantine")
    assert len(moves) == 5 and check_folder(root).ok


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_quarantine_never_moves_files_outside_the_folder(linked_folder, tmp_path):
    """The data-loss bug: bad files reached through a link to a home folder were moved into QDIR."""
    root, home = linked_folder
    (home / "empty.png").write_bytes(b"")  # bad, but not ours
    (root / "bags" / "broken.png").write_bytes(b"")  # bad and ours
    before = _tree(home)
    report = check_folder(root)
    assert [bad.path.relative_to(root).as_posix() for bad in report.bad] == ["bags/broken.png"]
    assert len(report.skipped) == 9 and report.counts == {"bags": 4, "dresses": 4, "shoes": 4}
    moves = quarantine(report, root, tmp_path / "q")
    assert [src for src, _ in moves] == [root / "bags" / "broken.png"]
    assert _tree(home) == before


def test_quarantine_refuses_a_path_whose_real_path_is_outside(linked_folder, tmp_path, fashiongan_caplog):
    root, home = linked_folder
    sneaky = root / "bags" / "home" / "taxes.txt"  # a report built by other means: quarantine checks again
    report = CheckReport(root=root, bad=[BadFile(sneaky, "unsupported extension '.txt'")])
    assert quarantine(report, root, tmp_path / "q") == []
    assert (home / "taxes.txt").read_text() == "private" and not (tmp_path / "q").exists()
    assert "its real path is outside" in fashiongan_caplog.text


def test_a_bad_link_is_moved_as_a_link(tiny_image_folder, tmp_path):
    target = tiny_image_folder / ".store" / "notes.txt"
    target.parent.mkdir()
    target.write_text("keep me")
    (tiny_image_folder / "bags" / "notes.txt").symlink_to(target)
    moves = quarantine(check_folder(tiny_image_folder), tiny_image_folder, tmp_path / "q")
    assert [dst.relative_to(tmp_path / "q").as_posix() for _, dst in moves] == ["bags/notes.txt"]
    assert (tmp_path / "q" / "bags" / "notes.txt").is_symlink() and target.read_text() == "keep me"


def test_quarantine_into_a_file_is_refused_before_moving(messy_image_folder, tmp_path):
    (tmp_path / "q").write_text("mine")
    report = check_folder(messy_image_folder.root)
    with pytest.raises(UserError, match="--quarantine .*q is a file, not a folder"):
        quarantine(report, messy_image_folder.root, tmp_path / "q")
    assert all(bad.path.exists() for bad in report.bad)


def test_a_failed_move_says_how_many_were_moved(messy_image_folder, tmp_path, monkeypatch):
    import errno
    import shutil

    real_move, calls = shutil.move, []

    def move_until_full(src, dst):
        calls.append(src)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_move(src, dst)

    monkeypatch.setattr(shutil, "move", move_until_full)
    report = check_folder(messy_image_folder.root)
    with pytest.raises(UserError, match=r"the disk is full .*; moved 2 of 5 bad files before that$"):
        quarantine(report, messy_image_folder.root, tmp_path / "q")
    assert len([p for p in (tmp_path / "q").rglob("*") if p.is_file()]) == 2
    assert sum(bad.path.exists() for bad in report.bad) == 3


def test_a_partial_copy_across_file_systems_is_removed(messy_image_folder, tmp_path, monkeypatch):
    import errno
    import shutil

    def copy_half_then_fail(src, dst):  # what shutil.move does across file systems when the disk fills up
        Path(dst).write_bytes(Path(src).read_bytes()[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "move", copy_half_then_fail)
    report = check_folder(messy_image_folder.root)
    with pytest.raises(UserError, match="moved 0 of 5 bad files before that"):
        quarantine(report, messy_image_folder.root, tmp_path / "q")
    assert all(bad.path.exists() for bad in report.bad)
    assert not [p for p in (tmp_path / "q").rglob("*") if p.is_file()]


def test_quarantine_at_the_folder_itself_is_refused_before_the_scan(tiny_image_folder):
    from fashiongan.data.checks import check_quarantine_dir

    with pytest.raises(UserError, match="is the image folder itself"):
        check_quarantine_dir(tiny_image_folder, tiny_image_folder)
    with pytest.raises(UserError, match="is inside"):
        check_quarantine_dir(tiny_image_folder, tiny_image_folder / "bags" / ".." / "q")
    check_quarantine_dir(tiny_image_folder, tiny_image_folder / ".quarantine")  # hidden: never scanned
