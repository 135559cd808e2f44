"""`fashiongan bench` end to end on a tiny model: the table, the JSON keys, and bad input."""

from __future__ import annotations

import json

import pytest
import torch

from fashiongan.bench.workload import PLACEHOLDER_SOURCE, bench_config, random_data
from fashiongan.cli import main

TINY = ["bench", "--preset", "fmnist", "--set", "model.g_channels=8", "--set", "model.d_channels=8",
        "--set", "model.embed_dim=4", "--batch-size", "8", "--seconds", "0.05", "--generate-n", "16",
        "--evaluate-n", "0", "--threads", "1"]
FIGURES = {"train_images_per_s", "train_step_ms", "train_repeats", "warmup_s", "flops_per_image",
           "achieved_flops_per_s", "ceiling_flops_per_s", "percent_of_ceiling", "peak_device_bytes",
           "generate_images_per_s", "generate_n_s"}


def test_bench_runs_end_to_end_and_writes_the_documented_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main([*TINY, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "train images/s" in table and "x tutorial loop" in table and "matmul ceiling" in table
    result = json.loads(out.read_text())
    assert {"preset", "device", "device_name", "threads", "default_threads", "batch_size", "ceiling_flops_per_s",
            "precisions", "tutorial", "ratios", "evaluation", "peak_rss_bytes"} <= set(result)
    assert result["device"] == "cpu" and result["batch_size"] == 8 and result["evaluation"] is None
    assert set(result["precisions"]) == {"fp32", "bf16"} and set(result["ceiling_flops_per_s"]) == {"fp32", "bf16"}
    for precision, figures in result["precisions"].items():
        assert set(figures) == FIGURES
        assert figures["train_images_per_s"] > 0 and figures["generate_images_per_s"] > 0
        assert figures["flops_per_image"] > 0
        assert figures["achieved_flops_per_s"] == pytest.approx(figures["flops_per_image"]
                                                                 * figures["train_images_per_s"])
        assert figures["ceiling_flops_per_s"] == result["ceiling_flops_per_s"][precision]
        ratio = figures["train_images_per_s"] / result["tutorial"]["train_images_per_s"]
        assert result["ratios"][f"{precision}_vs_tutorial"] == pytest.approx(ratio)
    assert result["precisions"]["fp32"]["flops_per_image"] == result["precisions"]["bf16"]["flops_per_image"]
    assert result["peak_rss_bytes"]["end"] >= result["peak_rss_bytes"]["training"] > 10 << 20


def test_one_precision_only(tmp_path):
    out = tmp_path / "bench.json"
    assert main([*TINY, "--precision", "fp32", "--generate-n", "0", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert list(result["precisions"]) == ["fp32"] and "bf16_vs_fp32" not in result["ratios"]
    assert "generate_images_per_s" not in result["precisions"]["fp32"]


@pytest.mark.parametrize("args, message", [
    (["--set", "model.nope=1"], "unknown config key"),
    (["--set", "model.z_dim=0"], "model.z_dim must be at least 1"),
])
def test_bad_options_are_one_line_errors(args, message, capsys):
    assert main([*TINY, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("fashiongan: error:") and message in err[-1]


def test_bad_flags_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--precision", "fp16"])
    assert exc.value.code == 2


def test_folder_presets_bench_without_a_data_folder():
    config = bench_config("folder-best", {}, "bf16", torch.device("cpu"), 4)
    assert config.data.source == PLACEHOLDER_SOURCE and config.train.batch_size == 4
    data = random_data(config, batches=2)
    assert data.images.shape == (8, 1, 64, 64) and data.images.dtype == torch.uint8
