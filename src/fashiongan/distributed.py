"""Rank helpers for runs launched by ``torchrun``; every one is a no-op in a single process.

torchrun starts one process per device and tells each where it stands through environment variables:
RANK (0…N-1 over all machines), WORLD_SIZE (N), LOCAL_RANK (the device index on this machine) and
MASTER_ADDR/MASTER_PORT (where rank 0 listens). ``init`` joins the process group those describe: NCCL on
CUDA, gloo on the CPU, with a timeout (FASHIONGAN_DIST_TIMEOUT seconds, default 600) so that a rank that
died or hangs ends the job within a bounded time instead of leaving the others waiting forever.

Commands other than ``train`` use the plain helpers: ``rank()``/``world_size()`` (from the process group,
else from the environment, so a job can split work without one), ``shard(items)``, ``parse_shard("K/N")``,
``main_only(fn)``, ``main_first(fn)``, ``gather_rows(tensor)`` (evaluation: features of every rank) and
``work_alone()`` (ranks that share out independent single-process jobs).
"""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
import torch.distributed as dist

from fashiongan.errors import UserError

T = TypeVar("T")
TIMEOUT_ENV = "FASHIONGAN_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0
EXIT_GRACE_S = 0.05  # 1 ms was enough in 40 of 40 tries; see shutdown()
# What a collective raises when another rank died, hung or closed its connection.
PEER_ERRORS: tuple[type[BaseException], ...] = (dist.DistError, RuntimeError) if dist.is_available() else (
    RuntimeError,)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise UserError(f"environment variable {name} must be an integer; got {value!r}") from None


LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "GROUP_WORLD_SIZE",
                      "ROLE_RANK", "ROLE_WORLD_SIZE")


def work_alone() -> tuple[int, int]:
    """For a command whose ranks share out independent jobs (the study's cells): (rank, world size) from
    torchrun's environment; then that environment is cleared, so the trainers each job calls run as single
    processes instead of joining the other ranks' jobs. On CUDA each rank keeps its own GPU (LOCAL_RANK).
    """
    this_rank, world = rank(), world_size()
    if world > 1 and torch.cuda.is_available():
        torch.cuda.set_device(local_rank() % torch.cuda.device_count())
    for name in LAUNCHER_VARIABLES:
        os.environ.pop(name, None)
    return this_rank, world


def initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank: from the process group, else RANK from the environment, else 0."""
    return dist.get_rank() if initialized() else _env_int("RANK", 0)


def world_size() -> int:
    """The number of processes: from the process group, else WORLD_SIZE from the environment, else 1."""
    return dist.get_world_size() if initialized() else _env_int("WORLD_SIZE", 1)


def local_rank() -> int:
    """This process's device index on its machine (LOCAL_RANK), 0 in a single process."""
    return _env_int("LOCAL_RANK", 0)


def is_main() -> bool:
    """True on rank 0, the one rank that writes files and prints."""
    return rank() == 0


def print0(*args: object, **kwargs: object) -> None:
    if is_main():
        print(*args, **kwargs)  # type: ignore[call-overload]


def barrier() -> None:
    if initialized() and world_size() > 1:
        dist.barrier()


def timeout_s() -> float:
    value = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(value) if value else DEFAULT_TIMEOUT_S
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UserError(f"{TIMEOUT_ENV} must be a positive number of seconds; got {value!r}")
    return seconds


def init(device: torch.device) -> torch.device:
    """Join the process group torchrun described (no-op in one process); returns this rank's device.

    On CUDA each rank takes the GPU ``cuda:LOCAL_RANK``. Ranks other than 0 log only errors.
    """
    if _env_int("WORLD_SIZE", 1) <= 1:
        return device
    if device.type == "cuda":
        if local_rank() >= torch.cuda.device_count():
            raise UserError(f"LOCAL_RANK {local_rank()} has no GPU: this machine has {torch.cuda.device_count()}; "
                            "start torchrun with --nproc-per-node at most that")
        device = torch.device("cuda", local_rank())
        torch.cuda.set_device(device)
    if initialized():
        return device
    missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise UserError(f"WORLD_SIZE is set but {', '.join(missing)} is not: start multi-process runs with torchrun")
    backend = "nccl" if device.type == "cuda" else "gloo"
    seconds = timeout_s()
    try:
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=seconds),
                                **({"device_id": device} if device.type == "cuda" else {}))
    except PEER_ERRORS as exc:
        raise UserError(f"rank {rank()} could not join the other ranks at {os.environ['MASTER_ADDR']}:"
                        f"{os.environ['MASTER_PORT']} within {seconds:g} s ({type(exc).__name__}: {exc})") from None
    atexit.register(shutdown)
    if not is_main():
        logging.getLogger("fashiongan").addFilter(lambda record: record.levelno >= logging.ERROR)
    return device


