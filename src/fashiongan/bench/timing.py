"""Median timings bounded by a time budget: one repeat runs a block of calls long enough to time well."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Timing:
    """Seconds per call, one value per repeat (each repeat averages a block of calls)."""

    per_call_s: tuple[float, ...]
    items_per_call: int
    warmup_s: float = 0.0  # the warm-up calls together: includes torch.compile's compile time

    @property
    def median_s(self) -> float:
        return statistics.median(self.per_call_s)

    @property
    def items_per_s(self) -> float:
        return self.items_per_call / self.median_s

    @property
    def repeats(self) -> int:
        return len(self.per_call_s)


def synchronizer(device: torch.device) -> Callable[[], None]:
    """Waits for queued device work (CUDA runs asynchronously); a no-op on the CPU."""
    if device.type == "cuda":
        return torch.cuda.synchronize
    return lambda: None


def measure(
    fn: Callable[[], object],
    items_per_call: int,
    seconds: float,
    device: torch.device,
    warmup: int = 2,
    block_s: float = 0.25,
) -> Timing:
    """Time ``fn`` after ``warmup`` calls, repeating blocks of calls until ``seconds`` have passed.

    The block length is calibrated from one timed call so a repeat lasts about ``block_s`` (or a tenth of
    the budget if that is shorter): single fast calls would time mostly the clock and the device sync.
    At least one repeat always runs, so a call slower than the budget still gets measured once.
    """
    sync = synchronizer(device)
    tick = time.perf_counter()
    for _ in range(warmup):
        fn()
    sync()
    warmup_s = time.perf_counter() - tick
    started = time.perf_counter()
    fn()
    sync()
    one = max(time.perf_counter() - started, 1e-6)
    calls = max(1, int(min(block_s, seconds / 10) / one))
    per_call = [one] if calls == 1 else []  # a call as long as a block is a repeat already
    while not per_call or time.perf_counter() - started < seconds:
        tick = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        per_call.append((time.perf_counter() - tick) / calls)
    return Timing(tuple(per_call), items_per_call, warmup_s)
