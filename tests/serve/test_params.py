"""Request validation: each parameter's range and message, unknown and repeated names."""

from __future__ import annotations

import pytest

from fashiongan.serve import params
from fashiongan.serve.params import BadRequest, generate_params, interpolate_params

NAMES = ["T-shirt/top", "Trouser", "Sneaker"]


def gen(**query):
    return generate_params(list(query.items()), NAMES, conditional=True)


def test_defaults_and_values():
    p = gen(**{"class": "sneaker", "n": "5", "seed": "7", "truncation": "0.5"})
    assert (p.class_index, p.n, p.seed) == (2, 5, 7) and p.truncation == pytest.approx(0.5)
    default = gen()
    assert default.class_index is None and default.n == 16 and default.truncation == pytest.approx(1.0)
    assert 0 <= default.seed <= params.MAX_SEED
    assert gen(**{"class": "1"}).class_index == 1 and gen(**{"class": "ALL"}).class_index is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"class": "Sandal"}, "unknown class 'Sandal'; valid classes: 0=T-shirt/top, 1=Trouser, 2=Sneaker"),
        ({"class": "3"}, "class index 3 is out of range"),
        ({"n": "0"}, "n must be an integer from 1 to 256; got 0"),
        ({"n": "257"}, "n must be an integer from 1 to 256; got 257"),
        ({"n": "1.5"}, "n must be an integer from 1 to 256; got '1.5'"),
        ({"n": "--5"}, "n must be an integer"),
        ({"n": "٣"}, "n must be an integer"),  # an Arabic-Indic digit: int() would take it, we do not
        ({"seed": "-1"}, "seed must be an integer from 0 to"),
        ({"seed": "1" * 30}, "seed must be an integer"),
        ({"seed": "9" * 500}, "parameter 'seed' is too long"),
        ({"seed": "4294967295"}, "seed must be an integer from 0 to 4294967039"),
        ({"truncation": "0"}, "truncation must be a number with 0 < truncation <= 1"),
        ({"truncation": "nan"}, "truncation must be a number"),
        ({"truncation": "inf"}, "truncation must be a number"),
        ({"truncation": "1.01"}, "truncation must be a number"),
        ({"colour": "red"}, "unknown parameter 'colour'; allowed: class, n, seed, truncation"),
    ],
)
def test_bad_values_are_refused_with_a_message(query, message):
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace("?", r"\?")):
        gen(**query)


def test_repeated_parameter_is_refused():
    with pytest.raises(BadRequest, match="parameter 'n' is given more than once"):
        generate_params([("n", "1"), ("n", "2")], NAMES, conditional=True)


def test_unconditional_model_takes_no_class():
    assert generate_params([("class", "all")], [], conditional=False).class_index is None
    with pytest.raises(BadRequest, match="this model is unconditional"):
        generate_params([("class", "Trouser")], [], conditional=False)


def test_interpolation_params():
    p = interpolate_params([("seed_a", "3"), ("steps", "4")], NAMES, conditional=True)
    assert (p.seed_a, p.seed_b, p.steps) == (3, 4, 4)
    for steps in ("1", "33", "x"):
        with pytest.raises(BadRequest, match="steps must be an integer from 2 to 32"):
            interpolate_params([("steps", steps)], NAMES, conditional=True)


@pytest.mark.parametrize(("header", "bound", "allowed"), [
    ("127.0.0.1:7860", "127.0.0.1", True),
    ("localhost:7860", "127.0.0.1", True),
    ("[::1]:7860", "127.0.0.1", True),
    ("LOCALHOST", "127.0.0.1", True),
    ("attacker.example:7860", "127.0.0.1", False),  # a DNS-rebinding page's requests carry its own name
    ("127.0.0.1.attacker.example", "127.0.0.1", False),
    ("", "127.0.0.1", False),
    ("10.0.0.5:8000", "10.0.0.5", True),
    ("10.0.0.6:8000", "10.0.0.5", False),
    ("10.0.0.6:8000", "0.0.0.0", True),  # bound to every interface: any address of the machine
    ("[fe80::1]:8000", "::", True),
    ("workstation:8000", "0.0.0.0", True),  # this machine's own name
    ("attacker.example", "0.0.0.0", False),
])
def test_host_header_must_name_the_server(header, bound, allowed):
    from fashiongan.serve.params import host_allowed

    assert host_allowed(header, bound, machine_names=("workstation",)) is allowed
