"""Classification Accuracy Score (Ravuri & Vinyals 2019, "Classification Accuracy Score for Conditional
Generative Models"): train a classifier only on generated images, labelled with the class asked for, and test
it on real test images. Beside it, the same classifier trained on as many real training images per class:
the gap says how much of what a classifier needs the generator's class-conditional images carry.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.train import train_classifier
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import Splits, load_splits, per_class_subset, repeat_to
from fashiongan.errors import UserError
from fashiongan.generate import generate, load_run_config
from fashiongan.io import write_json

DEFAULT_PER_CLASS = 1000
DEFAULT_STEPS = 400
MIN_EPOCH_IMAGES = 2560  # a small training set is repeated up to this size per epoch


def generated_training_set(run_dir: str | Path, per_class: int, class_names: list[str], seed: int,
                           device: str) -> ImageDataset:
    """``per_class`` generated images of each class (through ``generate``), labelled with the class asked for."""
    samples = generate(run_dir, n=per_class * len(class_names), seed=seed, device=device)
    if samples.labels is None:
        raise UserError(f"--cas needs a conditional GAN; {run_dir} is unconditional, so its images have no class")
    if list(samples.class_names) != list(class_names):
        raise UserError(f"{run_dir}'s classes {samples.class_names} differ from its data's {class_names}")
    return ImageDataset(samples.images, samples.labels.clone(), list(class_names))


def _train(config: ClassifyConfig, splits: Splits, folder: Path) -> float:
    result = train_classifier(config, folder, splits=splits, progress_bar=False, plots=False)
    return float(result.metrics["test_accuracy"])


def classification_accuracy_score(
    run_dir: str | Path,
    per_class: int = DEFAULT_PER_CLASS,
    steps: int = DEFAULT_STEPS,
    preset: str = "fmnist-cnn",
    seed: int = 0,
    device: str = "auto",
    json_path: str | Path | None = None,
) -> dict[str, Any]:
    """CAS of a conditional GAN run, and the real-data accuracy it is measured against.

    Both classifiers (``preset``, ``steps`` optimizer steps, no augmentation, the same seed) see
    ``per_class`` images per class and are tested on the run's real test split (Fashion-MNIST's official one).
    Writes ``json_path`` (default RUN_DIR/cas.json).
    """
    if per_class < 1 or steps < 1:
        raise UserError(f"--cas-per-class and the step count must be at least 1; got {per_class} and {steps}")
    data = load_run_config(run_dir).data
    real = load_splits(data, 0.1, seed)
    fake = generated_training_set(run_dir, per_class, real.train.class_names, seed, device)
    real_train = per_class_subset(real.train, per_class, seed)
    config = ClassifyConfig(data=data.source, data_dir=data.data_dir, preset=preset, image_size=data.image_size,
                            channels=data.channels, max_steps=steps, seed=seed, device=device)
    val = real.val.random_subset(1000, seed)  # only for the per-epoch log; nothing is chosen on it
    with tempfile.TemporaryDirectory(prefix="fashiongan-cas-") as tmp:
        cas = _train(config, Splits(repeat_to(fake, MIN_EPOCH_IMAGES), val, real.test, real.test_source),
                     Path(tmp) / "generated")
        real_accuracy = _train(config, Splits(repeat_to(real_train, MIN_EPOCH_IMAGES), val, real.test,
                                              real.test_source), Path(tmp) / "real")
    result = {"cas": round(cas, 5), "real_accuracy": round(real_accuracy, 5), "gap": round(real_accuracy - cas, 5),
              "per_class": per_class, "train_images": len(fake), "real_train_images": len(real_train),
              "test_images": len(real.test), "test_split": real.test_source, "classifier": preset, "steps": steps,
              "seed": seed}  # fmt: skip
    write_json(json_path or Path(run_dir) / "cas.json", result)
    return result


def format_cas(result: dict[str, Any]) -> str:
    return (f"CAS (classifier trained on {result['train_images']} generated images, tested on {result['test_images']} "
            f"real {result['test_split']} test images): {100 * result['cas']:.2f}%; the same classifier on "
            f"{result['real_train_images']} real images: {100 * result['real_accuracy']:.2f}%")
