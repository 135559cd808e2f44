"""FLOPs of one call, counted by torch's own FlopCounterMode (matmuls and convolutions, forward and backward)."""

from __future__ import annotations

from collections.abc import Callable

from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn: Callable[[], object], calls: int = 1) -> float:
    """Mean FLOPs per call of ``fn`` over ``calls`` calls (a multiply-add counts as 2 FLOPs).

    Count over several calls when the work varies between them, e.g. a penalty every K steps.
    """
    with FlopCounterMode(display=False) as counter:
        for _ in range(calls):
            fn()
    return counter.get_total_flops() / calls
