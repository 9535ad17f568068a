"""Class-weighted cross-entropy (hard or soft targets), the entropy of a classifier's output, and the center loss."""
from __future__ import annotations

import math

import torch
from torch import nn


def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                           weights: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy with optional per-class weights, for hard (class index) or soft (distribution)
    targets: ``−Σ_k w_k p̃_k log p̂_k`` summed over the batch and divided by ``Σ w_k p̃_k`` (for hard
    targets this is ``torch.nn.functional.cross_entropy(..., weight=w)``)."""
    p = nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype) if target.dim() == 1 else target
    wp = p if weights is None else p * weights
    return -(wp * logits.log_softmax(-1)).sum(-1).sum() / wp.sum().clamp_min(1e-8)


def entropy(logits: torch.Tensor, normalize: bool = False) -> torch.Tensor:
    """Mean entropy ``H(p) = −Σ_k p_k log p_k`` of ``softmax(logits)`` over a batch; maximal
    (``log K``) for the uniform distribution. ``normalize`` divides by ``log K``."""
    logp = logits.log_softmax(-1)
    h = -(logp.exp() * logp).sum(-1).mean()
    return h / math.log(logits.size(-1)) if normalize else h


class CenterLoss(nn.Module):
    """Center loss (Wen et al., 2016): ``L_C = (1/N) Σ_i ||x_i − c_{y_i}||²`` (Fan et
    al.'s eq. 8).

    The centers are not trained by the optimizer: after each step,
    :meth:`update_centers` applies Wen's rule
    ``Δc_j = Σ_{i: y_i=j}(c_j − x_i) / (1 + n_j)``, ``c_j ← c_j − α·Δc_j``. Centers
    start Xavier-initialised, as in Fan et al. ``per_dimension`` divides the loss by the
    feature size.
    """

    def __init__(
        self,
        num_classes: int,
        dim: int,
        alpha: float = 0.5,
        per_dimension: bool = False,
    ):
        super().__init__()
        self.alpha, self.per_dimension = alpha, per_dimension
        centers = torch.empty(num_classes, dim)
        nn.init.xavier_uniform_(centers)
        self.register_buffer("centers", centers)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean squared distance to the class centres, summed over dimensions (eq. 8)
        or, with ``per_dimension``, averaged over them (the same loss divided by the
        feature size)."""
        sq = (features - self.centers[labels]) ** 2
        return (sq.mean(1) if self.per_dimension else sq.sum(1)).mean()

    @torch.no_grad()
    def update_centers(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        features = features.detach().to(self.centers.dtype)
        for j in labels.unique():
            sel = labels == j
            delta = (self.centers[j] - features[sel]).sum(0) / (1 + sel.sum())
            self.centers[j] -= self.alpha * delta
