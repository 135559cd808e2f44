"""The markdown of a v2 study report: the protocol paragraph, the tables, and each N's GAN diagnosis.

Pure functions of the summary (study_report.summarise), the cell files and the saved plan.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import numpy as np

from fashiongan.classify.study_arms import ARM_ORDER, NON_GAN
from fashiongan.classify.study_plan import StudyPlan

COPYING, NARROW, OFF_CLASS = 0.05, 0.1, 0.9  # thresholds of the diagnosis (see ``diagnosis``)
GAN_NUMBERS = (("recall", "recall", 3), ("precision", "precision", 3), ("FID", "fid", 1),
               ("class acc.", "class_accuracy", 3), ("copies", "copies", 3), ("chosen step", "checkpoint_step", 0))


def pct(mean: float, half: float | None) -> str:
    return f"{100 * mean:.2f}" + (f" ± {100 * half:.2f}" if half is not None else "")


def n_label(n: Any) -> str:
    return str(n)


def budget_label(record: dict[str, Any]) -> str:
    """A GAN's budget as its record gives it: thousands of images (a folder from before 2026-12-07: seconds)."""
    if record.get("budget_kimg") is not None:
        return f"{record['budget_kimg']:g} kimg"
    return f"{record.get('budget_seconds')} s"


def protocol(saved: dict[str, Any], cells: list[dict[str, Any]], source: dict[str, Any] | None) -> str:
    """The protocol in one paragraph, with the numbers this study used (a plan's missing keys: the defaults)."""
    plan = {**dataclasses.asdict(StudyPlan()), **saved}
    recipes = sorted({(c["per_class"] or 10**9, (c.get("recipe") or {}).get("passes"),
                       (c.get("recipe") or {}).get("batch_size")) for c in cells})
    passes = ", ".join(f"N = {'all' if n == 10**9 else n}: {p} passes of batch {b}" for n, p, b in recipes)
    budgets = sorted({(c["per_class"] or 10**9, budget_label(c["gan"])) for c in cells})
    budget_text = ", ".join(f"{'all' if n == 10**9 else n}: {b}" for n, b in budgets)
    source_text = (f"{source['images']:,} images, {budget_label(source)} of training" if source
                   else "no source trained in this folder")
    large = plan["large_from"]
    return (
        f"**Protocol (v2).** A cell is (N labelled images per class, seed); seeds {plan['seeds']}. Each cell draws "
        "N images per class from the official Fashion-MNIST training split with its seed and carves its "
        "validation split out of them: 20 % per class, at least 2 and at most 100, always leaving one to train on "
        "(N = all: 100 per class); it trains on the rest. The official test split (10,000 images) gives the "
        "numbers below and nothing else. Every arm trains the same classifier "
        f"(`{plan['classifier_preset']}`, precision {plan['precision']}) for the same number of passes over the "
        f"cell's real training images, P = max({plan['min_passes']}, ceil({plan['min_steps']} x batch / n)), batch "
        f"{plan['small_batch']} below {plan['small_batch_below']:,} training images ({passes}); extra images are "
        "*added*: R per real image and pass, drawn each epoch from a pool sampled once (at least "
        f"{plan['pool_per_class']} per class), so an arm with ratio R takes (1 + R) x the steps. R is "
        f"{plan['ratios']} below N = {large} and {plan['large_ratios']} from it on (a grid: each GAN arm keeps the "
        f"ratio with the best validation accuracy in the cell). Below N = {large} every augmentation gets a + GAN "
        "arm and a GAN-only arm runs (as many GAN images per pass as real ones); from it on one + GAN arm, on the "
        "augmentation of the cell's best non-GAN arm on validation (best+gan, which below that N is the matching "
        "one of the three), and GAN-only except at N = all. Each cell's GAN "
        f"(`{plan['gan_preset']}`: adaptive discriminator augmentation) trains on the cell's training images "
        f"only, for {budget_text}; the validation images are its held-out set (KID in the features of a fixed "
        "random network), which chooses `checkpoints/best`, the checkpoint the GAN arms sample; `fashiongan "
        f"evaluate` measures it at {plan['eval_n']} generated images. Transfer arms at N = "
        f"{plan['transfer_per_class']}: the extra data are the training split's images without their labels, minus "
        f"every cell's validation images ({source_text}, one unconditional source GAN); each cell's transfer GAN "
        "is its GAN recipe started from that source; beside it the pseudo-label baseline (Lee 2013): the cell's "
        f"best non-GAN classifier labels {plan['pseudo_candidates']:,} of the extra images it did not draw, and "
        f"those given a class with probability >= {plan['pseudo_threshold']} are drawn like GAN images (at most "
        "the GAN pool's size per class); both use the augmentation of that best non-GAN arm. Statistics: per N "
        "the baseline is the non-GAN arm with the best mean validation accuracy over seeds; every other arm is "
        "compared with it seed by seed (test accuracy): the mean difference and its 95 % paired t interval; the "
        "verdict comes from the interval (above 0: better, below 0: worse, else no difference shown)."
    )


