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


def test_bilstm_matches_packed_bidirectional_lstm():
    """Same seed → same weights as nn.LSTM(bidirectional=True); same outputs and gradients as it
    on the packed batch, zeros on padded steps."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from sertools.nn import BiLSTM

    torch.manual_seed(3)
    ours = BiLSTM(6, 5)
    torch.manual_seed(3)
    ref = torch.nn.LSTM(6, 5, batch_first=True, bidirectional=True)
    for name, p in ref.named_parameters():
        mine = ours.backward_lstm if name.endswith("_reverse") else ours.forward_lstm
        assert torch.equal(getattr(mine, name.removesuffix("_reverse")), p)
    x = torch.randn(4, 9, 6, requires_grad=True)
    lengths = torch.tensor([9, 3, 7, 1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected, _ = pad_packed_sequence(ref(packed)[0], batch_first=True, total_length=9)
    got = ours(x, lengths)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.count_nonzero(got[1, 3:]) == 0
    g_ref = torch.autograd.grad(expected.pow(2).sum(), x)[0]
    g_ours = torch.autograd.grad(got.pow(2).sum(), x)[0]
    assert torch.allclose(g_ours, g_ref, atol=1e-5)
