"""The augmentation study, protocol v2: do GAN images improve a fashion classifier trained on N per class?

A cell is (N per class, seed). For each cell (study_data, study_gan, study_arms say how):

1. draw N labelled images per class; carve the validation split out of them; train on the rest;
2. train the cell's GAN on the training images only (validation = its held-out set choosing
   ``checkpoints/best``), evaluate it, and draw a pool of its images;
3. train every arm with the same passes over the real images: real, classic, strong; real/classic/
   strong + GAN at each ratio and GAN only (from ``large_from`` on: only best + GAN, the GAN on top of the
   cell's best non-GAN arm on validation, and no GAN only at N = all);
4. at the N of ``transfer_per_class``: the transfer GAN (the same recipe started from the study's source
   GAN, trained on the unlabelled training split) and its pseudo-label baseline, both with the
   augmentation of the cell's best non-GAN arm;
5. keep, for each GAN arm, the ratio with the best validation accuracy, and write OUT/cells/<cell>.json.

Finished cells are skipped on a re-run; an interrupted cell continues its GANs and classifiers from their
checkpoints. ``shard`` (or torchrun's ranks) spreads the cells; ``study_report`` merges them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch

from fashiongan import distributed
from fashiongan.classify.model import get_preset
from fashiongan.classify.study_arms import (
    CellRun,
    base_arms,
    best_non_gan,
    gan_arms,
    mark_chosen,
    train_arm,
    transfer_arms,
)
from fashiongan.classify.study_data import (
    CellSplit,
    StudyData,
    cell_split,
    load_study_data,
    source_positions,
    unlabelled_for_cell,
    val_per_class,
)
from fashiongan.classify.study_gan import run_cell_gan, sample_pool, train_source, wait_for_source
from fashiongan.classify.study_plan import (
    FULL_PER_CLASS,
    PROTOCOL,
    StudyPlan,
    cell_name,
    check_plan,
    classifier_recipe,
    digest,
    gan_kimg,
    shard_cells,
)
from fashiongan.classify.study_pseudo import pseudo_pool
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import read_json, write_json
from fashiongan.run.device import device_name, resolve_device

log = logging.getLogger(__name__)

SOURCE_FOLDER = "transfer-source"
CLASSES = 10  # Fashion-MNIST's: the cost estimate below only needs the relative sizes of cells


def cell_cost(plan: StudyPlan, per_class: int | None, preset_batch: int) -> float:
    """A rough cost of a cell in thousands of GAN images, to deal cells out evenly over shards and ranks: its
    GANs, plus every arm's classifier images, each worth about 0.6 of a GAN image at batch 32 and 0.42 at
    batch 128 on a 2-core CPU (docs/classify.md)."""
    n = FULL_PER_CLASS if per_class is None else per_class
    real = CLASSES * (n - val_per_class(n))
    recipe = classifier_recipe(plan, real, preset_batch)
    transfer = plan.has_transfer(per_class)
    plus_gan = (1 if plan.is_large(per_class) else 3) + 2 * transfer  # + GAN arms; transfer: its twin, pseudo-label
    units = 3 + plus_gan * (1 + max(plan.ratios_at(per_class))) + (per_class is not None)  # GAN only: 1 pass
    image_cost = 0.6 * (32 / recipe.batch_size) ** 0.25
    return gan_kimg(plan, per_class) * (1 + transfer) + image_cost * units * recipe.passes * real / 1000


def pool_size(plan: StudyPlan, per_class: int | None, real: ImageDataset, repeats: int) -> int:
    """Pool images per class: ``pool_per_class``, or what one epoch of the cell's largest ratio (GAN only's is
    1, where it runs) draws of the largest class."""
    ratio = max([*plan.ratios_at(per_class), 1.0 if per_class is not None else 0.0])
    return max(plan.pool_per_class, round(ratio * repeats * int(torch.bincount(real.labels).max())))


def run_transfer(run: CellRun, plan: StudyPlan, data: StudyData, split: CellSplit, rows: list[dict[str, Any]],
                 out: Path, ratios: list[float]) -> dict[str, Any]:
    """The transfer GAN arm and its pseudo-label baseline; returns their records (and appends their rows)."""
    per_class, seed = run.per_class, run.seed
    best = best_non_gan(rows)
    holdout = val_per_class(per_class)
    transfer = run_cell_gan(plan, per_class, seed, run.train, run.val, holdout, run.work / "transfer-gan",
                            init_from=out / "work" / SOURCE_FOLDER)
    size = pool_size(plan, per_class, run.train, run.recipe.repeats)
    gan_pool = sample_pool(plan, run.work / "transfer-gan", run.train.class_names, size, seed)
    candidates = data.train.subset(unlabelled_for_cell(len(data.train), split, plan.pseudo_candidates, seed))
    labelled_pool, pseudo = pseudo_pool(run.work / best["arm"], candidates, plan.pseudo_threshold, size, seed,
                                        plan.device)
    pools = {"transfer": gan_pool, "pseudo": labelled_pool}
    for arm in transfer_arms(ratios, best["augment"]):
        rows.append(train_arm(run, arm, pools[arm.pool]))
    transfer = transfer | {"init_from": f"work/{SOURCE_FOLDER}"}  # the record names the study folder's own source
    return {"transfer_gan": transfer, "pseudo": pseudo | {"labeller": best["arm"]}}


def run_cell(plan: StudyPlan, data: StudyData, per_class: int | None, seed: int, out: Path) -> dict[str, Any]:
    """Run one cell and write OUT/cells/<name>.json (atomically); returns what it wrote."""
    name = cell_name(per_class, seed)
    started = time.perf_counter()
    split = cell_split(data.train.labels, per_class, seed)
    train, val = data.train.subset(split.train), data.train.subset(split.val)
    recipe = classifier_recipe(plan, len(train), get_preset(plan.classifier_preset).batch_size)
    run = CellRun(plan, seed, train, val, data.test, recipe, out / "work" / name, per_class)
    gan = run_cell_gan(plan, per_class, seed, train, val, val_per_class(per_class), run.work / "gan")
    rows = [train_arm(run, arm) for arm in base_arms()]
    pool = sample_pool(plan, run.work / "gan", train.class_names, pool_size(plan, per_class, train, recipe.repeats),
                       seed)
    ratios = plan.ratios_at(per_class)
    best = best_non_gan(rows)["augment"] if plan.is_large(per_class) else None
    rows += [train_arm(run, arm, pool) for arm in gan_arms(ratios, best, gan_only=per_class is not None)]
    extra = run_transfer(run, plan, data, split, rows, out, ratios) if plan.has_transfer(per_class) else {}
    result = {
        "protocol": PROTOCOL, "cell": name, "per_class": per_class, "seed": seed,
        "real_images": len(train), "val_images": len(val),
        "real_per_class": torch.bincount(train.labels, minlength=train.num_classes).tolist(),
        "val_per_class": torch.bincount(val.labels, minlength=val.num_classes).tolist(),
        "train_sha256": digest(split.train), "val_sha256": digest(split.val),
        "recipe": {"passes": recipe.passes, "repeats": recipe.repeats, "epochs": recipe.epochs,
                   "batch_size": recipe.batch_size, "ratios": ratios},
        "gan": gan, **extra, "best_non_gan": best_non_gan(rows)["arm"], "arms": mark_chosen(rows),
        "cell_seconds": round(time.perf_counter() - started, 1), "machine": device_name(resolve_device(plan.device)),
    }  # fmt: skip
    write_json(out / "cells" / f"{name}.json", result)
    return result


def check_cells(out: Path) -> None:
    """Refuse a cells/ folder holding a cell of another protocol (one line naming it)."""
    for path in sorted((out / "cells").glob("*.json")):
        protocol = read_json(path, "study cell").get("protocol", "v1")
        if protocol != PROTOCOL:
            raise UserError(f"{path} is a cell of protocol {protocol}, not {PROTOCOL}; use another --out")


def prepare_source(plan: StudyPlan, data: StudyData, out: Path) -> None:
    """Train the transfer source (once per study) on the training split minus every cell's validation images."""
    train_source(plan, data.train.subset(source_positions(data.train.labels, plan)), out / "work" / SOURCE_FOLDER)


