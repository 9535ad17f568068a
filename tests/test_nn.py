"""Shared layers and losses."""
import math

import torch

from sertools.nn import AttentionPooling, CenterLoss, StatisticsPooling, entropy, grad_reverse, lengths_to_mask


def test_gradient_reversal_flips_and_scales():
    x = torch.randn(5, requires_grad=True)
    (grad_reverse(x, 0.3) * torch.arange(5.0)).sum().backward()
    assert torch.allclose(x.grad, -0.3 * torch.arange(5.0))
    y = torch.randn(5)
    assert torch.equal(grad_reverse(y, 2.0), y)


def test_entropy_is_maximal_at_uniform():
    k = 8
    uniform = torch.zeros(4, k)
    assert math.isclose(float(entropy(uniform)), math.log(k), rel_tol=1e-6)
    assert math.isclose(float(entropy(uniform, normalize=True)), 1.0, rel_tol=1e-6)
    for _ in range(20):
        assert float(entropy(torch.randn(4, k) * 3)) < math.log(k)


def test_attention_pooling_ignores_padding():
    torch.manual_seed(0)
    pool = AttentionPooling(6)
    y = torch.randn(2, 5, 6)
    mask = lengths_to_mask(torch.tensor([5, 3]))
    z, alpha = pool(y, mask)
    assert torch.allclose(alpha.sum(1), torch.ones(2)) and torch.all(alpha[1, 3:] == 0)
    y2 = y.clone()
    y2[1, 3:] = 100.0
    assert torch.allclose(pool(y2, mask)[0], z)


def test_statistics_pooling_masked():
    y = torch.tensor([[[1.0], [3.0], [100.0]]])
    out = StatisticsPooling()(y, lengths_to_mask(torch.tensor([2]), 3))
    assert torch.allclose(out, torch.tensor([[2.0, 1.0, 3.0]]), atol=1e-4)


def test_center_loss_and_wen_update():
    cl = CenterLoss(2, 3, alpha=0.5)
    cl.centers.zero_()
    x = torch.tensor([[1.0, 0, 0], [3.0, 0, 0], [0, 2.0, 0]])
    y = torch.tensor([0, 0, 1])
    assert math.isclose(float(cl(x, y)), (1 + 9 + 4) / 3, rel_tol=1e-6)
    cl.update_centers(x, y)
    # Δc_0 = ((0-1) + (0-3)) / (1 + 2) = -4/3 → c_0 = 0 - 0.5·(-4/3) = 2/3
    assert torch.allclose(cl.centers[0], torch.tensor([2 / 3, 0, 0]))
    assert torch.allclose(cl.centers[1], torch.tensor([0, 0.5, 0]))
