"""`fashiongan evaluate` outputs: checked before any work, never overwritten without --force, failures one line."""

from __future__ import annotations

import errno
import importlib
import shutil
from pathlib import Path

import pytest

from fashiongan.evaluation.report import protocol_line

from .test_generate_cli import assert_one_line_error, run_cli

evaluate_module = importlib.import_module("fashiongan.evaluation.evaluate")


@pytest.fixture
def run_copy(tiny_run, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_run.run_dir, tmp_path / "run"))


def _evaluate_args(tiny_run, run_dir: Path, *extra) -> list:
    return ["evaluate", run_dir, "--n", 20, "--evaluator", tiny_run.evaluator, "--device", "cpu", *extra]


@pytest.fixture
def no_long_work(monkeypatch):
    """Fail the test if evaluation gets as far as loading the evaluator (the start of the long work)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the output check should have failed before any work")

    monkeypatch.setattr(evaluate_module, "load_evaluator", refuse)


def test_a_read_only_run_folder_fails_at_once(tiny_run, run_copy, capsys, read_only, no_long_work):
    read_only(run_copy)
    err = assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy), "permission denied")
    assert "eval.json" in err


def test_outputs_in_the_way_fail_at_once(tiny_run, run_copy, tmp_path, capsys, no_long_work):
    (tmp_path / "dir.json").mkdir()
    assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy, "--json", tmp_path / "dir.json"),
                          "is a folder")
    (tmp_path / "file").write_text("mine")
    assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy, "--report", tmp_path / "file"),
                          "is a file, not a folder")
    assert (tmp_path / "file").read_text() == "mine"


def test_json_is_not_overwritten_without_force(tiny_run, run_copy, tmp_path, capsys):
    mine = tmp_path / "numbers.json"
    mine.write_text("my notes")
    assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy, "--json", mine),
                          "already exists; pass --force to overwrite it")
    assert mine.read_text() == "my notes"
    code, out, err = run_cli(capsys, *_evaluate_args(tiny_run, run_copy, "--json", mine, "--force"))
    assert code == 0, err
    assert f"Wrote {mine}" in out and '"fid"' in mine.read_text()


def test_disk_full_writing_eval_json(tiny_run, run_copy, capsys, monkeypatch):
    real = Path.write_bytes

    def full(self, data):
        if self.name.startswith(".eval.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    err = assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy), "the disk is full")
    assert "eval.json" in err
    assert not [p for p in run_copy.iterdir() if p.name.startswith(".eval.json") or p.name == "eval.json"]


def test_huge_seeds_are_refused(tiny_run, run_copy, capsys, no_long_work):
    assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy, "--seed", 2**64), "must be at most")
    assert_one_line_error(capsys, _evaluate_args(tiny_run, run_copy, "--seed", 2**63 - 10), "past the largest seed")


def test_names_in_the_protocol_line_are_escaped():
    protocol = {"n": 10, "data": "/photos/new\nline", "reference": {"split": "train", "size": 5}, "floor": None,
                "evaluator": {"sha256": "ab" * 32}}
    line = protocol_line({"protocol": protocol})
    assert "\n" not in line and "/photos/new\\nline" in line
