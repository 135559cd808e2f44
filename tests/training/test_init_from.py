"""--init-from: weights carried over, class rows mapped by name, mismatches refused, FreezeD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import load_tensors
from fashiongan.training.init_from import map_class_rows
from fashiongan.training.loop import train

from .conftest import tiny_config

MODERN = {"model.generator": "cbn", "model.discriminator": "sn", "train.aux_weight": 0.3, "train.ema_kimg": 1.0,
          "train.epochs": 1}


def weights(run: Path, name: str, checkpoint: str = "last") -> dict[str, torch.Tensor]:
    return load_tensors(run / "checkpoints" / checkpoint / f"{name}.safetensors")


def relabelled(data: ImageDataset, names: list[str]) -> ImageDataset:
    return ImageDataset(data.images, data.labels, names)


@pytest.fixture
def source(tmp_path: Path, tiny_data: ImageDataset) -> Path:
    train(tiny_config(**MODERN), tmp_path / "source", data=tiny_data, progress_bar=False)
    return tmp_path / "source"


def test_rows_of_known_classes_are_copied_and_new_ones_start_at_the_mean():
    rows = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    mapped = map_class_rows(rows, ["a", "b"], ["b", "z", "a"])
    assert torch.equal(mapped, torch.tensor([[3.0, 6.0], [2.0, 4.0], [1.0, 2.0]]))


def test_new_classes_are_set_apart_by_the_fresh_rows_at_the_source_spread():
    rows = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0]])
    fresh = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    mapped = map_class_rows(rows, ["a", "b", "c"], ["b", "x", "y", "z"], fresh)
    assert torch.equal(mapped[0], rows[1])
    new = mapped[1:]
    assert not torch.allclose(new[0], new[1]) and not torch.allclose(new[1], new[2])
    torch.testing.assert_close(new.mean(0), rows.mean(0))  # centred on the source's mean row
    spread = (rows - rows.mean(0)).std()
    torch.testing.assert_close((new - new.mean(0)).std(), spread)


def test_new_classes_without_fresh_deviations_take_the_source_classes_the_target_lacks():
    rows = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0]])
    alike = torch.ones(4, 2)  # a fresh cBN gain: the same for every class
    mapped = map_class_rows(rows, ["a", "b", "c"], ["b", "x", "y", "z"], alike)
    torch.testing.assert_close(mapped[:3], rows[[1, 0, 2]])  # b copied; x and y take a's and c's deviations
    torch.testing.assert_close(mapped[3], rows[1])  # then the cycle goes on over every source class
    one_new = map_class_rows(rows, ["a", "b", "c"], ["a", "x"], torch.ones(2, 2))
    torch.testing.assert_close(one_new[1], rows.mean(0))  # a single new class needs no setting apart


def test_a_run_starts_from_the_source_weights(tmp_path: Path, tiny_data, source: Path):
    config = tiny_config(**MODERN, **{"train.init_from": str(source), "train.lr_g": 1e-8, "train.lr_d": 1e-8})
    train(config, tmp_path / "tuned", data=tiny_data, progress_bar=False)
    before, after = weights(source, "generator"), weights(tmp_path / "tuned", "generator")
    for key in before:
        if "running" not in key and "num_batches" not in key:  # BatchNorm statistics move with the data
            torch.testing.assert_close(after[key], before[key], atol=1e-6, rtol=0)
    record = json.loads((tmp_path / "tuned" / "init_from.json").read_text())
    assert record["modules"] == {"generator": "generator", "discriminator": "discriminator",
                                 "generator_ema": "generator_ema"}
    assert record["new_classes"] == [] and record["reused_classes"] == ["a", "b", "c", "d"]
    assert record["new_classes_start_as"] == {}


def test_new_classes_get_rows_the_target_lacks_and_the_record_says_so(tmp_path: Path, tiny_data, source: Path):
    data = relabelled(tiny_data, ["a", "b", "x", "y"])
    config = tiny_config(**MODERN, **{"train.init_from": str(source), "train.lr_g": 1e-8, "train.lr_d": 1e-8})
    train(config, tmp_path / "tuned", data=data, progress_bar=False)
    key = "blocks.0.norm.gain.weight"
    before, after = weights(source, "generator")[key], weights(tmp_path / "tuned", "generator")[key]
    torch.testing.assert_close(after[:2], before[:2], atol=1e-6, rtol=0)
    torch.testing.assert_close(after[2:], before[2:], atol=1e-6, rtol=0)  # x and y take c's and d's rows
    record = json.loads((tmp_path / "tuned" / "init_from.json").read_text())
    assert record["new_classes"] == ["x", "y"] and record["new_classes_start_as"] == {"x": "c", "y": "d"}


def test_a_different_class_count_is_mapped_too(tmp_path: Path, tiny_data, source: Path):
    data = ImageDataset(tiny_data.images, tiny_data.labels % 2, ["b", "q"])
    train(tiny_config(**MODERN, **{"train.init_from": str(source)}), tmp_path / "two", data=data,
          progress_bar=False)
    assert weights(tmp_path / "two", "discriminator")["class_head.weight"].shape[0] == 2


def test_a_mismatched_model_is_one_line(tmp_path: Path, tiny_data, source: Path):
    config = tiny_config(**MODERN, **{"train.init_from": str(source), "model.g_channels": 32})
    with pytest.raises(UserError, match=r"does not fit this model: '.*' is \(.*\) there and \(.*\) here"):
        train(config, tmp_path / "bad", data=tiny_data, progress_bar=False)
    with pytest.raises(UserError, match="no such run or model folder"):
        train(tiny_config(**MODERN, **{"train.init_from": str(tmp_path / "nowhere")}), tmp_path / "bad2",
              data=tiny_data, progress_bar=False)


def test_freeze_d_keeps_the_first_blocks_fixed(tmp_path: Path, tiny_data, source: Path):
    config = tiny_config(**(MODERN | {"train.init_from": str(source), "train.freeze_d": 1, "train.epochs": 2}))
    train(config, tmp_path / "frozen", data=tiny_data, progress_bar=False)
    before, after = weights(source, "discriminator"), weights(tmp_path / "frozen", "discriminator")
    first = [k for k in before if k.startswith("trunk.0.")]
    assert first and all(torch.equal(before[k], after[k]) for k in first if not k.endswith(("_u", "_v")))
    later = [k for k in before if k.startswith("trunk.2.") and k.endswith("original")]
    assert later and not all(torch.equal(before[k], after[k]) for k in later)


def test_a_model_folder_gives_the_generator_only(tmp_path: Path, tiny_data, source: Path):
    from fashiongan.export.hub import export_model_folder

    export_model_folder(source, tmp_path / "model")
    train(tiny_config(**MODERN, **{"train.init_from": str(tmp_path / "model")}), tmp_path / "tuned",
          data=tiny_data, progress_bar=False)
    record = json.loads((tmp_path / "tuned" / "init_from.json").read_text())
    assert record["kind"] == "model folder" and record["fresh_modules"] == ["discriminator"]


def test_an_unconditional_source_starts_every_class_from_its_affine(tmp_path: Path, tiny_data):
    train(tiny_config(**(MODERN | {"model.conditional": False, "train.aux_weight": 0.0})), tmp_path / "plain",
          data=tiny_data, progress_bar=False)
    config = tiny_config(**(MODERN | {"train.init_from": str(tmp_path / "plain"), "train.lr_g": 1e-8,
                                      "train.lr_d": 1e-8}))
    train(config, tmp_path / "tuned", data=tiny_data, progress_bar=False)
    source, tuned = weights(tmp_path / "plain", "generator"), weights(tmp_path / "tuned", "generator")
    gain = tuned["blocks.0.norm.gain.weight"]
    assert gain.shape[0] == 4
    for row in gain:
        torch.testing.assert_close(row, source["blocks.0.norm.norm.weight"], atol=1e-6, rtol=0)
    record = json.loads((tmp_path / "tuned" / "init_from.json").read_text())
    assert record["new_classes"] == ["a", "b", "c", "d"]
    with pytest.raises(UserError, match="that model is class-conditional and this run is not"):
        train(tiny_config(**(MODERN | {"train.init_from": str(tmp_path / "tuned"), "model.conditional": False,
                                       "train.aux_weight": 0.0})), tmp_path / "back", data=tiny_data,
              progress_bar=False)
