"""`classify train` data-parallel with gloo: 2 processes train like one with the global batch; rank 0 writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.train import train_classifier
from fashiongan.data.splits import Splits
from fashiongan.io import load_tensors, read_json
from tests.classify.conftest import banded
from tests.training.test_distributed import become_rank, free_port

pytestmark = pytest.mark.distributed


def splits() -> Splits:
    return Splits(banded(64, 4, 0), banded(16, 4, 1), banded(32, 4, 2), "official")


def config(batch_size: int) -> ClassifyConfig:  # small-cnn has no BatchNorm or dropout: exactly comparable
    return ClassifyConfig(preset="small-cnn", batch_size=batch_size, max_steps=6, device="cpu", lr=3e-3)


def rank_worker(rank: int, port: int, root: str) -> None:
    writes = become_rank(rank, port, root)
    result = train_classifier(config(8), Path(root) / "two", splits=splits(), progress_bar=False, plots=False)
    assert (result.metrics != {}) == (rank == 0)  # rank 0 tests and reports
    if rank == 1:
        Path(root).parent.joinpath("rank1-writes.txt").write_text("\n".join(writes))


def test_two_processes_train_the_classifier_like_one_with_the_global_batch(tmp_path: Path):
    root = tmp_path / "runs"
    one = train_classifier(config(16), root / "one", splits=splits(), progress_bar=False, plots=False)
    mp.spawn(rank_worker, args=(free_port(), str(root)), nprocs=2, join=True)
    assert (tmp_path / "rank1-writes.txt").read_text() == ""  # rank 1 wrote nothing
    a = load_tensors(root / "one" / "checkpoints" / "last" / "model.safetensors")
    b = load_tensors(root / "two" / "checkpoints" / "last" / "model.safetensors")
    assert a.keys() == b.keys(), "the checkpoint holds the bare model (no 'module.')"
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5, msg=key)
    two = read_json(root / "two" / "metrics.json", "metrics")
    assert two["steps"] == one.metrics["steps"] == 6
    assert two["test_accuracy"] == pytest.approx(one.metrics["test_accuracy"], abs=1 / 32)
