"""The one trainer every chapter uses.

A model is wrapped in a :class:`System`, which says what one training step does. A step is a
generator of ``(optimizer_name, loss)`` pairs: the trainer zeroes, back-propagates and steps
that optimizer for each pair **in order**, so alternating adversarial updates (a speaker
classifier first, then the encoder against it) and several optimizers fit without copying
the loop. The trainer adds seeding, device selection, bf16 autocast on CUDA, length-bucketed
batches, early stopping on a validation metric, per-utterance aggregation of chunk scores,
and resumable checkpoints. Items, batches and predictions are :mod:`sertools.batches`.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .batches import (  # noqa: F401 (re-exported: chapters import them from here)
    BucketSampler, ItemDataset, Predictions, collate, loader, predict, utterance_targets,
)
from .config import resolve_device, seed_everything
from .profiling import timed
from .progress import bar


# --------------------------------------------------------------------------- system
class System(nn.Module):
    """A model with its training objective. Subclasses implement :meth:`forward`
    (returning a dict with ``logits`` and optionally ``embedding``) and
    :meth:`training_step`.

    :meth:`emotion_loss` is the one emotion loss of the book: cross-entropy, weighted
    per class when a ``class_weights`` buffer is set (:meth:`set_class_weights`), for
    hard or soft targets."""

    target: str = "y"

    def set_class_weights(self, weights) -> "System":
        """Weight the emotion loss per class (e.g. :func:`class_weights`); ``None``
        removes them."""
        if weights is None:
            self.class_weights = None
        else:
            self.register_buffer(
                "class_weights",
                torch.as_tensor(np.asarray(weights), dtype=torch.float32),
            )
        return self

    def emotion_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        from .nn import weighted_cross_entropy

        return weighted_cross_entropy(
            logits, target, getattr(self, "class_weights", None)
        )

    def optimizers(self, cfg: "TrainConfig") -> dict[str, torch.optim.Optimizer]:
        return {
            "main": make_optimizer(
                cfg, [p for p in self.parameters() if p.requires_grad]
            )
        }

    def training_step(
        self, batch: dict[str, torch.Tensor], progress: float
    ) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield ``(optimizer_name, loss)``; ``progress`` runs from 0 to 1 over
        training."""
        yield "main", self.emotion_loss(self(batch)["logits"], batch[self.target])

    def after_step(self, batch: dict[str, torch.Tensor]) -> None:
        """Hook after the optimizers stepped (e.g. center updates)."""


def class_weights(targets: Sequence, n_classes: int) -> np.ndarray:
    """Inverse class frequency of hard (class index) or soft (distribution) targets,
    mean 1: each class then weighs as much in the loss as in UA, the macro recall every
    chapter reports."""
    t = np.asarray(targets)
    counts = (
        t.sum(0) if t.ndim == 2 else np.bincount(t.astype(int), minlength=n_classes)
    )
    w = 1.0 / np.maximum(np.asarray(counts, float), 1.0)
    return w / w.mean()


def make_optimizer(cfg: "TrainConfig", params) -> torch.optim.Optimizer:
    params = list(params)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamax":
        return torch.optim.Adamax(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


@dataclass
class TrainConfig:
    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "adam"          # adam | adamax | sgd
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str | None = None      # None | poly (power 0.9) | step (milestones, ×0.1) | exp (gamma per epoch)
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    poly_power: float = 0.9
    patience: int | None = None      # early stopping on `monitor` (None: train all epochs)
    monitor: str | None = "val_ua"   # val_ua | val_loss | None (keep the last epoch)
    grad_clip: float | None = None
    bucket: bool = True
    max_steps: int | None = None     # stop every epoch after this many batches (a dry run)
    amp: bool = True                 # bf16 autocast on CUDA

    def as_dict(self) -> dict:
        return asdict(self)


def _scheduler(cfg: TrainConfig, opt: torch.optim.Optimizer, steps_per_epoch: int):
    if cfg.schedule is None:
        return None, None
    if cfg.schedule == "poly":
        return torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=cfg.epochs * steps_per_epoch,
                                                     power=cfg.poly_power), "step"
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(cfg.milestones), gamma=cfg.gamma), "epoch"
    if cfg.schedule == "exp":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.gamma), "epoch"
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


