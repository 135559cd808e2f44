"""The bench's printed table and its JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fashiongan.io import write_json


def si(value: float | None, unit: str = "") -> str:
    """1.23e9 → '1.23 G' (+unit): FLOP counts and rates span many orders of magnitude."""
    if value is None:
        return "-"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def _rows(result: dict[str, Any]) -> list[tuple[str, list[str]]]:
    runs = result["precisions"]
    ratios = result["ratios"]

    def each(key: str, fmt) -> list[str]:
        return [fmt(f.get(key)) if f.get(key) is not None else "-" for f in runs.values()]

    return [
        ("train images/s", each("train_images_per_s", lambda v: f"{v:,.0f}")),
        ("  x tutorial loop", [f"{ratios[f'{p}_vs_tutorial']:.2f}x" for p in runs]),
        ("train FLOPs/image", each("flops_per_image", si)),
        ("achieved FLOP/s", each("achieved_flops_per_s", si)),
        ("matmul ceiling FLOP/s", each("ceiling_flops_per_s", si)),
        ("  % of ceiling", each("percent_of_ceiling", lambda v: f"{v:.1f} %")),
        ("generate images/s", each("generate_images_per_s", lambda v: f"{v:,.0f}")),
        ("peak device memory", each("peak_device_bytes", lambda v: si(v, "B"))),
    ]


def format_table(result: dict[str, Any]) -> str:
    """A plain-text report: one column per precision, then the single figures."""
    threads = f"{result['threads']} thread" + ("s" if result["threads"] != 1 else "")
    head = (f"fashiongan bench: preset {result['preset']}, {result['device']} ({result['device_name']}), "
            f"{threads}, batch {result['batch_size']}, torch {result['torch_version']}")
    names = list(result["precisions"])
    rows = _rows(result)
    width = max(len(label) for label, _ in rows) + 2
    lines = [head, "", " " * width + "".join(f"{n:>14}" for n in names)]
    lines += [label.ljust(width) + "".join(f"{v:>14}" for v in values) for label, values in rows]
    tutorial = result["tutorial"]
    lines += ["", f"tutorial loop (fp32, {tutorial['threads']} threads): "
                  f"{tutorial['train_images_per_s']:,.0f} images/s"]
    if "bf16_vs_fp32" in result["ratios"]:
        native = "native" if result["cpu_native_bf16"] or result["device"] == "cuda" else "emulated"
        lines.append(f"bf16 / fp32 training speed: {result['ratios']['bf16_vs_fp32']:.2f}x ({native} bf16)")
    ceiling = ", ".join(f"{k} {si(v, 'FLOP/s')}" for k, v in result["ceiling_flops_per_s"].items())
    lines.append(f"matmul ceiling: {ceiling}")
    evaluation = result.get("evaluation")
    if evaluation:
        lines.append(f"evaluator: {evaluation['features_images_per_s']:,.0f} images/s; full evaluation of "
                     f"{evaluation['n']:,} images: {evaluation['evaluate_wall_s']:.1f} s warm (generation included)")
    rss = result["peak_rss_bytes"]
    lines.append(f"peak host RSS: {si(rss['training'], 'B')} after training, {si(rss['end'], 'B')} at the end")
    return "\n".join(lines)


def write_result(path: str | Path, result: dict[str, Any]) -> None:
    write_json(path, result)