def accuracy_table(summary: dict[Any, dict[str, Any]], arms: list[str]) -> list[str]:
    present = [a for a in arms if any(a in s["arms"] for s in summary.values())]
    lines = ["| N | seeds | baseline | " + " | ".join(present) + " |", "|---:|---:|---|" + "---:|" * len(present)]
    for n, s in summary.items():
        cells = [pct(*s["arms"][a]) if a in s["arms"] else "–" for a in present]
        lines.append(f"| {n_label(n)} | {s['seeds']} | {s['baseline']} | " + " | ".join(cells) + " |")
    return lines


def versus_line(n: Any, name: str, against: str, interval: Any) -> str:
    span = (f"[{100 * interval.low:+.2f}, {100 * interval.high:+.2f}]" if interval.low is not None else "–")
    verdict = f"**{interval.verdict}**" if interval.verdict in ("better", "worse") else interval.verdict
    return f"| {n_label(n)} | {name} | {against} | {100 * interval.mean:+.2f} | {span} | {verdict} |"


VERSUS_HEADER = ["| N | arm | against | difference (points) | 95 % interval | verdict |", "|---:|---|---|---:|---|---|"]


def versus_table(summary: dict[Any, dict[str, Any]]) -> list[str]:
    lines = list(VERSUS_HEADER)
    for n, s in summary.items():
        for arm, interval in s["versus"].items():
            name, against = ("transfer+gan", "pseudo-label") if arm == "transfer-vs-pseudo" else (arm, s["baseline"])
            lines.append(versus_line(n, name, against, interval))
    return lines


def matched_table(summary: dict[Any, dict[str, Any]]) -> list[str]:
    """Each X + GAN arm against X alone, seed by seed: what the GAN images add to one augmentation."""
    lines = list(VERSUS_HEADER)
    for n, s in summary.items():
        for arm, interval in s.get("matched", {}).items():
            lines.append(versus_line(n, arm, arm.removesuffix("+gan"), interval))
    return lines


def diagnosis(numbers: dict[str, Any]) -> str:
    """Why a GAN's images can or cannot help, from its evaluate numbers (thresholds above)."""
    reasons = []
    if (numbers.get("copies") or 0) > COPYING:
        reasons.append(f"copies its training images ({100 * numbers['copies']:.0f} % of samples)")
    if numbers.get("recall") is not None and numbers["recall"] < NARROW:
        reasons.append(f"covers a narrow slice of each class (recall {numbers['recall']:.3f})")
    if numbers.get("class_accuracy") is not None and numbers["class_accuracy"] < OFF_CLASS:
        reasons.append(f"draws off-class images (class accuracy {numbers['class_accuracy']:.3f})")
    if reasons:
        return "; ".join(reasons)
    if numbers.get("recall") is None:
        return "not evaluated"
    return f"new, on-class images (recall {numbers['recall']:.3f}, class accuracy {numbers['class_accuracy']:.3f})"


def mean_numbers(records: list[dict[str, Any]]) -> dict[str, Any]:
    means = {}
    for _, key, _ in GAN_NUMBERS:
        values = [r[key] for r in records if r.get(key) is not None]
        means[key] = float(np.mean(values)) if values else None
    return means