# --------------------------------------------------------------------------- fit
@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    seconds_per_epoch: float = 0.0
    resumed: bool = False


def _val_scores(system: nn.Module, val: ItemDataset, labels: Sequence[int], device, batch_size: int,
                target: str) -> dict:
    from .metrics import unweighted_accuracy

    pred = predict(system, val, batch_size, device)
    u, y = utterance_targets(val, target)
    assert np.array_equal(u, pred.utt)
    soft = y.ndim == 2
    hard = y.argmax(1) if soft else y
    p = np.clip(pred.probs, 1e-7, 1)
    loss = float(-(y * np.log(p)).sum(1).mean()) if soft else float(-np.log(p[np.arange(len(y)), y]).mean())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ua = unweighted_accuracy(hard, pred.pred, labels)
    return {"val_loss": loss, "val_ua": ua}


def load_checkpoint(system: nn.Module, checkpoint: Path | None, device="cpu") -> History | None:
    """Load a finished run's weights into ``system``; its history, or None when there is none."""
    if checkpoint is None or not Path(checkpoint).exists():
        return None
    from .storage import read_or_quarantine

    state = read_or_quarantine(checkpoint, lambda p: _checked(torch.load(p, map_location="cpu", weights_only=False)),
                               corrupt=(RuntimeError,))  # truncated or corrupt: moved aside, trained again
    if state is None:
        return None
    system.load_state_dict(state["model"])
    system.to(resolve_device(device))
    return History(**{**state["history"], "resumed": True})


def _checked(state: Any) -> dict:
    """A loaded checkpoint, or a KeyError when it lacks the weights or the history."""
    if not isinstance(state, dict) or "model" not in state or "history" not in state:
        raise KeyError("not a sertools checkpoint (no model weights and history)")
    return state


TRAIN_PROBE = 100
"""Training utterances scored every epoch for the learning curves' ``train_ua`` (a fixed sample:
scoring costs a forward pass each, and the curves average it over units)."""


def _train_probe(train: ItemDataset, n_utts: int, seed: int) -> ItemDataset:
    """The items of at most ``n_utts`` utterances of ``train``, to score training UA
    each epoch (and, in a dry run, to keep validation and tracking as short as its
    training)."""
    utts = np.unique([int(it["utt"]) for it in train.items])
    keep = set(np.random.default_rng(seed).permutation(utts)[:n_utts].tolist())
    return ItemDataset([it for it in train.items if int(it["utt"]) in keep])


def _one_trainer_per_checkpoint(fn: Callable) -> Callable:
    """Two processes asked to train the same ``checkpoint`` (two runs on one state folder, units that
    share a pretrained network) do not both train: one does, the other waits for it and loads it."""
    import functools
    import inspect

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def locked(*args, **kwargs):
        checkpoint = signature.bind_partial(*args, **kwargs).arguments.get("checkpoint")
        if checkpoint is None:
            return fn(*args, **kwargs)
        from .paths import file_lock

        with file_lock(Path(checkpoint).with_name(Path(checkpoint).name + ".lock")):
            return fn(*args, **kwargs)

    return locked


