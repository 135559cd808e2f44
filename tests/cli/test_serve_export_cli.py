"""`fashiongan export` and `fashiongan serve` through a subprocess, as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fashiongan.cli import main
from tests.cli.test_train_generate_cli import assert_one_line_error, fashiongan
from tests.serve.helpers import CLASS_NAMES, train_tiny_run


def in_process_error(capsys: pytest.CaptureFixture, words: str, *args: str) -> None:
    """The same one-line error check, without the cost of a new interpreter."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("cli-export") / "run")


def test_export_onnx(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    pytest.importorskip("onnxruntime", reason="needs the [export] extra")
    out = tmp_path / "g.onnx"
    result = fashiongan("export", str(run_dir), "--format", "onnx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "checked in onnxruntime: max abs difference" in result.stdout and out.stat().st_size > 10_000
    in_process_error(capsys, "already exists; pass --force", "export", str(run_dir), "--format", "onnx",
                     "--out", str(out))
    in_process_error(capsys, "--out must end in .onnx", "export", str(run_dir), "--format", "onnx",
                     "--out", str(tmp_path / "g.bin"))


def test_export_hub_then_generate_from_the_folder(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    folder = tmp_path / "model"
    result = fashiongan("export", str(run_dir), "--format", "hub", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    assert json.loads((folder / "config.json").read_text())["class_names"] == CLASS_NAMES
    grid = tmp_path / "grid.png"
    result = fashiongan("generate", str(folder), "--class", "Trouser", "--n", "4", "--out", str(grid))
    assert result.returncode == 0, result.stderr
    assert grid.is_file()
    in_process_error(capsys, "holds one generator", "generate", str(folder), "--raw", "--out", str(grid), "--force")
    in_process_error(capsys, "must be a new or empty folder", "export", str(run_dir), "--format", "hub",
                     "--out", str(folder))


def test_push_without_token_is_one_line(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    pytest.importorskip("huggingface_hub", reason="needs the [hub] extra")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-m", "fashiongan", "export", str(run_dir), "--format", "hub", "--out",
                             str(tmp_path / "m"), "--push", "me/model"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert_one_line_error(result, "cannot push to me/model: no Hugging Face token")
    assert (tmp_path / "m" / "model.safetensors").is_file()  # the folder is written before the push
    in_process_error(capsys, "--push uploads a model folder", "export", str(run_dir), "--format", "onnx",
                     "--out", str(tmp_path / "x.onnx"), "--push", "me/model")


def test_serve_refuses_a_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture):
    pytest.importorskip("fastapi", reason="needs the [serve] extra")
    in_process_error(capsys, "run folder not found", "serve", str(tmp_path / "nothing"))
    in_process_error(capsys, "--port must be from 0 to 65535", "serve", str(tmp_path), "--port", "70000")


def test_serve_answers_on_loopback(run_dir: Path):
    pytest.importorskip("uvicorn", reason="needs the [serve] extra")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "fashiongan", "serve", str(run_dir), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, info = time.monotonic() + 60, None
        while info is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=2) as response:
                    info = json.loads(response.read())
            except OSError:
                time.sleep(0.2)
        assert info is not None, process.stderr.read() if process.poll() is not None else "no answer"
        assert info["classes"] == CLASS_NAMES
    finally:
        process.terminate()
        process.wait(timeout=10)
