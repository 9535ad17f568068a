"""Parry et al. (2022): a CNN-LSTM with attribute heads, trained single-task, multi-task (MTL),
with gradient reversal (GR) or against an adversarial discriminator (AD).

The 2019 paper's exact layer list was not recoverable; this one is chosen to match the stated
budget of the shared layers (≈ 1.8 M parameters at ``channels=256, hidden=320``): four
``Conv1d(kw=5)`` + ReLU layers each followed by max-pooling (kw = 3, stride 2, as in the
caption of their Fig. 1), an LSTM over the pooled frames, its last output, dropout 0.5 and a
fully connected emotion layer. Each AD discriminator is an MLP of ≈ 1 M parameters on the
emotion softmax.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..features.sequence import spec_augment
from ..nn import GradientReversal
from ..train import System, TrainConfig, make_optimizer

APPROACHES = ("baseline", "mtl", "gr", "ad")


class SharedCNNLSTM(nn.Module):
    """The shared layers θ_f: ``[B, T, 40]`` log-Mel → ``[B, hidden]``. ``pooling``
    summarises the LSTM's outputs: ``"mean"`` over the valid steps or the ``"last"``
    valid step (the 2019 layer list is lost; see the chapter's deviations). Training
    uses :class:`FastSharedCNNLSTM`, the same layers computed faster on a CPU."""

    def __init__(
        self,
        n_in: int = 40,
        channels: int = 256,
        hidden: int = 320,
        n_conv: int = 4,
        pooling: str = "mean",
    ):
        super().__init__()
        if pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last', not {pooling!r}")
        self.pooling, self.n_conv = pooling, n_conv
        layers, c = [], n_in
        for _ in range(n_conv):
            layers += [
                nn.Conv1d(c, channels, 5, padding=2),
                nn.ReLU(),
                nn.MaxPool1d(3, stride=2, padding=1),
            ]
            c = channels
        self.cnn = nn.Sequential(*layers)
        for m in self.cnn:  # He initialisation keeps the scale through 4 ReLU layers
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        self.lstm = nn.LSTM(channels, hidden, batch_first=True)

    def convolve(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, 40]`` → ``[B, T/16, channels]``: the convolution and pooling layers.
        """
        return self.cnn(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.convolve(x))  # B x T/16 x hidden
        n = lengths.clone()
        for _ in range(self.n_conv):  # valid steps after pooling
            n = (n - 1) // 2 + 1
        n = n.clamp(1, out.shape[1])
        if self.pooling == "last":
            return out[torch.arange(len(n)), n - 1]  # last valid output
        steps = torch.arange(out.shape[1], device=out.device)
        mask = (steps[None, :] < n[:, None]).unsqueeze(-1)
        return (out * mask).sum(1) / n[:, None].to(out.dtype)  # mean over valid outputs


class FastSharedCNNLSTM(SharedCNNLSTM):
    """:class:`SharedCNNLSTM` with the same parameters and outputs (up to float rounding), its
    1-D layers run as 1 × k 2-D layers on channels-last memory (:func:`as_2d`): a training step
    ~25 % faster on a CPU core. ``tests/test_models.py`` checks outputs and gradients."""

    def convolve(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2).unsqueeze(2).contiguous(memory_format=torch.channels_last)  # B x 40 x 1 x T
        for layer in self.cnn:
            h = as_2d(layer, h)
        return h.squeeze(2).transpose(1, 2)


def as_2d(layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """``layer`` (a ``Conv1d``, ``MaxPool1d`` or an elementwise module) applied along the last axis
    of ``h`` = ``[B, C, 1, T]`` in channels-last memory: the same convolution and pooling as on
    ``[B, C, T]``, with the same weights, computed by oneDNN's channels-last kernels (a Parry
    training step ~25 % faster on a CPU core; equal to the 1-D layers up to float rounding)."""
    if isinstance(layer, nn.Conv1d):
        return nn.functional.conv2d(h, layer.weight.unsqueeze(2), layer.bias, stride=(1, layer.stride[0]),
                                    padding=(0, layer.padding[0]), dilation=(1, layer.dilation[0]))
    if isinstance(layer, nn.MaxPool1d):
        return nn.functional.max_pool2d(h, (1, layer.kernel_size), (1, layer.stride), (0, layer.padding))
    return layer(h)


def discriminator(n_out: int, n_in: int = 3, width: int = 1000) -> nn.Sequential:
    """AD's D_i on the emotion softmax: ≈ 1 M parameters at width 1000."""
    return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, n_out))