@_one_trainer_per_checkpoint  # waiting for another trainer is not training time
@timed("training")
def fit(
    system: System,
    train: ItemDataset,
    cfg: TrainConfig,
    val: ItemDataset | None = None,
    seed: int = 0,
    device: str = "auto",
    checkpoint: Path | None = None,
    labels: Sequence[int] | None = None,
    desc: str = "train",
    on_epoch: Callable[[System, int], None] | None = None,
    track: ItemDataset | None = None,
) -> History:
    """Train ``system`` (in place) and return its history.

    Every epoch records the training losses, the UA of a fixed sample of training
    utterances (``train_ua``), the validation loss and UA (``val_*``, used for early
    stopping and model selection when ``cfg.monitor`` names them) and, for learning
    curves only, the loss and UA of ``track`` (``track_*``: e.g. the held-out speakers
    when a protocol selects no epoch; never used for selection).

    With ``checkpoint`` set and already holding a finished run, the weights are loaded
    and training is skipped: callers key ``checkpoint`` by config hash, so a changed
    configuration never picks up a stale model.
    """
    dev = resolve_device(device)
    resumed = load_checkpoint(system, checkpoint, dev)
    if resumed is not None:
        return resumed
    seed_everything(seed)
    system.to(dev)
    opts = system.optimizers(cfg)
    dl = loader(train, cfg.batch_size, seed, shuffle=True, bucket=cfg.bucket)
    scheds = {k: _scheduler(cfg, o, len(dl)) for k, o in opts.items()}
    labels = list(labels) if labels is not None else None
    probe_size = (
        TRAIN_PROBE
        if cfg.max_steps is None
        else min(TRAIN_PROBE, cfg.max_steps * cfg.batch_size)
    )
    probe = _train_probe(train, probe_size, seed) if labels is not None else None
    if cfg.max_steps is not None:
        # a dry run scores a few utterances per epoch, as many as it trains on
        val, track = (
            _train_probe(ds, probe_size, seed) if ds is not None else None
            for ds in (val, track)
        )
    hist = History()
    best, best_state, since_best = None, None, 0
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if (dev.type == "cuda" and cfg.amp)
        else None
    )
    t_train = 0.0
    for epoch in bar(range(cfg.epochs), desc=desc):
        system.train()
        t0 = time.perf_counter()
        totals: dict[str, float] = {}
        for i, batch in enumerate(dl):
            if cfg.max_steps is not None and i >= cfg.max_steps:
                break
            batch = {k: v.to(dev) for k, v in batch.items()}
            progress = (epoch + i / len(dl)) / cfg.epochs
            steps = system.training_step(batch, progress)
            while True:
                if autocast:
                    with autocast:
                        nxt = next(steps, None)
                else:
                    nxt = next(steps, None)
                if nxt is None:
                    break
                name, loss = nxt
                opt = opts[name]
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip:
                    nn.utils.clip_grad_norm_(
                        [p for g in opt.param_groups for p in g["params"]],
                        cfg.grad_clip,
                    )
                opt.step()
                sched, when = scheds[name]
                if sched is not None and when == "step":
                    sched.step()
                totals[name] = totals.get(name, 0.0) + float(loss.detach())
            system.after_step(batch)
        for sched, when in scheds.values():
            if sched is not None and when == "epoch":
                sched.step()
        t_train += time.perf_counter() - t0
        batches = len(dl) if cfg.max_steps is None else min(len(dl), cfg.max_steps)
        record = {
            "epoch": epoch + 1,
            **{f"loss_{k}": v / batches for k, v in totals.items()},
        }
        for prefix, ds in (("train", probe), ("val", val), ("track", track)):
            if (
                ds is not None
                and len(ds)
                and (labels is not None or prefix == "val" and cfg.monitor)
            ):
                scored = _val_scores(
                    system, ds, labels or [], dev, cfg.batch_size * 2, system.target
                )
                record.update(
                    {f"{prefix}_{k.split('_', 1)[1]}": v for k, v in scored.items()}
                )
        hist.epochs.append(record)
        if on_epoch:
            on_epoch(system, epoch)
        if cfg.monitor and cfg.monitor in record:
            score = record[cfg.monitor] * (-1 if cfg.monitor.endswith("loss") else 1)
            if best is None or score > best:
                best, best_state, since_best, hist.best_epoch = (
                    score,
                    copy.deepcopy(system.state_dict()),
                    0,
                    epoch + 1,
                )
            else:
                since_best += 1
                if cfg.patience is not None and since_best > cfg.patience:
                    break
    if best_state is not None:
        system.load_state_dict(best_state)
    else:
        hist.best_epoch = len(hist.epochs)
    hist.seconds_per_epoch = t_train / max(len(hist.epochs), 1)
    if checkpoint is not None:
        from .storage import atomic_write

        state = {"model": system.state_dict(), "history": asdict(hist),
                 "config": cfg.as_dict()}
        with atomic_write(checkpoint) as fh:
            torch.save(state, fh)
    return hist
