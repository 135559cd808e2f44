"""`fashiongan bench`: the toolkit's own speed, next to a plain tutorial loop and the machine's matmul ceiling."""

from fashiongan.bench.run import BenchOptions, run_bench

__all__ = ["BenchOptions", "run_bench"]