def gan_table(cells: list[dict[str, Any]], key: str) -> list[str]:
    """Per N, the mean evaluate numbers of the cells' GANs (``gan`` or ``transfer_gan``) and the diagnosis."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for cell in cells:
        if cell.get(key):
            groups.setdefault(cell["per_class"], []).append(cell[key])
    lines = ["| N | GANs | budget | " + " | ".join(label for label, _, _ in GAN_NUMBERS) + " | diagnosis |",
             "|---:|---:|---:|" + "---:|" * len(GAN_NUMBERS) + "---|"]
    for n in sorted(groups, key=lambda v: 10**9 if v is None else v):
        means = mean_numbers(groups[n])
        values = ["–" if means[k] is None else f"{means[k]:.{d}f}" for _, k, d in GAN_NUMBERS]
        lines.append(f"| {'all' if n is None else n} | {len(groups[n])} | {budget_label(groups[n][0])} | "
                     + " | ".join(values) + f" | {diagnosis(means)} |")
    return lines


def ratio_lines(cells: list[dict[str, Any]]) -> list[str]:
    """How often each ratio was chosen on validation, per N and arm."""
    counts: dict[tuple[Any, str], Counter] = {}
    for cell in cells:
        for row in cell["arms"]:
            if row["chosen"] and row["ratio"] is not None and row["arm"] != "gan-only":
                counts.setdefault((cell["per_class"], row["arm"]), Counter())[row["ratio"]] += 1
    lines = ["| N | arm | ratio chosen on validation (cells) |", "|---:|---|---|"]
    for (n, arm), counter in sorted(counts.items(), key=lambda kv: (10**9 if kv[0][0] is None else kv[0][0], kv[0][1])):
        chosen = ", ".join(f"{r:g}: {k}" for r, k in sorted(counter.items()))
        lines.append(f"| {'all' if n is None else n} | {arm} | {chosen} |")
    return lines


def cell_lines(cells: list[dict[str, Any]]) -> list[str]:
    """Per cell: its GAN's numbers, and each GAN arm's test accuracy minus the cell's best non-GAN arm's."""
    lines = ["| cell | recall | copies | class acc. | step chosen / trained | diagnosis "
             "| GAN arms − best non-GAN (points) |",
             "|---|---:|---:|---:|---:|---|---|"]
    for cell in sorted(cells, key=lambda c: (10**9 if c["per_class"] is None else c["per_class"], c["seed"])):
        gan = cell["gan"]
        chosen = {r["arm"]: r for r in cell["arms"] if r["chosen"]}
        base = max((chosen[a] for a in NON_GAN if a in chosen), key=lambda r: r["val_accuracy"])
        gaps = ", ".join(f"{a} {100 * (r['test_accuracy'] - base['test_accuracy']):+.2f}"
                         for a, r in chosen.items() if r.get("pool"))
        numbers = [gan.get(k) for k in ("recall", "copies", "class_accuracy")]
        text = ["–" if v is None else f"{v:.3f}" for v in numbers]
        steps = f"{gan.get('checkpoint_step')} / {gan.get('steps_trained', '–')}"
        lines.append(f"| {cell.get('cell')} | {' | '.join(text)} | {steps} | {diagnosis(gan)} | "
                     f"{gaps} |")
    return lines


def time_lines(cells: list[dict[str, Any]]) -> list[str]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault(cell["per_class"], []).append(cell)
    lines = ["| N | cells | mean cell time (s) | of which GAN training (s) |", "|---:|---:|---:|---:|"]
    for n in sorted(groups, key=lambda v: 10**9 if v is None else v):
        group = groups[n]
        cell_s = np.mean([c.get("cell_seconds", 0) for c in group])
        gan_s = np.mean([c["gan"].get("wall_seconds", 0) for c in group])
        lines.append(f"| {'all' if n is None else n} | {len(group)} | {cell_s:.0f} | {gan_s:.0f} |")
    total = sum(c.get("cell_seconds", 0) for c in cells)
    return [*lines, "", f"Cells' total: {total:,.0f} s ({total / 3600:.2f} h), transfer source not included.",
            "", machine_line(cells)]


def machine_line(cells: list[dict[str, Any]]) -> str:
    """Which machine ran which cells: time-budgeted GANs train fewer steps on a slower one."""
    by_machine: dict[str, list[str]] = {}
    for cell in sorted(cells, key=lambda c: (10**9 if c["per_class"] is None else c["per_class"], c["seed"])):
        by_machine.setdefault(cell.get("machine") or "not recorded", []).append(str(cell.get("cell")))
    return "Machines: " + "; ".join(f"{m} ({', '.join(names)})" for m, names in by_machine.items()) + "."


def markdown(summary: dict[Any, dict[str, Any]], cells: list[dict[str, Any]], plan: dict[str, Any],
             source: dict[str, Any] | None) -> str:
    lines = ["# Augmentation study v2: do GAN images improve a fashion classifier?", "", protocol(plan, cells, source),
             "", "## Test accuracy (%), mean ± 95 % interval over seeds", "", *accuracy_table(summary, ARM_ORDER),
             "", "## Each arm against the baseline, seed by seed", "", *versus_table(summary),
             "", "## What the GAN images add: each + GAN arm against the same augmentation without them", "",
             *matched_table(summary),
             "", "## The cells' GANs (mean over seeds; `fashiongan evaluate` of checkpoints/best)", "",
             *gan_table(cells, "gan"), "", "Diagnosis thresholds: copies above "
             f"{COPYING} (five times a model that does not copy), recall below {NARROW}, class accuracy below "
             f"{OFF_CLASS} (real images: about 0.96).", ""]  # fmt: skip
    if any(c.get("transfer_gan") for c in cells):
        lines += ["## The transfer GANs", "", *gan_table(cells, "transfer_gan"), ""]
    lines += ["## Per cell (the cell's GAN, and its GAN arms against the cell's best non-GAN arm on validation)", "",
              *cell_lines(cells), "", "## Ratios", "", *ratio_lines(cells), "", "## Time", "", *time_lines(cells)]
    return "\n".join(lines) + "\n"
