"""Chou & Lee (2020): the BLSTM-DNN of Mirsamadi et al. (2017) and the co-rater fusion network."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..nn import AttentionPooling, BiLSTM, lengths_to_mask
from ..train import System


class BLSTMAttention(System):
    """Dense → BLSTM with local attention pooling → dense → softmax.

    Sizes ``[dense, lstm, hidden, classes]`` = ``[256, 128, 256, 3]`` on IEMOCAP and
    ``[128, 64, 128, 3]`` on NNIME; dropout 0.5 on every layer but the prediction layer.
    ``soft=True`` trains on distributional targets (cross-entropy with a soft label);
    ``class_weights`` weights the cross-entropy per class (see the chapter's
    deviations).
    """

    def __init__(
        self,
        n_in: int = 45,
        dense: int = 256,
        lstm: int = 128,
        hidden: int = 256,
        n_classes: int = 3,
        dropout: float = 0.5,
        soft: bool = False,
        class_weights: torch.Tensor | None = None,
    ):
        super().__init__()
        self.soft = soft
        self.register_buffer(
            "class_weights",
            torch.ones(n_classes)
            if class_weights is None
            else torch.as_tensor(class_weights, dtype=torch.float32),
        )
        self.inp = nn.Sequential(nn.Linear(n_in, dense), nn.ReLU(), nn.Dropout(dropout))
        self.blstm = BiLSTM(dense, lstm)
        self.pool = AttentionPooling(2 * lstm)
        self.hidden = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(2 * lstm, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, lengths = batch["x"], batch["lengths"]  # B x T x 45, B
        h = self.inp(x)  # B x T x dense
        y = self.blstm(h, lengths)  # B x T x 2·lstm, zero on padding
        z, alpha = self.pool(y, lengths_to_mask(lengths, x.shape[1]))  # B x 2·lstm
        e = self.hidden(z)  # B x hidden: the "last layer representation"
        return {"logits": self.out(e), "embedding": e, "attention": alpha}

    def training_step(self, batch, progress):
        yield "main", self.emotion_loss(self(batch)["logits"], batch["y"])



class FusionHead(System):
    """Three dense layers (Linear → BatchNorm → ReLU → Dropout 0.5) and a softmax layer on the
    concatenated last-layer representations of frozen sub-models (Chou & Lee §2.2.4)."""

    def __init__(self, n_in: int, hidden: Sequence[int] = (256, 128, 256), n_classes: int = 3, dropout: float = 0.5,
                 class_weights: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("class_weights", torch.ones(n_classes) if class_weights is None
                             else torch.as_tensor(class_weights, dtype=torch.float32))
        layers, d = [], n_in
        for h in hidden:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            d = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(d, n_classes)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x = batch["x"][:, 0] if batch["x"].dim() == 3 else batch["x"]  # precomputed embeddings: B x 1 x D
        e = self.body(x)
        return {"logits": self.out(e), "embedding": e}

    def training_step(self, batch, progress):
        yield "main", self.emotion_loss(self(batch)["logits"], batch["y"])


class CoRaterFusion(nn.Module):
    """The complete per-rater model: frozen sub-models (co-rater ``Others`` models and
    the target's ``Rater*`` model) whose last hidden layers are concatenated into a
    :class:`FusionHead`. Only the head is trainable; the sub-models stay in eval mode.
    """

    def __init__(self, submodels: Sequence[BLSTMAttention], head: FusionHead):
        super().__init__()
        self.submodels = nn.ModuleList(submodels)
        for p in self.submodels.parameters():
            p.requires_grad_(False)
        self.head = head

    def train(self, mode: bool = True) -> "CoRaterFusion":
        super().train(mode)
        self.submodels.eval()  # frozen: no dropout, no statistics updates
        return self

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([m(batch)["embedding"] for m in self.submodels], dim=-1)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.head({"x": self.embed(batch)})
