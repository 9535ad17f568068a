"""Gradient reversal, attention pooling and statistics pooling (masked for padded batches)."""
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
