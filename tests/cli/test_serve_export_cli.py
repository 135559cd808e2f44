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

from tests.cli.test_train_generate_cli import assert_one_line_error, fashiongan
from tests.serve.helpers import CLASS_NAMES, train_tiny_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("cli-export") / "run")


def test_export_onnx(run_dir: Path, tmp_path: Path):
    pytest.importorskip("onnxruntime", reason="needs the [export] extra")
    out = tmp_path / "g.onnx"
    result = fashiongan("export", str(run_dir), "--format", "onnx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "checked in onnxruntime: max abs difference" in result.stdout and out.stat().st_size > 10_000
    assert_one_line_error(fashiongan("export", str(run_dir), "--format", "onnx", "--out", str(out)),
                          "already exists; pass --force")
    assert_one_line_error(fashiongan("export", str(run_dir), "--format", "onnx", "--out", str(tmp_path / "g.bin")),
                          "--out must end in .onnx")


def test_export_hub_then_generate_from_the_folder(run_dir: Path, tmp_path: Path):
    folder = tmp_path / "model"
    result = fashiongan("export", str(run_dir), "--format", "hub", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    assert json.loads((folder / "config.json").read_text())["class_names"] == CLASS_NAMES
    grid = tmp_path / "grid.png"
    result = fashiongan("generate", str(folder), "--class", "Trouser", "--n", "4", "--out", str(grid))
    assert result.returncode == 0, result.stderr
    assert grid.is_file()
    assert_one_line_error(fashiongan("export", str(run_dir), "--format", "hub", "--out", str(folder)),
                          "must be a new or empty folder")


def test_push_without_token_is_one_line(run_dir: Path, tmp_path: Path):
    pytest.importorskip("huggingface_hub", reason="needs the [hub] extra")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-m", "fashiongan", "export", str(run_dir), "--format", "hub", "--out",
                             str(tmp_path / "m"), "--push", "me/model"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert_one_line_error(result, "cannot push to me/model: no Hugging Face token")
    assert (tmp_path / "m" / "model.safetensors").is_file()  # the folder is written before the push
    assert_one_line_error(fashiongan("export", str(run_dir), "--format", "onnx", "--out", str(tmp_path / "x.onnx"),
                                     "--push", "me/model"), "--push uploads a model folder")


def test_serve_refuses_a_bad_folder(tmp_path: Path):
    pytest.importorskip("fastapi", reason="needs the [serve] extra")
    assert_one_line_error(fashiongan("serve", str(tmp_path / "nothing")), "nothing")


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