def run_study(plan: StudyPlan, out: str | Path, shard: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """Run this process's share of the cells, skipping finished ones; returns the results of the cells it ran.

    Shard 1 (rank 0 under torchrun) trains the transfer source while any transfer cell is unfinished; the
    other shards run their transfer cells last within each seed and wait for it there if need be.
    """
    out = Path(out)
    plan.check()
    out.mkdir(parents=True, exist_ok=True)
    check_plan(plan, out)
    check_cells(out)
    batch = get_preset(plan.classifier_preset).batch_size
    costs = [cell_cost(plan, n, batch) for n, _ in plan.cells()]
    head_start = plan.source_kimg if plan.transfer_per_class else 0.0  # shard 1 trains the source first
    mine, shard_number = shard_cells(plan.cells(), shard, costs, head_start)
    distributed.work_alone()  # with --shard under torchrun too: every cell trains in this process alone
    unfinished = [c for c in plan.cells() if not (out / "cells" / f"{cell_name(*c)}.json").is_file()]
    # seed by seed (a stopped run holds whole seeds), transfer cells last in a seed (the source may be training)
    todo = sorted((c for c in mine if c in unfinished), key=lambda c: (c[1], plan.has_transfer(c[0])))
    source_needed = any(plan.has_transfer(n) for n, _ in unfinished)
    if not todo and not (source_needed and shard_number == 1):
        log.info("every cell of this share is done")
        return []
    data = load_study_data(plan)
    if source_needed and shard_number == 1:
        prepare_source(plan, data, out)
    results = []
    for i, (per_class, seed) in enumerate(todo, 1):
        if plan.has_transfer(per_class):
            wait_for_source(out / "work" / SOURCE_FOLDER)
        log.info("cell %d/%d: %s", i, len(todo), cell_name(per_class, seed))
        results.append(run_cell(plan, data, per_class, seed, out))
    return results
