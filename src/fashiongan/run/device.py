"""Pick the torch device, precision and thread count a run uses."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

import torch

from fashiongan.config import DEVICES
from fashiongan.errors import UserError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' → CUDA when available, else CPU; 'cuda' without a GPU is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but PyTorch sees no CUDA GPU; use --device cpu or auto")
    if name not in DEVICES:
        raise UserError(f"--device must be {', '.join(DEVICES[:-1])} or {DEVICES[-1]}; got {name!r}")
    return torch.device(name)


def device_name(device: torch.device) -> str:
    """The GPU's or CPU's model name, as reports name the machine a number was measured on."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def enable_fast_cuda(device: torch.device) -> None:
    """TF32 matmuls and convolutions and cuDNN autotuning (the step's shapes are fixed); no-op off CUDA.

    TF32 keeps fp32's range with a 10-bit mantissa, which GAN training tolerates (the bf16 test is stricter).
    """
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 arithmetic (AVX512-BF16 or AMX), where bf16 autocast pays off."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` (fp32 → None). 'auto' picks bf16 where it is native."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if cpu_has_native_bf16() else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """A torch.autocast context for ``dtype``, or a no-op for full precision."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def physical_cores() -> int:
    """Physical cores available to this process (hyper-threads make small-model training slower)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:
        available = os.cpu_count() or 1
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        siblings = [int(line.split(":")[1]) for line in text.splitlines() if line.startswith("siblings")]
        cores = [int(line.split(":")[1]) for line in text.splitlines() if line.startswith("cpu cores")]
        if siblings and cores and siblings[0] > cores[0]:
            return max(1, available * cores[0] // siblings[0])
    except (OSError, ValueError, IndexError):
        pass
    return max(1, available)


def set_threads(threads: int | None) -> int:
    """Use ``threads`` CPU threads (default: physical cores); returns the number set."""
    count = threads or physical_cores()
    torch.set_num_threads(count)
    return count


@contextlib.contextmanager
def inference(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """inference_mode plus autocast: the sampling path's context."""
    with torch.inference_mode(), autocast(device, dtype):
        yield