def shutdown() -> None:
    """Leave the process group, then give its worker threads a moment (registered with atexit by ``init``).

    A gloo worker thread frees each finished collective's tensors, which takes the GIL. One that is still
    waiting for it when the interpreter finalises aborts the process ("terminate called without an active
    exception") after a run that went well. Destroying the group does not join those threads while a DDP
    wrapper ever held it (the reducer keeps it alive), so the process sleeps briefly with the GIL released.
    """
    if initialized():
        dist.destroy_process_group()
        time.sleep(EXIT_GRACE_S)


def lost_peer(exc: BaseException, what: str) -> UserError:
    """The one-line error a rank reports when a collective failed because another rank is gone."""
    text = re.sub(r"^\[[^\]]*\]\s*", "", str(exc).strip())  # drop gloo's "[source.cc:123] " prefix
    cause = re.split(r"(?<=[a-z])\. ", text.splitlines()[0] if text else type(exc).__name__)[0][:160]
    return UserError(f"rank {rank()} of {world_size()} lost contact with the other ranks (a rank died, was killed "
                     f"or stalled past {TIMEOUT_ENV}={timeout_s():g} s: {cause}); {what}")


def is_peer_failure(exc: BaseException) -> bool:
    """True for the errors a collective raises when another rank is gone (not for, say, out-of-memory)."""
    if isinstance(exc, dist.DistError):
        return True
    text = str(exc).lower()
    return any(word in text for word in ("gloo", "nccl", "connection", "timed out", "timeout", "peer"))


def collective_device() -> torch.device:
    """Where collective tensors live: the current GPU for NCCL, else the CPU."""
    if initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_max(values: Sequence[float]) -> list[float]:
    """Element-wise maximum over ranks (float64); the values themselves in a single process."""
    if not initialized() or world_size() == 1:
        return list(values)
    tensor = torch.tensor(list(values), dtype=torch.float64, device=collective_device())
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor.tolist()


def all_reduce_mean(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Scalar tensors averaged over ranks in one collective (same keys on every rank)."""
    if not initialized() or world_size() == 1 or not tensors:
        return tensors
    keys = sorted(tensors)
    stacked = torch.stack([tensors[k].detach().double().to(collective_device()) for k in keys])
    dist.all_reduce(stacked)
    stacked /= world_size()
    return {k: stacked[i].to(tensors[k].device) for i, k in enumerate(keys)}


def gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every rank's rows in rank order (row counts may differ); the tensor itself in one process.

    For evaluation: each rank extracts features of its shard of images, then every rank holds all of them.
    """
    if not initialized() or world_size() == 1:
        return tensor
    device = collective_device()
    local = tensor.to(device)
    counts = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world_size())]
    dist.all_gather(counts, torch.tensor([local.shape[0]], dtype=torch.int64, device=device))
    longest = int(max(int(c) for c in counts))
    padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=device)
    padded[: local.shape[0]] = local
    parts = [torch.empty_like(padded) for _ in range(world_size())]
    dist.all_gather(parts, padded)
    return torch.cat([part[: int(c)] for part, c in zip(parts, counts, strict=True)]).to(tensor.device)


def shard(items: Sequence[T], index: int | None = None, count: int | None = None) -> list[T]:
    """Items index, index+count, …: this rank's share of a list of work (cells, seeds, files).

    Strided, so the shares differ in length by at most one and their union is the whole list.
    """
    index = rank() if index is None else index
    count = world_size() if count is None else count
    if not 0 <= index < count:
        raise UserError(f"shard {index} does not exist among {count} shards (use 0…{count - 1})")
    return list(items[index::count])


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' (K counted from 0) → (K, N): the --shard flag of commands that split a list of work."""
    index, _, count = text.partition("/")
    try:
        k, n = int(index), int(count)
    except ValueError:
        raise UserError(f"--shard expects K/N with 0 <= K < N, e.g. 0/4; got {text!r}") from None
    if n < 1 or not 0 <= k < n:
        raise UserError(f"--shard expects K/N with 0 <= K < N, e.g. 0/4; got {text!r}")
    return k, n


def _share_outcome(error: str | None) -> None:
    """Rank 0 tells every rank whether its part went well; a UserError there is raised on every rank."""
    if not initialized() or world_size() == 1:
        return
    box = [error]
    dist.broadcast_object_list(box, src=0)
    if box[0] is not None:
        raise UserError(box[0])


def main_only(fn: Callable[[], T]) -> T | None:
    """Run ``fn`` on rank 0 only (None elsewhere); if it raises a UserError, every rank raises it."""
    if not is_main():
        _share_outcome(None)
        return None
    try:
        result = fn()
    except UserError as exc:
        _share_outcome(str(exc))
        raise
    _share_outcome(None)
    return result


def main_first(fn: Callable[[], T]) -> T:
    """Run ``fn`` on rank 0, then on the other ranks (e.g. so that they find rank 0's data cache)."""
    result = main_only(fn)
    return fn() if not is_main() else result  # type: ignore[return-value]
