"""Data-parallel training with gloo on the CPU: 2 processes match 1, only rank 0 writes, resumes cross
world sizes, a killed rank ends the job, torchrun launches the CLI; plus the shard and rank helpers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from fashiongan import distributed
from fashiongan.cli import main
from fashiongan.data.batches import epoch_order, epoch_shard
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import load_tensors, read_jsonl
from fashiongan.run.checkpoint import load_progress, resolve_checkpoint
from fashiongan.training.loop import train

from .conftest import tiny_config

pytestmark = pytest.mark.distributed

TINY_CLI = ["--batch-size", "2", "--g-channels", "16", "--d-channels", "8", "--threads", "1", "--no-progress",
            "--preset", "fmnist", "--set", "model.g_norm=none"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_batchnorm_config(batch_size: int, epochs: int | None, **overrides):
    """No BatchNorm (per-rank statistics would differ from one process's), with R1's double backward."""
    return tiny_config(**{"model.g_norm": "none", "train.batch_size": batch_size, "train.epochs": epochs,
                          "train.r1_gamma": 1.0, **overrides})


def tiny_images() -> ImageDataset:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8, generator=generator)
    return ImageDataset(images, torch.arange(40) % 4, ["a", "b", "c", "d"])


def become_rank(rank: int, port: int, root: str) -> list[str]:
    """Join a 2-rank gloo job on ``port`` as ``rank`` (1 thread); rank 1's writes under ``root`` are logged."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), FASHIONGAN_DIST_TIMEOUT="60")
    torch.set_num_threads(1)
    writes: list[str] = []
    if rank == 1:
        record_writes_under(root, writes)
    return writes


def record_writes_under(root: str, log: list[str]) -> None:
    """An audit hook noting every file or folder this process creates, changes or removes under ``root``."""
    def hook(event: str, args: tuple) -> None:
        path, writing = None, False
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1], args[2]
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(
                (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        elif event in ("os.rename", "os.mkdir", "os.remove", "os.rmdir", "shutil.rmtree", "tempfile.mkstemp"):
            path, writing = args[0], True
        if writing and isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(path).startswith(root):
            log.append(f"{event} {os.fsdecode(path)}")
    sys.addaudithook(hook)


def rank_worker(rank: int, port: int, root: str, jobs: list[dict]) -> None:
    writes = become_rank(rank, port, root)
    for job in jobs:
        sigint_at = job.get("rank1_sigint_at_step")

        def on_step(step: int, sigint_at: int | None = sigint_at) -> None:
            if rank == 1 and step == sigint_at:
                signal.raise_signal(signal.SIGINT)  # only rank 1 is interrupted

        config = no_batchnorm_config(8, job["epochs"], **job.get("overrides", {}))
        if job.get("expect") == "UserError":  # rank 0 finds the error; rank 1 must raise it too, not hang
            with pytest.raises(UserError, match="already holds a run"):
                train(config, job["run"], data=tiny_images(), progress_bar=False)
            continue
        result = train(config, job["run"], data=tiny_images(), resume=job.get("resume", False), progress_bar=False,
                       on_step=on_step)
        assert result.stop_reason == job.get("expect", "epochs"), (rank, job, result.stop_reason)
    if rank == 1:
        Path(root).parent.joinpath("rank1-writes.txt").write_text("\n".join(writes))


def assert_close_weights(a: Path, b: Path) -> None:
    for name in ("generator", "discriminator"):
        wa = load_tensors(a / "checkpoints" / "last" / f"{name}.safetensors")
        wb = load_tensors(b / "checkpoints" / "last" / f"{name}.safetensors")
        assert wa.keys() == wb.keys(), "checkpoints must hold unwrapped names (no 'module.')"
        for key in wa:
            torch.testing.assert_close(wa[key], wb[key], rtol=1e-4, atol=1e-5, msg=f"{a.name} {name}.{key}")


def test_two_processes_train_like_one_with_the_global_batch_and_checkpoints_cross_world_sizes(tmp_path: Path):
    root = tmp_path / "runs"
    one, two = root / "one", root / "two"
    one_then_two, two_then_one = root / "one-then-two", root / "two-then-one"
    interrupted, budget = root / "sigint-on-rank-1", root / "budget"
    train(no_batchnorm_config(16, 2), one, data=tiny_images(), progress_bar=False)
    train(no_batchnorm_config(16, 1), one_then_two, data=tiny_images(), progress_bar=False)
    jobs = [{"run": str(two), "epochs": 2}, {"run": str(two_then_one), "epochs": 1},
            {"run": str(one_then_two), "epochs": 2, "resume": True},
            {"run": str(interrupted), "epochs": 2, "rank1_sigint_at_step": 3, "expect": "SIGINT"},
            {"run": str(budget), "epochs": None, "overrides": {"train.seconds": 0.5}, "expect": "budget"},
            {"run": str(two), "epochs": 2, "expect": "UserError"}]
    mp.spawn(rank_worker, args=(free_port(), str(root), jobs), nprocs=2, join=True)
    for run in (two_then_one, interrupted):  # resumed in one process, the second mid-epoch
        train(no_batchnorm_config(16, 2), run, data=tiny_images(), resume=True, progress_bar=False)

    for run in (two, one_then_two, two_then_one, interrupted):
        assert_close_weights(one, run)
        assert load_progress(run / "checkpoints" / "last").images_seen == 2 * 32  # 2 epochs × 2 steps × 16
    records_one, records_two = read_jsonl(one / "metrics.jsonl"), read_jsonl(two / "metrics.jsonl")
    assert [r["epoch"] for r in records_two] == [1, 2]  # one line per epoch: only rank 0 appended
    for r1, r2 in zip(records_one, records_two, strict=True):  # the record averages every rank's statistics
        assert r2["d_loss"] == pytest.approx(r1["d_loss"], abs=1e-4)
        assert r2["penalty_r1"] == pytest.approx(r1["penalty_r1"], rel=1e-3, abs=1e-6)
    assert (tmp_path / "rank1-writes.txt").read_text() == "", "rank 1 wrote into the run folders"


def cli_rank(rank: int, port: int, args: list[str]) -> subprocess.Popen:
    """One rank of a 2-process job, started with the environment torchrun would give it."""
    env = os.environ | {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": str(port), "FASHIONGAN_DIST_TIMEOUT": "20", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "fashiongan", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_killed_rank_ends_the_job_with_a_message_and_the_run_resumes(tiny_fashion_mnist_dir: Path, tmp_path: Path):
    run = tmp_path / "run"
    args = ["train", "--data-dir", str(tiny_fashion_mnist_dir), "--out", str(run), *TINY_CLI, "--epochs", "500"]
    port = free_port()
    ranks = [cli_rank(0, port, args), cli_rank(1, port, args)]
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoints" / "last" / "state.json").is_file():
            assert time.monotonic() < deadline and ranks[0].poll() is None, ranks[0].communicate()
            time.sleep(0.2)
        os.kill(ranks[1].pid, signal.SIGKILL)
        started = time.monotonic()
        _, err = ranks[0].communicate(timeout=60)
        assert time.monotonic() - started < 30  # the gloo timeout is 20 s; a closed socket is seen at once
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert ranks[0].returncode == 2, err
    assert "lost contact with the other ranks" in err and "--resume" in err and "Traceback" not in err
    folder = resolve_checkpoint(run, "last")
    progress = load_progress(folder)
    assert progress.epoch >= 1 and load_tensors(folder / "generator.safetensors")
    assert main([*args[:-1], str(progress.epoch + 1), "--resume"]) == 0  # in one process
    assert read_jsonl(run / "metrics.jsonl")[-1]["epoch"] == progress.epoch + 1


@pytest.mark.slow
def test_torchrun_launches_the_train_command(tiny_fashion_mnist_dir: Path, tmp_path: Path):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port",
               str(free_port()), "-m", "fashiongan", "train", "--data-dir", str(tiny_fashion_mnist_dir), "--out",
               str(run), *TINY_CLI, "--epochs", "1"]
    env = os.environ | {"FASHIONGAN_DIST_TIMEOUT": "60", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Trained 1 epochs") == 1  # only rank 0 prints
    assert load_progress(run / "checkpoints" / "last").images_seen == 20  # 5 steps × 2 ranks × 2 images
    assert "× 2 ranks" in result.stderr


@pytest.mark.parametrize("num_items,batch_size,world", [(40, 8, 2), (43, 5, 3), (10, 4, 4), (7, 64, 2), (9, 3, 1)])
def test_ranks_share_every_epoch_disjointly_and_equally(num_items: int, batch_size: int, world: int):
    per_rank = [epoch_shard(num_items, batch_size, torch.Generator().manual_seed(0), r, world) for r in range(world)]
    assert len({len(batches) for batches in per_rank}) == 1  # every rank does the same number of steps
    assert len({len(b) for batches in per_rank for b in batches}) == 1  # and every batch has the same size
    seen = torch.cat([b for batches in per_rank for b in batches]).tolist()
    assert len(seen) == len(set(seen))  # disjoint
    global_batch = len(per_rank[0][0]) * world
    assert len(seen) == num_items - num_items % global_batch  # the whole epoch but a tail < one global batch
    # Step by step, the ranks' batches together are the batch one process takes with the global batch size.
    single = epoch_order(num_items, global_batch, torch.Generator().manual_seed(0))
    for step, batch in enumerate(single):
        assert torch.cat([per_rank[r][step] for r in range(world)]).tolist() == batch.tolist()


def test_too_few_images_for_the_ranks_is_a_user_error():
    with pytest.raises(UserError, match="cannot be shared among 4 ranks"):
        epoch_shard(3, 8, torch.Generator(), 0, 4)


def test_rank_helpers_are_no_ops_in_one_process(monkeypatch: pytest.MonkeyPatch, capsys):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert (distributed.rank(), distributed.world_size(), distributed.local_rank()) == (0, 1, 0)
    assert distributed.is_main() and distributed.init(torch.device("cpu")) == torch.device("cpu")
    distributed.barrier()
    distributed.print0("hello")
    assert capsys.readouterr().out == "hello\n"
    assert distributed.all_reduce_max([1.0, 2.0]) == [1.0, 2.0]
    assert distributed.main_first(lambda: 5) == 5
    rows = torch.arange(6).view(3, 2)
    assert distributed.gather_rows(rows) is rows


def test_shards_of_a_work_list_and_the_shard_flag(monkeypatch: pytest.MonkeyPatch):
    cells = list(range(10))
    parts = [distributed.shard(cells, k, 3) for k in range(3)]
    assert sorted(sum(parts, [])) == cells and max(map(len, parts)) - min(map(len, parts)) <= 1
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert distributed.shard(cells) == [1, 5, 9]  # rank and world size from torchrun's environment
    assert distributed.parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "x/2", "1", "-1/3"):
        with pytest.raises(UserError, match="--shard expects K/N"):
            distributed.parse_shard(bad)
    monkeypatch.setenv("FASHIONGAN_DIST_TIMEOUT", "soon")
    with pytest.raises(UserError, match="FASHIONGAN_DIST_TIMEOUT must be a positive number"):
        distributed.timeout_s()
