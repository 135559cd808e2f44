"""Stopping between steps: SIGINT/SIGTERM set a flag the loop reads after a complete step; a time budget.

A signal that lands inside a step must not leave half of an optimizer update in the checkpoint, so the
handler only records the request; the loop finishes the step, saves, and returns.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType


class StopSignals:
    """Context manager: while active, SIGINT and SIGTERM only set ``requested`` (main thread only)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the user really wants out now
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


class Budget:
    """Training wall time spent against an optional limit, carried across resumes in ``elapsed_s``."""

    def __init__(self, limit_s: float | None, elapsed_s: float = 0.0) -> None:
        self.limit_s, self.elapsed_s = limit_s, elapsed_s
        self._since: float | None = None

    def start(self) -> None:
        self._since = time.perf_counter()

    def pause(self) -> None:
        if self._since is not None:
            self.elapsed_s += time.perf_counter() - self._since
            self._since = None

    def spent(self) -> float:
        running = time.perf_counter() - self._since if self._since is not None else 0.0
        return self.elapsed_s + running

    def exhausted(self) -> bool:
        return self.limit_s is not None and self.spent() >= self.limit_s

    def fraction(self) -> float:
        return min(1.0, self.spent() / self.limit_s) if self.limit_s else 0.0
