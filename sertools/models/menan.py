"""Li et al. (2020): speaker-invariant emotion representations with a max-entropy adversary (MEnAN).

One network (Table 1: ENC, EC, SC) trained four ways: EC only, multi-task (SC as an auxiliary
task), DAT (gradient reversal between ENC and SC) and MEnAN (alternating: SC learns speakers
from the frozen encoder; ENC + EC learn emotion while maximising the entropy of SC's output).
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn import GradientReversal, StatisticsPooling, entropy, lengths_to_mask
from ..train import System, TrainConfig, make_optimizer

SYSTEMS = ("ec", "multitask", "dat", "menan")


class Encoder(nn.Module):
    """ENC: Conv1D(43→32, k10, s2)+PReLU, Conv1D(32→32, k5, s2)+PReLU, GRU(32),
    Linear(32)+PReLU, statistics pooling [mean, std, max] → 96."""

    def __init__(self, n_in: int = 43, channels: int = 32):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_in, channels, 10, stride=2),
            nn.PReLU(),
            nn.Conv1d(channels, channels, 5, stride=2),
            nn.PReLU(),
        )
        self.gru = nn.GRU(channels, channels, num_layers=1, batch_first=True)
        self.proj = nn.Sequential(nn.Linear(channels, channels), nn.PReLU())
        self.pool = StatisticsPooling()

    @staticmethod
    def out_lengths(lengths: torch.Tensor) -> torch.Tensor:
        return ((lengths - 10) // 2 + 1 - 5) // 2 + 1

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)  # B x T' x 32
        h, _ = self.gru(h)
        h = self.proj(h)
        n = self.out_lengths(lengths).clamp(min=1, max=h.shape[1])
        return self.pool(h, lengths_to_mask(n, h.shape[1]))    # B x 96


def classifier(n_out: int, n_in: int = 96) -> nn.Sequential:
    """EC / SC: Linear(96→32)+PReLU, Linear(32→10)+PReLU, Linear(10→classes)."""
    return nn.Sequential(nn.Linear(n_in, 32), nn.PReLU(), nn.Linear(32, 10), nn.PReLU(), nn.Linear(10, n_out))


class SpeakerInvariantSER(System):
    """ENC + EC + SC, trained as ``system`` ∈ {ec, multitask, dat, menan} with weight λ."""

    def __init__(self, n_emotions: int = 4, n_speakers: int = 8, system: str = "menan", lambda_: float = 0.5,
                 n_in: int = 43):
        super().__init__()
        if system not in SYSTEMS:
            raise ValueError(f"system must be one of {SYSTEMS}, not {system!r}")
        self.system, self.lambda_ = system, lambda_
        self.enc, self.ec, self.sc = Encoder(n_in), classifier(n_emotions), classifier(n_speakers)
        self.grl = GradientReversal(1.0)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        v = self.enc(batch["x"], batch["lengths"])
        return {"logits": self.ec(v), "embedding": v, "speaker_logits": self.sc(v)}

    def optimizers(self, cfg: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        if self.system == "menan":  # SC has its own optimizer; ENC + EC never step on SC's loss
            return {"sc": make_optimizer(cfg, self.sc.parameters()),
                    "main": make_optimizer(cfg, [*self.enc.parameters(), *self.ec.parameters()])}
        return {"main": make_optimizer(cfg, self.parameters())}

    def training_step(self, batch, progress):
        ce = nn.functional.cross_entropy
        lam, y, spk = self.lambda_, batch["y"], batch["speaker"]
        v = self.enc(batch["x"], batch["lengths"])
        l_emo = self.emotion_loss(self.ec(v), y)
        if self.system == "ec":
            yield "main", l_emo
        elif self.system == "multitask":
            yield "main", lam * l_emo + (1 - lam) * ce(self.sc(v), spk)
        elif self.system == "dat":
            yield "main", lam * l_emo + (1 - lam) * ce(self.sc(self.grl(v)), spk)
        else:
            # (1) SC on the frozen encoder's output: minimise L_D_Spk (eq. 1)
            yield "sc", ce(self.sc(v.detach()), spk)
            # (2) ENC + EC with SC frozen: λ·L_D_Emo − (1−λ)·L_H_Spk (eq. 5)
            yield "main", lam * l_emo - (1 - lam) * entropy(self.sc(v))
