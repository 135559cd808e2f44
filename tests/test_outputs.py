"""outputs.py: commands write into new or empty folders, their own, or with --force; folders appear whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashiongan.errors import UserError
from fashiongan.outputs import check_output_folder, check_stays_inside, inside_run, staged_folder


def _never(folder: Path) -> bool:
    return False


def test_new_empty_own_or_forced_folders_are_accepted(tmp_path):
    check_output_folder(tmp_path / "new", False, _never)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("the system's")
    check_output_folder(tmp_path / "empty", False, _never)
    (tmp_path / "mine" / "checkpoints").mkdir(parents=True)
    check_output_folder(tmp_path / "mine", False, lambda folder: (folder / "checkpoints").is_dir())
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "config.json").write_text("{}")
    check_output_folder(tmp_path / "theirs", True, _never)


def test_a_folder_of_other_files_is_refused_without_force(tmp_path):
    (tmp_path / "theirs").mkdir()
    for name in ("config.json", "a.txt", "b.txt", "c.txt"):
        (tmp_path / "theirs" / name).write_text("mine")
    with pytest.raises(UserError, match=r"already holds files that are not a GAN run \(a.txt, b.txt, c.txt and 1 "
                                        r"more\); choose a new or empty folder, or pass --force"):
        check_output_folder(tmp_path / "theirs", False, _never, what="a GAN run")
    (tmp_path / "file").write_text("mine")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "file", True, _never)


def test_inside_run_finds_the_run_a_path_would_write_into(tmp_path):
    run = tmp_path / "runs" / "a"
    (run / "checkpoints" / "last").mkdir(parents=True)
    assert inside_run(run) == run
    assert inside_run(run / "checkpoints" / "last") == run
    assert inside_run(run / "checkpoints" / "g.onnx") == run
    assert inside_run(run / "hub") is None  # a new folder of its own inside the run replaces nothing
    assert inside_run(tmp_path / "runs") is None and inside_run(tmp_path / "elsewhere") is None


def test_a_staged_folder_appears_whole_or_not_at_all(tmp_path):
    with staged_folder(tmp_path / "model", last=("config.json",)) as staging:
        (staging / "config.json").write_text("{}")
        (staging / "weights").write_text("w")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "weights"]
    with pytest.raises(RuntimeError), staged_folder(tmp_path / "broken") as staging:
        (staging / "weights").write_text("w")
        raise RuntimeError("the export failed half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no "broken", no hidden staging folder


def test_a_staged_folder_joins_a_forced_folder_file_by_file(tmp_path):
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    (tmp_path / "theirs" / "README.md").write_text("old")
    with staged_folder(tmp_path / "theirs") as staging:
        (staging / "README.md").write_text("new")
    assert (tmp_path / "theirs" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "theirs" / "README.md").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs"]


def test_a_link_out_of_a_run_does_not_direct_writes(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "run" / "eval").symlink_to(tmp_path / "home")
    with pytest.raises(UserError, match="outside the run folder"):
        check_stays_inside(tmp_path / "run" / "eval", tmp_path / "run")
    check_stays_inside(tmp_path / "run" / "eval.json", tmp_path / "run")
