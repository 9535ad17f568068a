"""Items, batches and predictions: what the trainer (:mod:`sertools.train`) feeds a model and
reads back.

An :class:`ItemDataset` holds dicts (``x``, ``utt`` and targets); :func:`loader` pads them into
batches, grouped by length for training; :func:`predict` runs a model over a dataset and averages
the softmax over the chunks of each utterance (:class:`Predictions`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .profiling import timed


# --------------------------------------------------------------------------- data
class ItemDataset(torch.utils.data.Dataset):
    """Items are dicts: ``x`` (array ``[T, ...]``), ``utt`` (utterance index) and targets."""

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]

    def lengths(self) -> np.ndarray:
        return np.array([len(it["x"]) for it in self.items])


def collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Pad ``x`` along time to the longest item; stack every other key; add ``lengths``. (Padded in
    NumPy, then handed to torch: per-item tensor copies took 10 % of a small recurrent unit.)"""
    n = [len(it["x"]) for it in items]
    first = np.asarray(items[0]["x"])
    x = np.zeros((len(items), max(n), *first.shape[1:]), dtype=np.float32)
    for i, it in enumerate(items):
        x[i, : n[i]] = it["x"]
    out = {"x": torch.from_numpy(x), "lengths": torch.tensor(n)}
    for k in items[0]:
        if k != "x":
            out[k] = torch.as_tensor(np.stack([np.asarray(it[k]) for it in items]))
    return out


class BucketSampler(torch.utils.data.Sampler):
    """Batches for one epoch, reshuffled by a seed every epoch. With ``bucket``, batches group
    items of similar length (less padding for recurrent models). A trailing batch of one item
    joins the previous batch (batch norm cannot train on a single item)."""

    def __init__(self, lengths: np.ndarray, batch_size: int, seed: int, shuffle: bool = True, bucket: bool = True):
        self.lengths, self.batch_size, self.seed = lengths, batch_size, seed
        self.shuffle, self.bucket, self.epoch = shuffle, bucket, 0

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        idx = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        pool = self.batch_size * 50 if self.bucket else len(idx)
        batches = []
        for s in range(0, len(idx), pool):
            chunk = idx[s:s + pool]
            if self.bucket:
                chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        if self.shuffle and len(batches) > 1 and len(batches[-1]) == 1:
            last = batches.pop()  # (not `batches[-2] += batches.pop()`: the pop shifts the index)
            batches[-1] += last
        if self.shuffle and self.bucket:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return iter(batches)

    def __len__(self) -> int:
        n = (len(self.lengths) + self.batch_size - 1) // self.batch_size
        return n - 1 if self.shuffle and n > 1 and len(self.lengths) % self.batch_size == 1 else n


def loader(ds: ItemDataset, batch_size: int, seed: int = 0, shuffle: bool = False, bucket: bool = True):
    """Batches of ``ds``: shuffled per epoch for training, in order for evaluation."""
    sampler = BucketSampler(ds.lengths(), batch_size, seed, shuffle, bucket)
    return torch.utils.data.DataLoader(ds, batch_sampler=sampler, collate_fn=collate)


# --------------------------------------------------------------------------- prediction
@dataclass
class Predictions:
    """Per-utterance outputs: chunk probabilities averaged per utterance (``utt`` index)."""

    utt: np.ndarray
    probs: np.ndarray
    embedding: np.ndarray | None = None
    seconds_per_utt: float = 0.0
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def pred(self) -> np.ndarray:
        return self.probs.argmax(1)


@timed("evaluation")
@torch.no_grad()
def predict(system: nn.Module, ds: ItemDataset, batch_size: int = 64, device: str | torch.device = "cpu",
            head: str = "logits") -> Predictions:
    """Run ``system`` in eval mode; average softmax over the chunks of each utterance."""
    system.eval()
    device = torch.device(device)
    utts, probs, embs = [], [], []
    t0 = time.perf_counter()
    for batch in loader(ds, batch_size, shuffle=False, bucket=False):
        batch = {k: v.to(device) for k, v in batch.items()}
        out = system(batch)
        probs.append(out[head].float().softmax(-1).cpu())
        if "embedding" in out:
            embs.append(out["embedding"].float().cpu())
        utts.append(batch["utt"].cpu())
    elapsed = time.perf_counter() - t0
    utt = torch.cat(utts).numpy()
    p = torch.cat(probs).numpy()
    e = torch.cat(embs).numpy() if embs else None
    uniq, inv = np.unique(utt, return_inverse=True)
    agg = np.zeros((len(uniq), p.shape[1]))
    np.add.at(agg, inv, p)
    counts = np.bincount(inv)[:, None]
    emb_agg = None
    if e is not None:
        emb_agg = np.zeros((len(uniq), e.shape[1]))
        np.add.at(emb_agg, inv, e)
        emb_agg /= counts
    return Predictions(uniq, agg / counts, emb_agg, elapsed / max(len(uniq), 1))


def utterance_targets(ds: ItemDataset, key: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """(utterance index, target) per utterance, in sorted utterance order."""
    seen: dict[int, Any] = {}
    for it in ds.items:
        seen.setdefault(int(it["utt"]), it[key])
    u = np.array(sorted(seen))
    return u, np.array([seen[i] for i in u])
