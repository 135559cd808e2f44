"""The OpenMP spin guard: which command lines get a short GOMP_SPINCOUNT, and the one re-exec."""

from __future__ import annotations

import os
import sys

import pytest

from fashiongan.cli import openmp


@pytest.mark.parametrize("argv, environ, expected", [
    (["train", "--preset", "fmnist"], {}, True),
    (["bench"], {}, True),
    (["generate", "runs/x", "--out", "a.png"], {}, False),  # short: a re-exec would cost more than it saves
    (["--version"], {}, False),
    (["train"], {"OMP_WAIT_POLICY": "ACTIVE"}, False),  # the user's choice wins
    (["train"], {"GOMP_SPINCOUNT": "1000"}, False),
])
def test_which_command_lines_get_a_short_spin(argv, environ, expected, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sys, "platform", "linux")
    assert openmp.needs_short_spin(argv, environ) is expected


def test_reexecutes_once_with_the_policy_set_when_torch_is_loaded(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):  # set first, so monkeypatch removes them again afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(os, "execv", lambda exe, args: calls.append((exe, list(args), os.environ["GOMP_SPINCOUNT"])))
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "fashiongan", "train"])
    openmp.limit_spinning(["train"])
    assert calls == [(sys.executable, ["python", "-m", "fashiongan", "train"], "10000")]
    openmp.limit_spinning(["train"])  # now set: no second exec
    assert len(calls) == 1


def test_main_with_explicit_argv_never_reexecutes(monkeypatch, capsys):
    from fashiongan.cli import main

    monkeypatch.setenv("GOMP_SPINCOUNT", "")
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("main(argv) must not re-exec"))
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    assert "GOMP_SPINCOUNT" not in os.environ


def test_other_systems_and_single_cores_are_left_alone(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not openmp.needs_short_spin(["train"], {})
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not openmp.needs_short_spin(["train"], {})
