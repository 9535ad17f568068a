"""Fan et al. (2020): adaptive domain-aware representation learning (ADARL).

Two pathways of four multi-scale convolution layers (two kernel sizes whose outputs are
concatenated, then BN, ReLU and average pooling): one learns the domain (gender), the other
emotion. The domain maps are pooled over time and channels into a frequency profile, turned
into frequency weights (FC 8→4, ReLU, FC 4→8, sigmoid) and multiplied into the emotion maps.

Reconstructed sizes (Table 1 survived only in part): FC(3072, 64), CFC 64 × FC(8, 1) and the
channel pool (1, 64) imply final maps of 64 channels × 8 frequency × 6 time bins. Of the
kernels only "(3," survives, for both convolutions of every layer: both are 3 high in
frequency; we take widths 3 and 5 in time (the text motivates the two scales by "the temporal
uncertainty of speech"), so (3, 3) and (3, 5). For the paper's 3 × 400 × 300 input the pools
are (4, 4), (2, 2), (3, 3), (2, 2): 400 → 100 → 50 → 16 → 8 and 300 → 75 → 37 → 12 → 6 (the
(2, 2) second pool is the one pool size Table 1 kept).
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn import CenterLoss, GradientReversal
from ..train import System, TrainConfig, make_optimizer

SYSTEMS = ("backbone", "domain_invariant", "adarl")
POOLS = {(400, 300): [(4, 4), (2, 2), (3, 3), (2, 2)],   # the paper's input: 400→100→50→16→8, 300→75→37→12→6
         (80, 48): [(2, 2), (5, 2), (1, 2), (1, 1)],      # 80→40→8, 48→24→12→6
         (80, 24): [(2, 2), (5, 2), (1, 1), (1, 1)],      # 80→40→8, 24→12→6
         (40, 24): [(5, 2), (1, 2), (1, 1), (1, 1)]}      # the book and smoke profiles: 40→8, 24→12→6


class MultiScaleConv(nn.Module):
    """Eq. 10: ``avgpool(ReLU(BN([w1 * F, w2 * F])))`` with two kernel sizes."""

    def __init__(self, cin: int, cout_each: int, pool: tuple[int, int], kernels=((3, 3), (3, 5))):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(cin, cout_each, k, padding=(k[0] // 2, k[1] // 2)) for k in kernels)
        self.bn = nn.BatchNorm2d(cout_each * len(kernels))
        self.pool = nn.AvgPool2d(pool) if pool != (1, 1) else nn.Identity()
        for c in self.convs:
            nn.init.xavier_uniform_(c.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu(self.bn(torch.cat([c(x) for c in self.convs], 1))))


def pathway(size: tuple[int, int], in_channels: int = 3) -> nn.Sequential:
    """Four multi-scale layers: 3→2×16, 32→2×16, 32→2×16, 32→2×32 channels."""
    if size not in POOLS:
        raise ValueError(f"no pooling plan for inputs of {size} (F, T); known: {list(POOLS)}")
    p = POOLS[size]
    return nn.Sequential(MultiScaleConv(in_channels, 16, p[0]), MultiScaleConv(32, 16, p[1]),
                         MultiScaleConv(32, 16, p[2]), MultiScaleConv(32, 32, p[3]))


class ADARL(System):
    """``system``: ``backbone`` (emotion pathway only), ``domain_invariant`` (a gender classifier
    on the emotion maps behind gradient reversal, Fig. 1a) or ``adarl`` (domain pathway +
    domain-aware attention). Loss γ1·CE(domain) + γ2·CE(emotion) + γ3·center loss (eq. 9)."""

    target = "y"

    def __init__(self, n_emotions: int = 4, n_domains: int = 2, system: str = "adarl", size=(400, 300),
                 gammas=(1.0, 1.0, 0.5), center_alpha: float = 0.5, center_per_dimension: bool = True):
        super().__init__()
        if system not in SYSTEMS:
            raise ValueError(f"system must be one of {SYSTEMS}, not {system!r}")
        self.system, self.gammas = system, tuple(gammas)
        self.emotion_path = pathway(size)
        self.tp = lambda f: f.mean(dim=3)                                   # time pooling: B x C x H
        self.cfc = nn.Parameter(torch.randn(64, 8) * 8 ** -0.5)            # channel-wise FC: 64 × FC(8, 1)
        self.emotion_fc = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.BatchNorm1d(64))
        self.emotion_out = nn.Linear(64, n_emotions)
        self.center = CenterLoss(n_emotions, 64, center_alpha, center_per_dimension)
        if system == "adarl":
            self.domain_path = pathway(size)
        if system in ("adarl", "domain_invariant"):
            self.domain_fc = nn.Sequential(nn.Flatten(), nn.Linear(3072, 64), nn.ReLU(), nn.BatchNorm1d(64),
                                           nn.Linear(64, n_domains))
        if system == "adarl":
            self.attention = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 8), nn.Sigmoid())
        self.grl = GradientReversal(1.0)
        self.to(memory_format=torch.channels_last)  # convolutions of few channels run ~15 % faster on a CPU

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x = batch["x"].permute(0, 2, 3, 1)  # B x T x C x F → B x C x F x T
        fe = self.emotion_path(x)  # B x 64 x 8 x 6
        out = {}
        if self.system == "adarl":
            fd = self.domain_path(x)
            out["domain_logits"] = self.domain_fc(fd)
            pooled = fd.mean(dim=3).mean(dim=1)  # TP, CP → B x 8
            weights = self.attention(pooled)  # I^D (eq. 4)
            fe = fe * weights[:, None, :, None]  # diag(I^D) × f^k (eq. 5)
            out["frequency_weights"] = weights
        elif self.system == "domain_invariant":
            out["domain_logits"] = self.domain_fc(self.grl(fe))
        h = (self.tp(fe) * self.cfc).sum(-1)  # CFC: B x 64 (eq. 2)
        e = self.emotion_fc(h)  # the feature used by the center loss
        return {**out, "logits": self.emotion_out(e), "embedding": e}

    def training_step(self, batch, progress):
        g1, g2, g3 = self.gammas
        out = self(batch)
        loss = g2 * self.emotion_loss(out["logits"], batch["y"])
        loss = loss + g3 * self.center(out["embedding"], batch["y"])
        if "domain_logits" in out:
            loss = loss + g1 * nn.functional.cross_entropy(out["domain_logits"], batch["gender"])
        self._last = (out["embedding"].detach(), batch["y"])
        yield "main", loss

    def after_step(self, batch) -> None:
        self.center.update_centers(*self._last)                            # Wen et al.'s center update

    def optimizers(self, cfg: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        return {"main": make_optimizer(cfg, self.parameters())}
