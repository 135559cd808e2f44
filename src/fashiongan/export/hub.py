"""A shareable model folder: config.json, model.safetensors and a README.md model card.

The folder follows the model-hub convention (as in ``diffusers``/``transformers``): the config says how to
rebuild the network and the safetensors file holds its weights, so ``load_model_folder`` (run/model_folder.py)
needs no run folder, and ``fashiongan.load_generator``, ``generate`` and ``serve`` accept either.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.config import RunConfig
from fashiongan.errors import UserError
from fashiongan.io import atomic_write_bytes, atomic_write_text, read_json, save_tensors, write_json
from fashiongan.run.model_folder import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    is_model_folder,
    load_model_folder,
)

__all__ = ["export_model_folder", "is_model_folder", "load_model_folder", "model_card", "push_folder",
           "samples_grid_png", "write_model_folder"]
from fashiongan.outputs import staged_folder
from fashiongan.validation import check_object

CARD_FILE = "README.md"
SAMPLES_FILE = "samples.png"


def model_config(generator: nn.Module, config: RunConfig, class_names: list[str]) -> dict[str, Any]:
    """What config.json holds: the full run config (to rebuild the network) and the facts a user wants first."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "image_size": int(generator.image_size),
        "channels": int(generator.channels),
        "z_dim": int(generator.z_dim),
        "conditional": bool(config.model.conditional),
        "class_names": list(class_names),
        "run_config": config.to_dict(),
    }


def write_model_folder(
    out: str | Path,
    generator: nn.Module,
    config: RunConfig,
    class_names: list[str],
    samples_png: bytes | None = None,
    eval_numbers: dict[str, Any] | None = None,
) -> Path:
    """Write config.json, model.safetensors and README.md (with samples.png when given) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = model_config(generator, config, class_names)
    save_tensors(out / WEIGHTS_FILE, generator.state_dict(), metadata={"format": FORMAT})
    write_json(out / CONFIG_FILE, meta)
    if samples_png is not None:
        atomic_write_bytes(out / SAMPLES_FILE, samples_png)
    atomic_write_text(out / CARD_FILE, model_card(meta, samples_png is not None, eval_numbers))
    return out


def model_card(meta: dict[str, Any], has_samples: bool, eval_numbers: dict[str, Any] | None) -> str:
    """A short README.md: what the model makes, how to load it, samples and evaluation numbers."""
    classes = ", ".join(meta["class_names"]) or "(unconditional)"
    lines = [
        "---", "library_name: fashiongan", "tags: [gan, image-generation, fashion]", "---", "",
        "# fashiongan generator", "",
        f"A {'class-conditional ' if meta['conditional'] else ''}GAN generator trained with fashiongan: "
        f"{meta['image_size']}×{meta['image_size']} px, {meta['channels']} channel(s), noise of {meta['z_dim']} "
        f"numbers.", "", f"Classes: {classes}", "",
        "```python", "import fashiongan",
        "samples = fashiongan.generate(\"THIS_FOLDER\", n=16, class_index=0, seed=0)  # uint8 (16, C, H, W)",
        "```", "",
        "`fashiongan serve THIS_FOLDER` opens a page to generate by class.", "",
    ]
    if has_samples:
        lines += ["## Samples", "", f"![samples, one row per class]({SAMPLES_FILE})", ""]
    if eval_numbers:
        lines += ["## Evaluation", "", "| number | value | floor (real data) |", "|---|---:|---:|"]
        floor = eval_numbers.get("floor") if isinstance(eval_numbers.get("floor"), dict) else {}
        for key, value in eval_numbers.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                base = floor.get(key)
                base_text = f"{base:.4g}" if isinstance(base, (int, float)) else ""
                lines.append(f"| {key} | {value:.4g} | {base_text} |")
        lines.append("")
    return "\n".join(lines)


def samples_grid_png(generator: nn.Module, class_names: list[str], conditional: bool, per_class: int = 8) -> bytes:
    """A grid for the model card: one row of ``per_class`` images per class (seeds 0, 1, …)."""
    import io

    from fashiongan.generate import sample
    from fashiongan.viz.grids import make_grid, to_pil

    rows = len(class_names) if conditional and class_names else 1
    labels = torch.arange(rows).repeat_interleave(per_class) if conditional else None
    images = sample(generator, range(rows * per_class), labels, next(generator.parameters()).device)
    picture = to_pil(make_grid(images, per_class))
    scale = max(1, 2 * 28 // int(generator.image_size))
    picture = picture.resize((picture.width * scale, picture.height * scale), 0)  # 0: nearest neighbour
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def export_model_folder(run_dir: str | Path, out: str | Path, checkpoint: str = "last") -> Path:
    """Turn a run folder (or a model folder) into a model folder with samples and the run's eval.json numbers."""
    from fashiongan.generate import load_generator

    generator, config, class_names = load_generator(run_dir, checkpoint, "cpu")
    eval_path = Path(run_dir) / "eval.json"
    eval_numbers = read_json(eval_path, "evaluation results") if eval_path.is_file() else None
    if eval_numbers is not None:
        check_object(eval_numbers, {}, eval_path, what="the numbers of `fashiongan evaluate`")
    png = samples_grid_png(generator, class_names, config.model.conditional)
    with staged_folder(out, last=(CONFIG_FILE,)) as staging:  # all files, or none: no half-made model folder
        write_model_folder(staging, generator, config, class_names, png, eval_numbers)
    return Path(out)


def push_folder(folder: str | Path, repo_id: str) -> str:
    """Upload ``folder`` to the model repository ``repo_id`` with huggingface_hub; returns its URL.

    Raises UserError with one line when huggingface_hub, a token or the network is missing.
    """
    try:
        import huggingface_hub
    except ImportError:
        raise UserError("--push needs huggingface_hub: pip install 'fashiongan[hub]'") from None
    if not huggingface_hub.get_token():
        raise UserError(f"cannot push to {repo_id}: no Hugging Face token (run `hf auth login` or set HF_TOKEN); "
                        f"the folder is ready at {folder}")
    api = huggingface_hub.HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model")
    except Exception as exc:  # network, auth and server errors all come back to the user as one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"could not push {folder} to {repo_id}: {reason}") from None
    return f"https://huggingface.co/{repo_id}"
