"""Fine-tuning: start a run's networks from another run or model folder (``--init-from``), and FreezeD.

Starting G and D from a GAN trained on other data is the cheapest known help for small data sets (Wang et
al. 2018, "Transferring GANs"; pre-training mostly lifts recall and coverage, Grigoryev et al. 2022). The
architecture must match tensor for tensor, except where tensors are indexed by class: rows of a class the
source also had (by name) are copied, and a class new to the source starts from the mean of the source's
rows (a "generic garment" to specialise from), set apart from the other new classes by a fresh deviation
or, where the fresh rows are all alike, by a source class's own: in turn, or with ``--init-start nearest`` the
one the source's D sees most in the new class's images (training/nearest_class.py).
Optimizer states start fresh. With ``--freeze-d K`` the first K blocks of D keep their pre-trained weights
(FreezeD, Mo et al. 2020).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.errors import UserError
from fashiongan.io import load_tensors, read_json, sha256_file, write_json
from fashiongan.run.checkpoint import has_module, load_progress, resolve_checkpoint, strip_wrappers, weights_file
from fashiongan.run.folder import load_run_config
from fashiongan.run.model_folder import CONFIG_FILE, FORMAT, FORMAT_VERSION, WEIGHTS_FILE, is_model_folder
from fashiongan.schemas import check_model_config
from fashiongan.training.nearest_class import nearest_source_classes

log = logging.getLogger(__name__)

@dataclass
class Source:
    """The tensors a run starts from, by module name, and where they came from."""

    path: Path
    kind: str  # "run" or "model folder"
    class_names: list[str]
    conditional: bool
    tensors: dict[str, dict[str, torch.Tensor]]  # module name → state dict
    files: dict[str, str] = field(default_factory=dict)  # module name → SHA-256 of its weights file


def read_source(path: str | Path) -> Source:
    """The generator (and, from a run, discriminator and EMA copy) of a run or model folder."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"--init-from {path}: no such run or model folder")
    if is_model_folder(path):
        meta = check_model_config(read_json(path / CONFIG_FILE, "model config"), path / CONFIG_FILE, FORMAT,
                                  FORMAT_VERSION)
        weights = path / WEIGHTS_FILE
        tensors = {"generator": _tensors(weights)}
        return Source(path, "model folder", list(meta["class_names"]), bool(meta["conditional"]), tensors,
                      {"generator": sha256_file(weights)})
    folder = resolve_checkpoint(path, "last")
    progress = load_progress(folder)
    tensors, files = {}, {}
    for name in ("generator", "discriminator", "generator_ema"):
        if has_module(folder, name):
            tensors[name] = _tensors(folder / weights_file(name))
            files[name] = progress.files.get(weights_file(name)) or sha256_file(folder / weights_file(name))
    if "generator" not in tensors:
        raise UserError(f"--init-from {path}: its checkpoint {folder} holds no generator")
    conditional = load_run_config(path).model.conditional
    return Source(path, "run", list(progress.class_names), conditional, tensors, files)


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    return {strip_wrappers(k): v for k, v in load_tensors(path, "weights").items()}


def class_indexed(module: nn.Module, num_classes: int) -> set[str]:
    """State-dict keys whose first dimension runs over the classes: embeddings and the class head."""
    keys: set[str] = set()
    for name, sub in module.named_modules():
        prefix = f"{name}." if name else ""
        embedding = isinstance(sub, nn.Embedding) and sub.num_embeddings == num_classes
        head = isinstance(sub, nn.Linear) and name.endswith("class_head") and sub.out_features == num_classes
        if embedding or head:
            keys |= {prefix + k for k in sub.state_dict()}
    return keys


