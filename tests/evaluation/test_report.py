from __future__ import annotations

from fashiongan.evaluation.report import format_table, table_rows


def result_dict(**extra) -> dict:
    numbers = {
        "fid": 12.3456, "kid": 0.0123, "precision": 0.7, "recall": 0.5, "density": 0.9, "coverage": 0.8,
        "inception_score": 8.5, "class_accuracy": None, "predicted_class_balance": -0.0,
    }  # fmt: skip
    floor = dict(numbers, fid=0.5, kid=-0.00002, class_accuracy=0.97, precision=0.00001)
    protocol = {
        "n": 10000, "data": "fmnist", "reference": {"split": "test", "size": 10000},
        "floor": {"split": "train", "n": 10000, "overlaps_reference": False},
        "evaluator": {"sha256": "ab" * 32},
    }  # fmt: skip
    memorisation = {space: {"share_below_holdout_p01": 0.25} for space in ("pixel", "feature")}
    return {**numbers, "floor": floor, "protocol": protocol, "memorisation": memorisation, **extra}


def test_rows_show_value_floor_and_direction():
    rows = {row[0]: row[1:] for row in table_rows(result_dict())}
    assert rows["FID"] == ("12.35", "0.5000", "lower")
    assert rows["KID"] == ("0.0123", "-2.0e-05", "lower")
    assert rows["precision"] == ("0.7000", "1.0e-05", "higher")  # tiny values keep their digits
    assert rows["class accuracy"] == ("-", "0.9700", "higher")  # unconditional generator, labelled floor
    assert rows["class balance"][0] == "0.0000"  # never "-0.0000"
    assert rows["copies (pixel)"] == ("0.2500", "0.0100", "lower")


def test_table_starts_with_the_protocol_and_notes_skipped_inception():
    text = format_table(result_dict(inception={"error": "no weights; see how"}))
    lines = text.splitlines()
    assert lines[0] == (
        "N=10000 generated vs fmnist test split (10000 images); floor: 10000 real train images; "
        "evaluator abababababab"
    )
    assert lines[1].split() == ["metric", "value", "floor", "better"]
    assert lines[-1] == "Inception FID/KID skipped: no weights; see how"
    with_inception = format_table(result_dict(inception={"fid": 3.25, "kid": 0.001}))
    rows = [line.split("  ") for line in with_inception.splitlines()[-2:]]
    assert [[cell.strip() for cell in row if cell.strip()] for row in rows] == [
        ["Inception FID", "3.2500", "-", "lower"],
        ["Inception KID x 1e3", "1.0000", "-", "lower"],
    ]
