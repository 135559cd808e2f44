"""`fashiongan generate` in-process: chunked outputs equal the library's images; every bad output is one line."""

from __future__ import annotations

import errno
import importlib
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

import fashiongan.cli.generate as generate_cli
from fashiongan import generate
from fashiongan.cli import main


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """``fashiongan ARGS`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main([*map(str, args)])
    except SystemExit as exc:  # argparse rejects a flag: usage line, then one error line
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(capsys, args, words: str) -> str:
    """Exit 2 and one error line (argparse prints its usage before it); no traceback."""
    code, _, err = run_cli(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert re.match(r"fashiongan( [a-z]+)*: error: ", lines[-1]), err
    assert len(lines) == 1 or lines[0].startswith("usage:"), err
    assert words in lines[-1], err
    return err


def test_npz_and_folder_are_written_in_chunks_and_match_the_library(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(generate_cli, "CHUNK", 4)
    sizes = []
    library = importlib.import_module("fashiongan.generate")  # the module (the package attribute is the function)
    original = library.sample
    monkeypatch.setattr(library, "sample",
                        lambda g, seeds, *a, **k: sizes.append(len(seeds)) or original(g, seeds, *a, **k))
    expected = generate(tiny_run.run_dir, n=10, seed=5, device="cpu")
    sizes.clear()
    code, out, _ = run_cli(capsys, "generate", tiny_run.run_dir, "--n", 10, "--seed", 5, "--device", "cpu",
                           "--out", tmp_path / "g.npz")
    assert code == 0 and "Wrote 10 images" in out
    assert sizes == [4, 4, 2]  # memory is bounded by the chunk, not by --n
    arrays = np.load(tmp_path / "g.npz", allow_pickle=False)
    assert np.array_equal(arrays["images"], expected.images[:, 0].numpy())
    assert arrays["labels"].dtype == np.int64 and arrays["labels"].tolist() == expected.labels.tolist()

    assert run_cli(capsys, "generate", tiny_run.run_dir, "--seeds", "5-14", "--class", "3", "--device", "cpu",
                   "--out", tmp_path / "pngs")[0] == 0
    names = sorted(p.name for p in (tmp_path / "pngs").iterdir())
    assert names == [f"dress_{i:05d}.png" for i in range(10)]  # class 3 of Fashion-MNIST
    one_class = generate(tiny_run.run_dir, seeds=range(5, 15), class_index=3, device="cpu")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "pngs" / names[7])), one_class.images[7, 0].numpy())


def test_a_huge_grid_is_refused_before_any_work(tiny_run, tmp_path, capsys):
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--n", 1_000_000, "--out", tmp_path / "g.png"],
                          "a PNG grid of 1,000,000 images is too large (at most 10,000); write them to an .npz")
    assert not (tmp_path / "g.png").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--seed", 2**63], "must be at most 9223372036854775807"),
        (["--seed", 2**64 + 5], "must be at most"),
        (["--seed", 2**63 - 5, "--n", 10], "goes past the largest seed"),
        (["--seeds", f"{2**63 - 2}-{2**63 + 3}"], "seeds must be at most 2**63 - 1"),
        (["--seeds", "0-99999999999"], "at most 1,000,000 seeds in a list"),
        (["--seeds", "1-5", "--n", 3], "give --n (images from seeds S, S+1, ...) or --seeds LIST, not both"),
        (["--interpolate", "--seeds", "1-5"], "drop --seeds and --nrow"),
        (["--interpolate", "--n", 5000], "a PNG grid of 50,000 images is too large"),
    ],
)
def test_bad_seed_requests_are_one_line_errors(tiny_run, tmp_path, capsys, args, words):
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, *args, "--out", tmp_path / "g.png"], words)
    assert list(tmp_path.iterdir()) == []


def test_interpolate_uses_n_as_the_number_of_walks(tiny_run, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "generate", tiny_run.run_dir, "--interpolate", "--n", 3, "--device", "cpu",
                           "--out", tmp_path / "walk.png")
    assert code == 0 and "(3 walks of 10)" in out
    width, height = Image.open(tmp_path / "walk.png").size
    assert (height, width) == (2 * (3 * 30 + 2), 2 * (10 * 30 + 2))  # 28 px + 2 padding, scaled x2


def test_outputs_that_cannot_be_written(tiny_run, tmp_path, capsys, read_only):
    (tmp_path / "a.png").mkdir()
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--out", tmp_path / "a.png"], "is a folder")
    (tmp_path / "notes").write_text("mine")
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--out", tmp_path / "notes"],
                          "is a file, not a folder")
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--out", tmp_path / "notes" / "g.npz"],
                          "is a file, not a folder")
    assert (tmp_path / "notes").read_text() == "mine"
    locked = read_only(tmp_path / "locked")
    for out in ("g.png", "g.npz", "pngs"):
        assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--out", locked / out], "permission denied")
    assert list(locked.iterdir()) == []


def _fill_disk_after(monkeypatch, target, name: str, calls: int) -> None:
    """Make ``target.name`` raise "No space left on device" from its ``calls``-th call on."""
    real = getattr(target, name)
    count = {"n": 0}

    def full(*args, **kwargs):
        count["n"] += 1
        if count["n"] >= calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, full)


def test_disk_full_while_streaming_an_npz(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(generate_cli, "CHUNK", 4)
    _fill_disk_after(monkeypatch, zipfile._ZipWriteFile, "write", 3)
    err = assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--n", 20, "--device", "cpu",
                                         "--out", tmp_path / "g.npz"], "the disk is full")
    assert "g.npz" in err and list(tmp_path.iterdir()) == []  # no partial file, no temporary file


def test_disk_full_while_saving_a_grid(tiny_run, tmp_path, capsys, monkeypatch):
    _fill_disk_after(monkeypatch, Image.Image, "save", 1)
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--device", "cpu", "--out", tmp_path / "g.png"],
                          "cannot write")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_part_way_through_a_folder_says_how_many_were_written(tiny_run, tmp_path, capsys, monkeypatch):
    _fill_disk_after(monkeypatch, Image.Image, "save", 4)
    out = tmp_path / "pngs"
    err = assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--n", 6, "--device", "cpu", "--out", out],
                                "the disk is full")
    assert "; 3 of 6 images were written to" in err
    assert len(list(out.iterdir())) == 3


def test_an_existing_image_in_the_folder_is_not_overwritten(tiny_run, tmp_path, capsys):
    out = tmp_path / "pngs"
    out.mkdir()
    (out / "trouser_00001.png").write_bytes(b"mine")
    assert_one_line_error(capsys, ["generate", tiny_run.run_dir, "--n", 3, "--out", out],
                          "trouser_00001.png already exists; pass --force")
    assert [p.name for p in out.iterdir()] == ["trouser_00001.png"]