def map_class_rows(source: torch.Tensor, source_names: list[str], target_names: list[str],
                   fresh: torch.Tensor | None = None, borrowed: dict[str, str] | None = None) -> torch.Tensor:
    """Rows for ``target_names``: copied where the source has the class; a new class gets the mean of the
    source's rows plus its ``fresh`` row's deviation from the fresh rows' mean, scaled to the source rows'
    spread. Without that deviation every new class would start identical, and D, unable to tell them apart,
    would give G nothing to separate them by. Where the fresh rows are all the same (a cBN gain at 1), the
    k-th new class takes the deviation of the source's k-th class that the target lacks (cycling), so G's
    new classes start as distinct learned garments; ``borrowed`` (new class → source class) picks those
    classes instead (``--init-start nearest``)."""
    mean = source.float().mean(dim=0)
    new = [i for i, n in enumerate(target_names) if n not in source_names]
    rows = {i: source[source_names.index(n)].float() for i, n in enumerate(target_names) if i not in new}
    offsets = torch.zeros(len(new), *source.shape[1:])
    borrowed = borrowed_classes(source_names, target_names) if borrowed is None else borrowed
    if borrowed:
        deviations = source.float() - mean
        offsets = deviations[[source_names.index(borrowed[target_names[i]]) for i in new]]
        if fresh is not None and fresh.shape[0] == len(target_names):
            centred = fresh[new].float() - fresh[new].float().mean(dim=0)
            if centred.std() > 0:
                offsets = centred * (deviations.std() / centred.std())
    rows |= {i: mean + offset for i, offset in zip(new, offsets, strict=True)}
    return torch.stack([rows[i] for i in range(len(target_names))]).to(source.dtype)


def borrowed_classes(source_names: list[str], target_names: list[str]) -> dict[str, str]:
    """New class → the source class whose deviation it takes where the fresh rows are all alike (G's cBN gains
    and biases): the source's classes the target lacks first, in order, then all of them again (cycling).
    Empty where no setting apart is needed (fewer than two new classes, or a single source class)."""
    new = [n for n in target_names if n not in source_names]
    if len(new) < 2 or len(source_names) < 2:
        return {}
    unused = [n for n in source_names if n not in target_names]
    order = unused + [n for n in source_names if n not in unused]
    return {name: order[k % len(order)] for k, name in enumerate(new)}


def fit_state_dict(module: nn.Module, tensors: dict[str, torch.Tensor], what: str, source: Source,
                   class_names: list[str], borrowed: dict[str, str] | None = None) -> None:
    """Load ``tensors`` into ``module``, with the rows of class-indexed tensors mapped by class name."""
    target = module.state_dict()
    indexed = class_indexed(module, len(class_names))
    loaded: dict[str, torch.Tensor] = {}
    for key, value in target.items():
        if key not in tensors and key in indexed and not source.conditional:
            loaded[key] = from_unconditional(key, value, tensors)
            continue
        if key not in tensors:
            raise UserError(f"--init-from {source.path}: its {what} has no {key!r}; the model options (generator, "
                            "discriminator, conditional) must be those of that run")
        given = tensors[key]
        by_class = key in indexed and not key.endswith("._v")  # _v runs over features, not classes
        if by_class and given.ndim == value.ndim and given.shape[1:] == value.shape[1:] \
                and given.shape[0] == len(source.class_names):
            given = map_class_rows(given, source.class_names, class_names, value, borrowed)
            if key.endswith("._u"):  # a spectral norm's power-iteration vector: keep it a unit vector
                given = given / given.norm().clamp_min(1e-12)
        if given.shape != value.shape:
            raise UserError(f"--init-from {source.path}: its {what} does not fit this model: {key!r} is "
                            f"{tuple(given.shape)} there and {tuple(value.shape)} here; use the same image size, "
                            "channels and widths as that run")
        loaded[key] = given.to(value.dtype)
    module.load_state_dict(loaded)


