"""Peak memory: the process's host RSS high-water mark, and CUDA's allocator peak."""

from __future__ import annotations

import resource
import sys

import torch


def peak_rss_bytes() -> int:
    """The largest resident set this process has had so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def reset_device_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def device_peak_bytes(device: torch.device) -> int | None:
    """CUDA's max_memory_allocated since the last reset; None on the CPU."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return None
