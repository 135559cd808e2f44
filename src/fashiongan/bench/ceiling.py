"""The machine's ceiling: FLOP/s of a large square matmul, per precision, measured in the same process."""

from __future__ import annotations

import torch

from fashiongan.bench.timing import measure

CPU_SIZE = 2048
CUDA_SIZE = 8192


def matmul_flops_per_s(device: torch.device, dtype: torch.dtype, seconds: float, size: int | None = None,
                       tf32: bool = False) -> float:
    """Achieved FLOP/s of (size x size) @ (size x size) in ``dtype`` (2 size^3 FLOPs a product)."""
    size = size or (CUDA_SIZE if device.type == "cuda" else CPU_SIZE)
    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, generator=generator).to(dtype)
    b = torch.randn(size, size, device=device, generator=generator).to(dtype)
    out = torch.empty(size, size, device=device, dtype=dtype)
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        timing = measure(lambda: torch.mm(a, b, out=out), 1, seconds, device, warmup=1)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    return 2.0 * size**3 / timing.median_s


def ceilings(device: torch.device, seconds: float) -> dict[str, float]:
    """fp32 and bf16 side by side on the CPU; fp32, TF32 and bf16 on CUDA."""
    result = {"fp32": matmul_flops_per_s(device, torch.float32, seconds)}
    if device.type == "cuda":
        result["tf32"] = matmul_flops_per_s(device, torch.float32, seconds, tf32=True)
    result["bf16"] = matmul_flops_per_s(device, torch.bfloat16, seconds)
    return result


def ceiling_key(precision: str, device: torch.device) -> str:
    """Which ceiling a training precision is held against: TF32's when CUDA runs fp32 matmuls in TF32."""
    if precision == "fp32" and device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32:
        return "tf32"
    return precision
