"""Keep OpenMP threads from spinning long on a busy machine: the long commands run with GOMP_SPINCOUNT=10000.

By default libgomp (PyTorch's OpenMP on Linux) lets an idle thread spin for about 300,000 pauses (some
milliseconds) before it sleeps. When another process holds a core, the thread the others wait for is
descheduled while they spin, and a 2-thread step gets 5-50x slower. A spin of 10,000 pauses (a fraction
of a millisecond) still bridges the gap between two parallel regions of one step on an idle machine, and
gives the core back quickly on a busy one; on a loaded 2-core machine it trained about 4x faster than the
default and about 2x faster than OMP_WAIT_POLICY=PASSIVE (which sleeps at once), see BENCHMARKS.md.

libgomp reads its settings only when it loads, i.e. when torch is imported, so a command that finds torch
already imported re-executes itself once with the variable set. The user's own OMP_WAIT_POLICY or
GOMP_SPINCOUNT always wins.
"""

from __future__ import annotations

import os
import sys

LONG_COMMANDS = ("train", "bench", "evaluator")  # a re-exec costs one more start-up: only where it pays
USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
SPIN_COUNT = "10000"


def needs_short_spin(argv: list[str], environ: dict[str, str] | os._Environ) -> bool:
    """True for a long command on a multi-core Linux machine whose environment does not choose a wait policy."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:  # libgomp is the Linux wheels' OpenMP
        return False
    return command in LONG_COMMANDS and not any(k in environ for k in USER_SETTINGS)


def limit_spinning(argv: list[str]) -> None:
    """Set GOMP_SPINCOUNT for this command line; re-exec the process if OpenMP is already loaded."""
    if not needs_short_spin(argv, os.environ):
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    if "torch" in sys.modules and getattr(sys, "orig_argv", None):
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)
