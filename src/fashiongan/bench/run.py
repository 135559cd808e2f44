"""run_bench(options): every figure of `fashiongan bench`, measured in one process after warm-ups."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

import torch

from fashiongan.bench import evaluation, memory
from fashiongan.bench.ceiling import ceiling_key, ceilings
from fashiongan.bench.flops import count_flops
from fashiongan.bench.throughput import generation, training_step
from fashiongan.bench.timing import measure
from fashiongan.bench.tutorial import tutorial_step
from fashiongan.bench.workload import bench_config, random_data
from fashiongan.config import PRESETS, same_as
from fashiongan.option import check_options, option
from fashiongan.run.device import (
    autocast_dtype,
    cpu_has_native_bf16,
    device_name,
    enable_fast_cuda,
    resolve_device,
    set_threads,
)
from fashiongan.training.state import GANState, build_state
from fashiongan.version import __version__

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "both")


@dataclass
class BenchOptions:
    """The options of `fashiongan bench`, declared like the GAN's (its flags are generated from these)."""

    preset: str = option("fmnist-best", "the GAN preset to measure", choices=tuple(PRESETS), flag="preset")
    device: str = same_as("train.device", help="where to measure")
    precision: str = option("both", "training and generation precision(s) to measure", choices=PRECISIONS,
                            flag="precision")
    batch_size: int | None = same_as("train.batch_size", None, help="images per step (default: the preset's)")
    seconds: float = option(10.0, "time bound of each measurement, in seconds", above=0.0, below=1e6,
                            flag="seconds")
    threads: int | None = same_as("train.threads")
    generate_n: int = option(10_000, "images per generation call (0 skips)", low=0, high=10_000_000,
                             flag="generate-n")
    evaluate_n: int = option(10_000, "images of the timed full evaluation (0 skips evaluation figures)", low=0,
                             high=1_000_000, flag="evaluate-n")
    overrides: dict[str, Any] = field(default_factory=dict)  # "section.key" -> value on the preset (--set)

    def precisions(self) -> list[str]:
        """The precisions to measure, once every option has been checked against its declaration."""
        check_options(self, lambda key: f"--{key.replace('_', '-')}")
        return ["fp32", "bf16"] if self.precision == "both" else [self.precision]


def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Measure training, generation, the tutorial loop, the matmul ceiling and evaluation; JSON-ready."""
    precisions = options.precisions()  # checks every option first
    default_threads = torch.get_num_threads()  # what a plain script gets: the tutorial loop runs with it
    device = resolve_device(options.device)
    threads = set_threads(options.threads)
    enable_fast_cuda(device)
    preset_config = bench_config(options.preset, options.overrides, "auto", device, options.batch_size)
    result: dict[str, Any] = {
        "fashiongan_version": __version__,
        "torch_version": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "preset": options.preset,
        "overrides": dict(options.overrides),
        "device": device.type,
        "device_name": device_name(device),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "threads": threads,
        "default_threads": default_threads,
        "batch_size": preset_config.train.batch_size,
        "seconds": options.seconds,
    }
    log.info("bench: matmul ceiling on %s", device.type)
    result["ceiling_flops_per_s"] = ceilings(device, options.seconds)
    result["precisions"], states = {}, {}
    for precision in precisions:
        log.info("bench: training and generation, %s", precision)
        result["precisions"][precision], states[precision] = measure_precision(
            options, precision, device, result["ceiling_flops_per_s"])
    result["peak_rss_bytes"] = {"training": memory.peak_rss_bytes()}
    log.info("bench: tutorial loop (fp32, %d threads)", default_threads)
    result["tutorial"] = measure_tutorial(options, device, default_threads, threads)
    result["ratios"] = ratios(result)
    preferred = "bf16" if autocast_dtype(preset_config.train.precision, device) is not None else "fp32"
    precision = preferred if preferred in states else precisions[0]
    result["evaluation"] = measure_evaluation(options, states[precision], precision, device, preset_config)
    result["peak_rss_bytes"]["end"] = memory.peak_rss_bytes()
    return result


def measure_precision(options: BenchOptions, precision: str, device: torch.device,
                      ceiling: dict[str, float]) -> tuple[dict[str, Any], GANState]:
    config = bench_config(options.preset, options.overrides, precision, device, options.batch_size)
    state = build_state(config, device)
    batch = config.train.batch_size
    memory.reset_device_peak(device)
    step = training_step(state, config, random_data(config))
    train = measure(step, batch, options.seconds, device, warmup=3)
    flops_per_image = count_flops(step, calls=config.train.penalty_every) / batch
    achieved = flops_per_image * train.items_per_s
    roof = ceiling[ceiling_key(precision, device)]
    figures = {
        "train_images_per_s": train.items_per_s,
        "train_step_ms": 1000 * train.median_s,
        "train_repeats": train.repeats,
        "warmup_s": train.warmup_s,
        "flops_per_image": flops_per_image,
        "achieved_flops_per_s": achieved,
        "ceiling_flops_per_s": roof,
        "percent_of_ceiling": 100 * achieved / roof,
        "peak_device_bytes": memory.device_peak_bytes(device),
    }
    if options.generate_n > 0:
        draw = generation(state, options.generate_n, torch.bfloat16 if precision == "bf16" else None)
        timing = measure(draw, options.generate_n, options.seconds, device, warmup=1)
        figures |= {"generate_images_per_s": timing.items_per_s, "generate_n_s": timing.median_s}
    return figures, state


def measure_tutorial(options: BenchOptions, device: torch.device, default_threads: int,
                     threads: int) -> dict[str, Any]:
    config = bench_config(options.preset, options.overrides, "fp32", device, options.batch_size)
    torch.set_num_threads(default_threads)
    try:
        step = tutorial_step(config, random_data(config), device)
        timing = measure(step, config.train.batch_size, options.seconds, device, warmup=3)
    finally:
        torch.set_num_threads(threads)
    return {"train_images_per_s": timing.items_per_s, "train_step_ms": 1000 * timing.median_s,
            "threads": default_threads, "precision": "fp32"}


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """The headline: the toolkit's training speed over the tutorial loop's, per precision; and bf16 over fp32."""
    tutorial = result["tutorial"]["train_images_per_s"]
    runs = result["precisions"]
    out: dict[str, Any] = {f"{p}_vs_tutorial": f["train_images_per_s"] / tutorial for p, f in runs.items()}
    if "fp32" in runs and "bf16" in runs:
        out["bf16_vs_fp32"] = runs["bf16"]["train_images_per_s"] / runs["fp32"]["train_images_per_s"]
    return out


def measure_evaluation(options: BenchOptions, state: GANState, precision: str, device: torch.device,
                       config: Any) -> dict[str, Any] | None:
    """Evaluator images/s and the warm wall time of a full N-image evaluation (Fashion-MNIST presets only)."""
    n = options.evaluate_n
    if n <= 0 or config.data.source != "fmnist":
        return None
    log.info("bench: evaluator throughput")
    features = measure(evaluation.feature_extraction(device, n), n, options.seconds, device, warmup=1)
    log.info("bench: full evaluation of %d images (the first one fills the caches)", n)
    draw = generation(state, n, torch.bfloat16 if precision == "bf16" else None)
    labels = torch.arange(n) % state.recipe.num_classes if state.recipe.num_classes > 0 else None
    full = measure(evaluation.full_evaluation(draw, labels, config.data, device), n, options.seconds, device,
                   warmup=1)
    return {"n": n, "features_images_per_s": features.items_per_s, "evaluate_wall_s": full.median_s,
            "evaluate_repeats": full.repeats, "generation_precision": precision}
