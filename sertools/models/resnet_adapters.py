"""Xi et al. (2019): ResNet20 with residual adapters, pretrained on speakers, adapted to emotion.

Every convolution is an :class:`AdaptedConv`: a shared k×k filter bank plus, when adapters are
on, a domain-specific 1×1 filter bank reading the same input with the same stride, summed
*before* a domain-specific batch norm (the **parallel** form of Rebuffi et al. 2018, which is
what the paper's eq. 3 and Fig. 2 describe; the series form of Rebuffi et al. 2017 puts the
1×1 after the 3×3 instead).

Table I: a 7×7 stem (stride 1), 3×3 max-pooling (stride 2), three stages of three basic
blocks (32, 64, 128 channels) whose last convolution has stride 2 and doubles the channels,
so a 400×200 input ends as 256 maps of 25×13; global average pooling and a linear layer.
Shortcuts that change shape average-pool and zero-pad channels (no parameters), as in
Rebuffi's code.
"""
from __future__ import annotations

import torch
from torch import nn

from ..train import System, TrainConfig

METHODS = ("plain", "feature_extractor", "fine_tuning", "residual_adapter", "adapter_only")


class AdaptedConv(nn.Module):
    """k×k conv (shared) [+ parallel 1×1 adapter (domain-specific)] → BN
    (domain-specific). Training uses :class:`FastAdaptedConv`: the same parameters and
    outputs."""

    def __init__(
        self, cin: int, cout: int, k: int = 3, stride: int = 1, adapter: bool = True
    ):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)  # ω (shared)
        self.adapter = (
            nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if adapter else None
        )
        self.bn = nn.BatchNorm2d(cout)  # per domain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if self.adapter is not None:
            y = y + self.adapter(x)  # f(x) = ω * x + α * x   (eq. 3)
        return self.bn(y)


class FastAdaptedConv(AdaptedConv):
    """:class:`AdaptedConv` with its strided 1×1 adapter computed as a subsampling followed by a
    1×1 convolution: the same function (``tests/test_models.py`` compares outputs and gradients),
    and it keeps training away from oneDNN's strided 1×1 backward-weights kernel, which on
    channels-last inputs with fewer input channels than its block (8 with AVX2, 16 with AVX-512)
    writes past its workspace (oneDNN issue #6035): heap corruption with one thread, a hang with two."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if self.adapter is not None:
            s = self.adapter.stride
            y = y + nn.functional.conv2d(x[:, :, ::s[0], ::s[1]], self.adapter.weight)
        return self.bn(y)


class BasicBlock(nn.Module):
    """ReLU(x + conv(ReLU(conv(x)))) (eq. 2); the last block of a stage strides and doubles."""

    def __init__(self, cin: int, cout: int, stride: int, adapter: bool, conv: type = FastAdaptedConv):
        super().__init__()
        self.c1 = conv(cin, cin, 3, 1, adapter)
        self.c2 = conv(cin, cout, 3, stride, adapter)
        self.stride, self.extra = stride, cout - cin

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = nn.functional.avg_pool2d(x, self.stride, ceil_mode=True)
        if self.extra:
            x = torch.cat([x, x.new_zeros(x.shape[0], self.extra, *x.shape[2:])], 1)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.c2(torch.relu(self.c1(x)))
        s = self.shortcut(x)
        return torch.relu(y + s[..., : y.shape[2], : y.shape[3]])


class ResNet20(System):
    """``[B, T, F]`` μ-law spectrogram chunks → class logits; ``adapters`` adds 1×1 adapters;
    ``plain`` builds it from :class:`AdaptedConv` instead of :class:`FastAdaptedConv` (the same
    network, for reading and for the test that they agree; do not train it channels-last on a
    CPU: see :class:`FastAdaptedConv`)."""

    def __init__(self, n_classes: int, adapters: bool = False, width: int = 32, in_channels: int = 1,
                 plain: bool = False):
        super().__init__()
        conv = AdaptedConv if plain else FastAdaptedConv
        self.stem = conv(in_channels, width, 7, 1, adapters)
        blocks, c = [], width
        for stage in range(3):
            for b in range(3):
                last = b == 2
                blocks.append(BasicBlock(c, 2 * c if last else c, 2 if last else 1, adapters, conv))
            c *= 2
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, n_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        self.to(memory_format=torch.channels_last)  # convolutions of few channels run ~20 % faster on a CPU

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x = batch["x"].transpose(1, 2).unsqueeze(1)                       # B x 1 x F x T
        h = nn.functional.max_pool2d(torch.relu(self.stem(x)), 3, 2, 1)    # B x w x F/2 x T/2
        h = self.blocks(h)                                                # B x 8w x F/16 x T/16
        e = h.mean(dim=(2, 3))                                            # global average pooling
        return {"logits": self.fc(e), "embedding": e}

    def train(self, mode: bool = True) -> "ResNet20":
        """Frozen batch norms (feature extractor) keep their running statistics in training."""
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d) and not m.weight.requires_grad:
                m.eval()
        return self

    def convs(self) -> list[AdaptedConv]:
        return [m for m in self.modules() if isinstance(m, AdaptedConv)]

    def optimizers(self, cfg: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """SGD with Nesterov momentum; weight decay on weights, not on BN parameters."""
        decay = [p for n, p in self.named_parameters() if p.requires_grad and "bn" not in n]
        no_decay = [p for n, p in self.named_parameters() if p.requires_grad and "bn" in n]
        return {"main": torch.optim.SGD([{"params": decay, "weight_decay": cfg.weight_decay},
                                         {"params": no_decay, "weight_decay": 0.0}],
                                        lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)}


def adapt(pretrained: ResNet20, method: str, n_classes: int) -> ResNet20:
    """A copy of a speaker network prepared for emotion training with ``method``:

    * ``feature_extractor``: everything frozen, a new FC is trained;
    * ``fine_tuning``: every weight trained, new FC;
    * ``residual_adapter``: k×k filters frozen; adapters, BNs and a new FC trained;
    * ``adapter_only``: as above with every k×k filter set to zero (no speaker
      information left).
    """
    import copy

    if method not in METHODS[1:]:
        raise ValueError(f"method must be one of {METHODS[1:]}, not {method!r}")
    has_adapters = pretrained.convs()[0].adapter is not None
    if method in ("residual_adapter", "adapter_only") and not has_adapters:
        raise ValueError(f"{method} needs a network pretrained with adapters")
    model = copy.deepcopy(pretrained)
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    for p in model.parameters():
        p.requires_grad_(method == "fine_tuning")
    if method == "feature_extractor":
        model.fc.requires_grad_(True)
    if method in ("residual_adapter", "adapter_only"):
        for conv in model.convs():
            conv.conv.weight.requires_grad_(False)
            if method == "adapter_only":
                with torch.no_grad():
                    conv.conv.weight.zero_()
            conv.adapter.requires_grad_(True)
            conv.bn.requires_grad_(True)
        model.fc.requires_grad_(True)
    return model