def from_unconditional(key: str, fresh: torch.Tensor, tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    """A class-indexed tensor the unconditional source lacks: every class's gain and bias of a class-conditional
    BatchNorm start as the source's one affine (so G starts as the source for every class); other class tensors
    (D's projection embedding and class head) keep their fresh initialisation (Laria et al. 2022 also start
    class conditioning from an unconditional GAN)."""
    prefix, _, leaf = key.rpartition(".")  # e.g. blocks.0.norm.gain . weight
    owner, _, name = prefix.rpartition(".")
    shared = {"gain": "weight", "bias": "bias"}.get(name)
    source_key = f"{owner}.norm.{shared}" if owner else f"norm.{shared}"
    if leaf == "weight" and shared and source_key in tensors:
        return tensors[source_key].to(fresh.dtype).expand_as(fresh).clone()
    return fresh


def initialise_from(source: Source, modules: dict[str, nn.Module], class_names: list[str],
                    conditional: bool = True, start: str = "order",
                    probe: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, Any]:
    """Load what ``source`` has into the run's fresh ``modules`` (a ``conditional`` run or not); returns the
    record written to the run folder. With ``start`` "nearest" and ``probe`` (the run's uint8 training images
    and labels), each new class starts in G as the source class the source D sees most in its images."""
    if source.conditional and not conditional:
        raise UserError(f"--init-from {source.path}: that model is class-conditional and this run is not; "
                        "start an unconditional run from an unconditional one")
    new = [c for c in class_names if c not in source.class_names or not source.conditional]
    borrowed = borrowed_classes(source.class_names, class_names)
    asked = False
    loaded, fresh = {}, []
    for name in sorted(modules, key=lambda n: n != "discriminator"):  # D first: "nearest" asks it
        module = getattr(modules[name], "_orig_mod", modules[name])  # torch.compile's wrapper prefixes its keys
        from_name = name if name in source.tensors else "generator" if name == "generator_ema" else None
        if from_name is None:
            fresh.append(name)
            continue
        fit_state_dict(module, source.tensors[from_name], from_name, source, class_names, borrowed)
        loaded[name] = from_name
        if name == "discriminator" and start == "nearest" and probe is not None and source.conditional and new:
            head = {k.removeprefix("class_head."): v for k, v in source.tensors[name].items()
                    if k.startswith("class_head.")}
            nearest = nearest_source_classes(module, head, *probe, class_names, source.class_names)
            borrowed, asked = borrowed | nearest, bool(nearest)
    if start == "nearest" and source.conditional and new and not asked:
        log.warning("--init-start nearest: %s has no discriminator class head to ask; new classes start as the "
                    "source classes in order", source.path)
    record = {
        "source": str(source.path), "kind": source.kind, "modules": loaded, "fresh_modules": fresh,
        "source_classes": source.class_names, "reused_classes": [c for c in class_names if c not in new],
        "new_classes": new, "source_sha256": source.files,
        # which source class each new class starts as in G (its cBN rows); D's new rows are set apart by their
        # fresh deviations instead (map_class_rows); "nearest" when the source D chose them
        "new_classes_start_as": borrowed if source.conditional else {},
        "new_classes_chosen_by": "nearest" if asked else "order",
    }  # fmt: skip
    log.info("--init-from %s: %s loaded%s; %d classes reused, %d new%s", source.path, ", ".join(loaded),
             f", {', '.join(fresh)} fresh" if fresh else "", len(record["reused_classes"]), len(new),
             f" (starting as {record['new_classes_start_as']})" if record["new_classes_start_as"] else "")
    return record


def discriminator_blocks(discriminator: nn.Module) -> list[nn.Module]:
    """D's trunk layers that hold weights, input side first (the blocks FreezeD counts)."""
    trunk = getattr(discriminator, "trunk", None) or getattr(discriminator, "features", None)
    if trunk is None:
        raise UserError("--freeze-d needs a convolutional discriminator (conv, sn or resnet)")
    return [m for m in trunk.children() if any(True for _ in m.parameters())]


def freeze_discriminator(discriminator: nn.Module, blocks: int) -> None:
    """Stop the first ``blocks`` blocks of D from training (their parameters get no gradient)."""
    trunk = discriminator_blocks(discriminator)
    if blocks > len(trunk):
        raise UserError(f"--freeze-d {blocks}: this discriminator has only {len(trunk)} blocks")
    for block in trunk[:blocks]:
        for parameter in block.parameters():
            parameter.requires_grad_(False)


def write_record(run_dir: Path, record: dict[str, Any]) -> None:
    """``init_from.json``: where the run started from, so its numbers can be read with that in mind."""
    write_json(run_dir / "init_from.json", record)
