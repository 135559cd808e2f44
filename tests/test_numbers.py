"""numbers.py: every number a user types is parsed from ASCII digits and bounded, with one clear sentence."""

from __future__ import annotations

import pytest

from fashiongan.errors import UserError
from fashiongan.numbers import MAX_SEED, is_integer_text, parse_class, parse_float, parse_int, parse_seeds

NAMES = ["Top", "Trouser", "Sneaker"]


@pytest.mark.parametrize("text", ["\u00b2", "\u0661\u0662", "\uff11", "1e3", "0x10", "1_000", "", " ", "1.0", "--1"])
def test_only_ascii_digits_are_integers(text):
    assert not is_integer_text(text)
    with pytest.raises(UserError, match=r"--n expects an integer \(digits 0-9\)"):
        parse_int(text, "--n", 1, 10)


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 7 ", 7), ("+7", 7), ("007", 7), ("-3", -3)])
def test_integers(text, value):
    assert parse_int(text, "--n") == value


@pytest.mark.parametrize(("text", "words"), [
    ("0", "--n must be at least 1; got 0"),
    ("11", "--n must be at most 10; got 11"),
    ("9" * 5000, "--n must be at most 10; got 999"),  # refused before int() converts 5000 digits
    ("-" + "9" * 5000, "--n must be at least 1; got -999"),
])
def test_integers_out_of_range_say_the_range(text, words):
    with pytest.raises(UserError) as info:
        parse_int(text, "--n", 1, 10)
    assert str(info.value).startswith(words) and len(str(info.value)) < 100


def test_without_a_name_the_message_is_for_argparse():
    with pytest.raises(UserError, match=r"^must be at most 1024; got 3000000000$"):
        parse_int("3000000000", "", 1, 1024)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0", "1.5", "\uff10.5", "1" * 200, "x"])
def test_floats_are_finite_ascii_and_in_range(text):
    with pytest.raises(UserError, match=r"--t must be a number in \(0, 1\]"):
        parse_float(text, "--t", 0.0, 1.0)
    assert parse_float("1", "--t", 0.0, 1.0) == pytest.approx(1.0)
    assert parse_float(" 0.25 ", "--t", 0.0, 1.0) == pytest.approx(0.25)


def test_seed_lists_and_ranges():
    assert parse_seeds("3") == [3]
    assert parse_seeds("0-3,9, 11 - 12") == [0, 1, 2, 3, 9, 11, 12]
    assert parse_seeds(f"{MAX_SEED - 1}-{MAX_SEED}") == [MAX_SEED - 1, MAX_SEED]


@pytest.mark.parametrize(("text", "words"), [
    (f"0-{MAX_SEED}", "at most 1,000,000 seeds in a list, got 9,223,372,036,854,775,808"),  # no OverflowError
    (f"0-{2**62},1-{2**62}", "at most 1,000,000 seeds in a list"),
    ("5-1", "runs backwards"),
    (f"{MAX_SEED}-{MAX_SEED + 1}", "seeds must be at most 2**63 - 1"),
    ("\u00b2", "seeds must look like 3, 0-63 or 1,5,9-11"),
    ("-3", "seeds must look like"),
    ("1,,2", "seeds must look like"),
    ("", "seeds must look like"),
    ("1" * 40, "seeds must look like"),
])
def test_bad_seed_lists(text, words):
    with pytest.raises(UserError, match=words.replace("*", r"\*")):
        parse_seeds(text)


@pytest.mark.parametrize(("value", "index"), [("Sneaker", 2), ("sneaker", 2), ("2", 2), (2, 2), (" 1", 1)])
def test_classes_by_name_or_index(value, index):
    assert parse_class(value, NAMES) == index


@pytest.mark.parametrize(("value", "words"), [
    ("\u00b2", "unknown class '\u00b2'; valid classes: 0=Top, 1=Trouser, 2=Sneaker"),  # isdigit(), not a number
    ("\u0661", "unknown class"),
    ("3", "class index 3 is out of range"),
    ("-1", "class index -1 is out of range"),
    ("9" * 50, "unknown class"),
    (True, "a class is a name or an index"),
])
def test_bad_classes(value, words):
    with pytest.raises(UserError, match=words):
        parse_class(value, NAMES)
