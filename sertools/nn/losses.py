"""Entropy of a classifier's output and the center loss."""
from __future__ import annotations

import math

import torch
from torch import nn


def entropy(logits: torch.Tensor, normalize: bool = False) -> torch.Tensor:
    """Mean entropy ``H(p) = −Σ_k p_k log p_k`` of ``softmax(logits)`` over a batch; maximal
    (``log K``) for the uniform distribution. ``normalize`` divides by ``log K``."""
    logp = logits.log_softmax(-1)
    h = -(logp.exp() * logp).sum(-1).mean()
    return h / math.log(logits.size(-1)) if normalize else h


class CenterLoss(nn.Module):
    """Center loss (Wen et al., 2016): ``L_C = (1/N) Σ_i ||x_i − c_{y_i}||²`` (Fan et al.'s eq. 8).

    The centers are not trained by the optimizer: after each step, :meth:`update_centers`
    applies Wen's rule ``Δc_j = Σ_{i: y_i=j}(c_j − x_i) / (1 + n_j)``, ``c_j ← c_j − α·Δc_j``.
    Centers start Xavier-initialised, as in Fan et al.
    """

    def __init__(self, num_classes: int, dim: int, alpha: float = 0.5):
        super().__init__()
        self.alpha = alpha
        centers = torch.empty(num_classes, dim)
        nn.init.xavier_uniform_(centers)
        self.register_buffer("centers", centers)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return ((features - self.centers[labels]) ** 2).sum(1).mean()

    @torch.no_grad()
    def update_centers(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        features = features.detach().to(self.centers.dtype)
        for j in labels.unique():
            sel = labels == j
            delta = (self.centers[j] - features[sel]).sum(0) / (1 + sel.sum())
            self.centers[j] -= self.alpha * delta
