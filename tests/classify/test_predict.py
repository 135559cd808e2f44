"""predict_files: class and probability per image; folders expand; bad files are reported, not fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.predict import predict_files
from fashiongan.classify.train import train_classifier
from fashiongan.data.splits import Splits
from fashiongan.errors import UserError


def test_predictions_match_the_classes_and_bad_files_carry_a_reason(tiny_splits: Splits, tmp_path: Path):
    config = ClassifyConfig(preset="small-cnn", epochs=8, batch_size=16, lr=3e-3, device="cpu")
    train_classifier(config, tmp_path / "run", splits=tiny_splits, progress_bar=False)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(8):
        Image.fromarray(tiny_splits.test.images[i, 0].numpy(), "L").save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    results = predict_files(tmp_path / "run", [folder, tmp_path / "missing.png"])
    by_name = {r.path.name: r for r in results}
    assert len(results) == 10 and by_name["broken.png"].error.startswith("not an image Pillow can read")
    assert by_name["missing.png"].error == "no such file"
    good = [by_name[f"{i}.png"] for i in range(8)]
    assert sum(r.class_name == f"class{i % 4}" for i, r in enumerate(good)) >= 7
    assert all(0.25 <= r.probability <= 1 for r in good)


def test_predict_needs_a_classifier_run(tmp_path: Path):
    with pytest.raises(UserError, match="classifier run config not found"):
        predict_files(tmp_path, [tmp_path])


def test_a_classifier_run_with_an_unknown_key_is_named_in_one_line(tiny_splits: Splits, tmp_path: Path):
    config = ClassifyConfig(preset="small-cnn", epochs=1, batch_size=16, device="cpu")
    train_classifier(config, tmp_path / "run", splits=tiny_splits, progress_bar=False)
    path = tmp_path / "run" / "config.json"
    saved = json.loads(path.read_text())
    saved["classify"]["warp"] = 9
    path.write_text(json.dumps(saved))
    with pytest.raises(UserError, match=r"config\.json: classifier config has unknown keys \['warp'\]"):
        predict_files(tmp_path / "run", [tmp_path])
