"""Gradient reversal, a bidirectional LSTM over padded batches, attention pooling and statistics
pooling (masked for padded batches)."""
from __future__ import annotations

import torch
from torch import nn


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:  # noqa: D102
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        return -ctx.coeff * grad, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-coeff`` backward (Ganin & Lempitsky, 2015)."""
    return _Reverse.apply(x, coeff)


class GradientReversal(nn.Module):
    """:func:`grad_reverse` as a module; set ``coeff`` from a schedule during training."""

    def __init__(self, coeff: float = 1.0):
        super().__init__()
        self.coeff = coeff

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.coeff)


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``[B]`` lengths → ``[B, T]`` bool mask, True on real frames."""
    max_len = int(max_len or lengths.max())
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def reverse_within_lengths(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``[B, T, D]`` → each sequence's first ``lengths[b]`` steps in reverse order; padding stays put."""
    t = torch.arange(x.shape[1], device=x.device)[None, :]
    idx = lengths.to(x.device)[:, None] - 1 - t
    idx = torch.where(idx >= 0, idx, t)
    return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))


class BiLSTM(nn.Module):
    """A one-layer bidirectional LSTM over a padded batch ``[B, T, D]`` with ``lengths``: the
    outputs of ``nn.LSTM(bidirectional=True)`` on the packed sequence (zeros on padded steps),
    with the same parameters and initialisation, computed as two unpacked passes (the backward
    one on each sequence reversed within its length), which runs 2–3× faster on a CPU."""

    def __init__(self, n_in: int, hidden: int):
        super().__init__()
        self.forward_lstm = nn.LSTM(n_in, hidden, batch_first=True)   # created in nn.LSTM's order, so
        self.backward_lstm = nn.LSTM(n_in, hidden, batch_first=True)  # the same seed gives the same weights

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """→ ``[B, T, 2 * hidden]``: forward and backward outputs, zero on padded steps."""
        ahead, _ = self.forward_lstm(x)
        back, _ = self.backward_lstm(reverse_within_lengths(x, lengths))
        y = torch.cat([ahead, reverse_within_lengths(back, lengths)], dim=-1)
        return y * lengths_to_mask(lengths.to(x.device), x.shape[1]).unsqueeze(-1).to(y.dtype)


class AttentionPooling(nn.Module):
    """Mirsamadi et al. (2017) local attention: ``α_t = softmax_t(uᵀ y_t)``, ``z = Σ_t α_t y_t``
    (a single learned vector ``u``, no projection; padded frames masked out)."""

    def __init__(self, dim: int):
        super().__init__()
        self.u = nn.Parameter(torch.randn(dim) * dim**-0.5)

    def forward(self, y: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``y``: ``[B, T, D]``, ``mask``: ``[B, T]`` → (``[B, D]`` pooled, ``[B, T]`` weights)."""
        scores = (y @ self.u).masked_fill(~mask, float("-inf"))
        alpha = scores.softmax(dim=1)
        return (alpha.unsqueeze(-1) * y).sum(1), alpha


class StatisticsPooling(nn.Module):
    """Concatenated mean, standard deviation and maximum over valid frames: ``[B, T, D]`` → ``[B, 3D]``."""

    def forward(self, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(y.dtype)
        n = m.sum(1).clamp_min(1.0)
        mean = (y * m).sum(1) / n
        var = (((y - mean.unsqueeze(1)) ** 2) * m).sum(1) / n
        std = torch.sqrt(var.clamp_min(1e-8))
        mx = y.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        return torch.cat([mean, std, mx], dim=-1)
