"""EvaluatorNet: shapes for every channel count and size, no NaNs, and logits consistent with features."""

from __future__ import annotations

import pytest
import torch

from fashiongan.evaluation.network import EvaluatorNet


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [28, 32, 64])
def test_shapes_for_channels_and_sizes(channels: int, size: int) -> None:
    torch.manual_seed(0)
    net = EvaluatorNet(in_channels=channels, num_classes=7, feature_dim=16).eval()
    x = torch.rand(4, channels, size, size) * 2 - 1
    logits, features = net.forward_features(x)
    assert logits.shape == (4, 7)
    assert features.shape == (4, 16)
    assert torch.isfinite(logits).all() and torch.isfinite(features).all()
    assert torch.equal(net(x), logits)


def test_default_feature_width_and_nonnegative_features() -> None:
    net = EvaluatorNet().eval()
    _, features = net.forward_features(torch.zeros(2, 1, 28, 28))
    assert features.shape == (2, 128)
    assert (features >= 0).all()  # the feature layer ends in ReLU


def test_logits_are_the_head_of_the_features_in_eval_mode() -> None:
    torch.manual_seed(1)
    net = EvaluatorNet().eval()
    logits, features = net.forward_features(torch.rand(3, 1, 28, 28) * 2 - 1)
    torch.testing.assert_close(logits, net.head(features))


def test_backward_reaches_the_first_layer() -> None:
    net = EvaluatorNet(in_channels=3, num_classes=4)
    loss = torch.nn.functional.cross_entropy(net(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    first_conv = net.body[0][0]
    assert first_conv.weight.grad is not None and first_conv.weight.grad.abs().sum() > 0