class AttributeSER(System):
    """Emotion classifier C (shared layers + FC) with attribute tasks ``attributes`` (name →
    number of classes), trained with ``approach`` ∈ {baseline, mtl, gr, ad} and weight α;
    ``disc_width``: the hidden width of each AD discriminator (1000: ≈ 1 M parameters);
    ``ramp``: GR's α rises linearly from 0 to ``alpha`` over training (else it is constant)."""

    def __init__(self, n_emotions: int, attributes: dict[str, int], approach: str = "baseline",
                 alpha: float = 0.1, channels: int = 256, hidden: int = 320, time_mask: int = 30,
                 freq_mask: int = 3, dropout: float = 0.5, class_weights=None,
                 pooling: str = "mean", disc_width: int = 1000, ramp: bool = True):
        super().__init__()
        self.register_buffer("class_weights", torch.ones(n_emotions) if class_weights is None
                             else torch.as_tensor(class_weights, dtype=torch.float32))
        if approach not in APPROACHES:
            raise ValueError(f"approach must be one of {APPROACHES}, not {approach!r}")
        self.approach, self.alpha, self.attributes = approach, alpha, dict(attributes)
        self.ramp = ramp
        self.time_mask, self.freq_mask = time_mask, freq_mask
        self.shared = FastSharedCNNLSTM(channels=channels, hidden=hidden, pooling=pooling)
        self.emotion = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, n_emotions))
        if approach in ("mtl", "gr"):
            self.heads = nn.ModuleDict({a: nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, n))
                                        for a, n in attributes.items()})
        if approach == "ad":
            self.discriminators = nn.ModuleDict({a: discriminator(n, n_emotions, disc_width)
                                                 for a, n in attributes.items()})
        self.grl = GradientReversal(0.0)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        z = self.shared(batch["x"], batch["lengths"])
        return {"logits": self.emotion(z), "embedding": z}

    def optimizers(self, cfg: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        if self.approach == "ad":
            main = [*self.shared.parameters(), *self.emotion.parameters()]
            return {"d": make_optimizer(cfg, self.discriminators.parameters()),
                    "main": make_optimizer(cfg, main)}
        return {"main": make_optimizer(cfg, self.parameters())}

    def training_step(self, batch, progress):
        ce = nn.functional.cross_entropy
        x = spec_augment(batch["x"], self.time_mask, self.freq_mask)
        z = self.shared(x, batch["lengths"])
        logits = self.emotion(z)
        l_emo = self.emotion_loss(logits, batch["y"])
        a = self.alpha
        if self.approach == "baseline" or not self.attributes:
            yield "main", l_emo
        elif self.approach == "mtl":  # eq. 1
            l_att = torch.stack(
                [ce(self.heads[k](z), batch[k]) for k in self.attributes]
            )
            yield "main", (1 - a) * l_emo + a * l_att.mean()
        elif self.approach == "gr":  # eq. 2: R reverses the gradient into θ_f
            a_t = a * progress if self.ramp else a  # α ramps 0 → alpha over training
            self.grl.coeff = 1.0
            l_att = torch.stack(
                [ce(self.heads[k](self.grl(z)), batch[k]) for k in self.attributes]
            )
            yield "main", (1 - a_t) * l_emo + a_t * l_att.mean()
        else:  # eq. 3: D_i on the softmax, then C against the frozen D_i
            p = logits.softmax(-1)
            d = self.discriminators
            yield (
                "d",
                torch.stack(
                    [ce(d[k](p.detach()), batch[k]) for k in self.attributes]
                ).mean(),
            )
            l_d = torch.stack([ce(d[k](p), batch[k]) for k in self.attributes]).mean()
            yield "main", (1 - a) * l_emo - a * l_d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def attribute_sets(names: Sequence[str] = ("corpus", "gender", "speaker", "language")) -> list[tuple[str, ...]]:
    """Every non-empty combination of the attributes (15 for four)."""
    from itertools import combinations

    return [c for k in range(1, len(names) + 1) for c in combinations(names, k)]
