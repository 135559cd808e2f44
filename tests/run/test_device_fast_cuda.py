"""enable_fast_cuda changes nothing off CUDA (CPU runs and their numbers stay as they were)."""

from __future__ import annotations

import torch

from fashiongan.run.device import enable_fast_cuda


def test_enable_fast_cuda_is_a_no_op_on_the_cpu():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark)
    enable_fast_cuda(torch.device("cpu"))
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark) == before
