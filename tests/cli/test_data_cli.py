"""`fashiongan data check` through a subprocess: exit codes, the report, quarantine moves."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from fashiongan.cli import build_parser
from fashiongan.data.checks import check_folder
from fashiongan.errors import UserError


def fashiongan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fashiongan", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_check_good_folder(tiny_image_folder):
    result = fashiongan("data", "check", tiny_image_folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "class    images",
        "bags          4",
        "dresses       4",
        "shoes         4",
        "total        12",
    ]
    assert lines[-1] == "12 good images in 3 classes, 0 bad files"
    assert result.stderr == ""


def test_check_bad_folder_then_quarantine(messy_image_folder, tmp_path):
    root, qdir = messy_image_folder.root, tmp_path / "q"
    result = fashiongan("data", "check", root)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "class  images\nshoes       5\ntops        8\ntotal      13\n" in out
    assert "bad files (5):\n" in out
    for path, words in messy_image_folder.bad.items():
        assert any(line.startswith(f"  {path}: ") and words in line for line in out.splitlines()), path
    assert "13 good images in 2 classes, 5 bad files" in out
    assert "--quarantine QDIR" in out

    result = fashiongan("data", "check", root, "--quarantine", qdir)
    assert result.returncode == 1, result.stderr
    assert f"moved 5 bad files to {qdir}:" in result.stdout
    assert f"  {root / 'tops' / 'empty.png'} -> {qdir / 'tops' / 'empty.png'}" in result.stdout
    assert sorted(p.relative_to(qdir).as_posix() for p in qdir.rglob("*") if p.is_file()) == sorted(
        messy_image_folder.bad
    )

    assert check_folder(root).ok


def run_in_process(*args) -> int:
    """Parse and run without a subprocess (no logging setup, so other tests are not affected)."""
    parsed = build_parser().parse_args([*map(str, args)])
    return parsed.func(parsed)


def test_check_max_pixels(messy_image_folder, capsys):
    assert run_in_process("data", "check", messy_image_folder.root, "--max-pixels", "10000") == 1
    assert "  shoes/bomb.png: too large: 120x100 pixels is over the limit of 10000" in capsys.readouterr().out


def test_check_missing_folder(tmp_path):
    result = fashiongan("data", "check", tmp_path / "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == f"fashiongan: error: image folder not found: {tmp_path / 'nope'} " + (
        "(expected ROOT/<class>/<images>)"
    )
    assert "Traceback" not in result.stderr


def test_quarantine_inside_folder_is_refused(tiny_image_folder):
    (tiny_image_folder / "bags" / "x.png").write_bytes(b"")
    with pytest.raises(UserError, match="would be read as a class"):
        run_in_process("data", "check", tiny_image_folder, "--quarantine", tiny_image_folder / "bad")
    assert (tiny_image_folder / "bags" / "x.png").exists()


def test_check_lists_links_and_leaves_outside_files_alone(linked_folder, tmp_path):
    root, home = linked_folder
    (home / "empty.png").write_bytes(b"")
    before = sorted((p.name, p.read_bytes()) for p in home.iterdir())
    result = fashiongan("data", "check", root, "--quarantine", tmp_path / "q")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    assert "links left out (9; never read, never moved):\n" in out
    assert "  everything: link to /, outside the folder: not followed\n" in out
    assert "  twin: class folder linked to shoes: not followed, so its images are not counted twice\n" in out
    assert out.splitlines()[-1] == "links are left where they are: point them inside DIR or copy the files in, " \
        "if they should count"
    assert "12 good images in 3 classes, 0 bad files, 9 links left out" in out
    assert sorted((p.name, p.read_bytes()) for p in home.iterdir()) == before
    assert not (tmp_path / "q").exists()


def test_names_with_control_characters_stay_on_one_line(tiny_image_folder, capsys):
    (tiny_image_folder / "bags" / "evil\nname\x1b[31m.txt").write_text("x")
    (tiny_image_folder / "new\nclass").mkdir()
    Image.new("RGB", (4, 4)).save(tiny_image_folder / "new\nclass" / "a.png")
    assert run_in_process("data", "check", tiny_image_folder) == 1
    out = capsys.readouterr().out
    assert "  bags/evil\\nname\\x1b[31m.txt: unsupported extension '.txt'\n" in out
    assert "\nnew\\nclass       1\n" in out
    assert "\x1b" not in out
