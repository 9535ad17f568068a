"""Several seeds of one system trained as one batched ensemble (``torch.func``).

:func:`fit_ensemble` trains K copies of a :class:`~sertools.train.System` on the same training
set, each with **its own initialisation, data order, learning curve, selected epoch and
checkpoint**, exactly as K calls of :func:`sertools.train.fit` would, but with one forward and
one backward pass per step for all of them: the members' parameters and buffers are stacked
(``stack_module_state``), the system's training step runs under ``vmap`` with
``functional_call``-style reparametrisation, and one optimiser of the same kind steps the
stacked tensors (Adam, Adamax and SGD update every element on its own, so a stacked optimiser is
K optimisers). The per-epoch evaluations run member by member with :func:`fit`'s own code.

What it accepts (checked, with a clear error): one optimiser and one loss per step, no
``after_step`` hook, no gradient clipping, inputs of one shape (``bucket=False`` or fixed-length
items), and **no random operation in the training step** (``vmap(randomness="error")``: dropout
or random masks would draw other numbers than the one-at-a-time trainer). The arithmetic is the
same up to float rounding (a batched convolution sums in another order); ``tests/test_ensemble``
bounds the difference. Whether it is faster depends on the model and the machine: see
``make bench`` and the performance page.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .config import resolve_device, seed_everything
from .profiling import timed
from .train import (TRAIN_PROBE, History, ItemDataset, System, TrainConfig, _scheduler, _train_probe, _val_scores,
                    load_checkpoint)


class EnsembleUnsupported(ValueError):
    """The system or configuration cannot be trained as a batched ensemble (the reason is named)."""


def check_supported(system: System, cfg: TrainConfig) -> None:
    """Raise :class:`EnsembleUnsupported` naming why ``system`` cannot run as an ensemble."""
    if type(system).after_step is not System.after_step:
        raise EnsembleUnsupported(f"{type(system).__name__} updates state after each step (after_step)")
    if cfg.grad_clip:
        raise EnsembleUnsupported("gradient clipping takes one norm per member")
    if len(system.optimizers(cfg)) != 1:
        raise EnsembleUnsupported(f"{type(system).__name__} steps several optimisers in turn")


def _stacked_optimizer(member: System, cfg: TrainConfig, stacked: dict[str, torch.Tensor]) -> torch.optim.Optimizer:
    """The optimiser ``member.optimizers(cfg)`` builds (its class, groups and settings), over the
    stacked tensors of the same parameters."""
    (opt,) = member.optimizers(cfg).values()
    names = {id(p): n for n, p in member.named_parameters()}
    groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [stacked[names[id(p)]] for p in g["params"]]}
              for g in opt.param_groups]
    return type(opt)(groups, **opt.defaults)


def _load_member(system: System, stacked: dict[str, torch.Tensor], k: int) -> None:
    with torch.no_grad():
        for name, t in system.state_dict(keep_vars=True).items():
            t.copy_(stacked[name][k])


@timed("training")
def fit_ensemble(systems: Sequence[System], train: ItemDataset, cfg: TrainConfig, seeds: Sequence[int],
                 val: ItemDataset | None = None, device: str = "auto", checkpoints: Sequence[Path | None] | None = None,
                 labels: Sequence[int] | None = None, desc: str = "ensemble",
                 track: ItemDataset | None = None) -> list[History]:
    """Train ``systems[k]`` with ``seeds[k]`` (in place) as :func:`~sertools.train.fit` would, all
    in one batched ensemble; → one :class:`~sertools.train.History` per member. A member whose
    checkpoint holds a finished run is loaded and left out; one member alone runs :func:`fit`."""
    from .train import fit

    checkpoints = list(checkpoints or [None] * len(systems))
    dev = resolve_device(device)
    hists: list[History | None] = [load_checkpoint(s, c, dev) for s, c in zip(systems, checkpoints)]
    todo = [k for k, h in enumerate(hists) if h is None]
    if len(todo) == 1:
        (k,) = todo
        hists[k] = fit(systems[k], train, cfg, val, seeds[k], dev, checkpoints[k], labels, desc, track=track)
    if len(todo) > 1:
        for k, h in zip(todo, _train_together([systems[k] for k in todo], train, cfg, [seeds[k] for k in todo],
                                               val, dev, labels, track)):
            hists[k] = h
            if checkpoints[k] is not None:
                Path(checkpoints[k]).parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(checkpoints[k]).with_suffix(".tmp")
                torch.save({"model": systems[k].state_dict(), "history": asdict(h), "config": cfg.as_dict()}, tmp)
                tmp.replace(checkpoints[k])
    return hists  # type: ignore[return-value]


def _train_together(systems: list[System], train: ItemDataset, cfg: TrainConfig, seeds: list[int],
                    val: ItemDataset | None, dev: torch.device, labels, track) -> list[History]:
    from torch.func import stack_module_state, vmap
    from torch.nn.utils.stateless import _reparametrize_module

    from .train import loader

    base = systems[0]
    check_supported(base, cfg)
    for s in systems:
        s.to(dev).train()
    params, buffers = stack_module_state(systems)
    trainable = {n for n, p in base.named_parameters() if p.requires_grad}
    for n, p in params.items():
        p.requires_grad_(n in trainable)
    stacked = {**params, **buffers}
    opt = _stacked_optimizer(base, cfg, params)
    loaders = [loader(train, cfg.batch_size, seed, shuffle=True, bucket=cfg.bucket) for seed in seeds]
    steps_per_epoch = len(loaders[0])
    sched, when = _scheduler(cfg, opt, steps_per_epoch)
    labels = list(labels) if labels is not None else None
    probe_size = TRAIN_PROBE if cfg.max_steps is None else min(TRAIN_PROBE, cfg.max_steps * cfg.batch_size)
    probes = [_train_probe(train, probe_size, seed) if labels is not None else None for seed in seeds]
    if cfg.max_steps is not None:
        val, track = (_train_probe(ds, probe_size, seeds[0]) if ds is not None else None for ds in (val, track))
    for seed in seeds[-1:]:
        seed_everything(seed)  # as fit() leaves it (the step itself draws no random number)

    def member_loss(p, b, batch, progress):
        with _reparametrize_module(base, {**p, **b}):
            steps = base.training_step(batch, progress)
            _, loss = next(steps)
            if next(steps, None) is not None:
                raise EnsembleUnsupported(f"{type(base).__name__}.training_step yields several losses")
        return loss

    losses_of = vmap(member_loss, in_dims=(0, 0, 0, None), randomness="error")
    K = len(systems)
    hists = [History() for _ in range(K)]
    best: list = [None] * K
    best_state: list = [None] * K
    since_best, done = [0] * K, [False] * K
    t_train, epochs_run = 0.0, 0
    for epoch in range(cfg.epochs):
        epochs_run += 1
        for s in systems:
            s.train()
        base.train()
        t0 = time.perf_counter()
        totals = [0.0] * K
        n_batches = 0
        for i, members in enumerate(zip(*loaders)):
            if cfg.max_steps is not None and i >= cfg.max_steps:
                break
            parts = list(members)
            if len({tuple(p["x"].shape) for p in parts}) > 1:
                raise EnsembleUnsupported("the members' batches differ in shape (variable-length items): use "
                                          "fixed-length items or bucket=False")
            batch = {k: torch.stack([p[k] for p in parts]).to(dev) for k in parts[0]}
            try:
                losses = losses_of(params, buffers, batch, (epoch + i / steps_per_epoch) / cfg.epochs)
            except RuntimeError as err:
                if "randomness" in str(err):
                    raise EnsembleUnsupported(f"{type(base).__name__}'s training step draws random numbers "
                                              f"(dropout, random masks): {err}") from err
                if "Batching rule not implemented" in str(err):  # e.g. aten::gru, aten::lstm
                    raise EnsembleUnsupported(f"{type(base).__name__}: {str(err).splitlines()[0]}") from err
                raise
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
            if sched is not None and when == "step":
                sched.step()
            totals = [t + v for t, v in zip(totals, losses.detach().cpu().tolist())]
            n_batches += 1
        if sched is not None and when == "epoch":
            sched.step()
        t_train += time.perf_counter() - t0
        for k, s in enumerate(systems):
            if done[k]:
                continue
            _load_member(s, stacked, k)
            record = {"epoch": epoch + 1, "loss_main": totals[k] / max(n_batches, 1)}
            for prefix, ds in (("train", probes[k]), ("val", val), ("track", track)):
                if ds is not None and len(ds) and (labels is not None or prefix == "val" and cfg.monitor):
                    scored = _val_scores(s, ds, labels or [], dev, cfg.batch_size * 2, s.target)
                    record.update({f"{prefix}_{m.split('_', 1)[1]}": v for m, v in scored.items()})
            hists[k].epochs.append(record)
            if cfg.monitor and cfg.monitor in record:
                score = record[cfg.monitor] * (-1 if cfg.monitor.endswith("loss") else 1)
                if best[k] is None or score > best[k]:
                    best[k], best_state[k], since_best[k] = score, copy.deepcopy(s.state_dict()), 0
                    hists[k].best_epoch = epoch + 1
                else:
                    since_best[k] += 1
                    done[k] = cfg.patience is not None and since_best[k] > cfg.patience
        if all(done):
            break
    for k, s in enumerate(systems):
        if not done[k]:
            _load_member(s, stacked, k)
        if best_state[k] is not None:
            s.load_state_dict(best_state[k])
        else:
            hists[k].best_epoch = len(hists[k].epochs)
        hists[k].seconds_per_epoch = t_train / max(epochs_run, 1) / K  # the member's share of the ensemble's time
    return hists
