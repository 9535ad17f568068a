"""Operations on cached feature sequences: normalisation, pooling, chunking, cropping, SpecAugment.

All take and return ``[frames, ...]`` arrays (or a list of them) and are cheap, so they run
after the cache, per experiment: a per-speaker z-score depends on which utterances are in
the set, so it must never be baked into cached features.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def drop_unvoiced(x: np.ndarray, f0_column: int = 0) -> np.ndarray:
    """Remove frames whose F0 is 0 (the BIIC lab's emobase preprocessing); keep one frame at least."""
    keep = x[:, f0_column] > 0
    return x[keep] if keep.any() else x[:1]


def zscore_by_group(arrays: Sequence[np.ndarray], groups: Sequence[str]) -> list[np.ndarray]:
    """Z-score every dimension over all frames of each group (e.g. speaker); per-group statistics."""
    groups = np.asarray(groups)
    out: list[np.ndarray] = [np.empty(0)] * len(arrays)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        frames = np.concatenate([arrays[i] for i in idx]).astype(np.float64)
        mu, sd = frames.mean(0), frames.std(0)
        sd[sd < 1e-8] = 1.0
        for i in idx:
            out[i] = ((arrays[i] - mu) / sd).astype(np.float32)
    return out


def zscore(x: np.ndarray, per_dimension: bool = True) -> np.ndarray:
    """Z-score one utterance: each dimension over time, or (``per_dimension=False``) all values
    with one mean and one deviation, which keeps the spectral shape."""
    if not per_dimension:
        return ((x - x.mean()) / max(float(x.std()), 1e-8)).astype(np.float32)
    sd = x.std(0)
    return ((x - x.mean(0)) / np.where(sd < 1e-8, 1.0, sd)).astype(np.float32)


def mean_pool(x: np.ndarray, step: int, max_frames: int | None = None) -> np.ndarray:
    """Average non-overlapping blocks of ``step`` frames (zero-padding the last block, as the
    lab's ``mean_pool`` intends; its hard-coded padding bug is not reproduced)."""
    if max_frames is not None:
        x = x[:max_frames]
    pad = (-len(x)) % step
    if pad:
        x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
    return x.reshape(-1, step, *x.shape[1:]).mean(1).astype(np.float32)


def chunks(x: np.ndarray, size: int, hop: int) -> list[np.ndarray]:
    """Fixed-length windows of ``size`` frames every ``hop`` frames; the last (or only) window
    is zero-padded. A window that would be all padding is not produced."""
    out = []
    start = 0
    while True:
        piece = x[start:start + size]
        if len(piece) < size:
            piece = np.concatenate([piece, np.zeros((size - len(piece), *x.shape[1:]), x.dtype)])
        out.append(piece)
        if start + size >= len(x):
            return out
        start += hop


def crop_or_repeat(x: np.ndarray, target: int) -> np.ndarray:
    """Li et al.: keep the middle ``target`` frames of longer inputs; cycle-repeat shorter ones."""
    if len(x) >= target:
        start = (len(x) - target) // 2
        return x[start:start + target]
    reps = int(np.ceil(target / max(len(x), 1)))
    return np.concatenate([x] * reps)[:target]


def spec_augment(batch, time_mask: int = 30, freq_mask: int = 3, generator=None):
    """One time mask (width ≤ ``time_mask`` frames) and one frequency mask (≤ ``freq_mask`` bins)
    per example on a ``[B, T, F]`` tensor (Park et al., 2019), drawn from ``generator``: each
    width uniform in ``[0, max]``, each start uniform over the positions before ``T − width``."""
    import torch

    b, t, f = batch.shape

    def band(size: int, most: int):  # [B, size] bool: True inside each example's mask
        w = torch.randint(0, most + 1, (b,), generator=generator)
        start = (torch.rand(b, generator=generator) * (size - w).clamp(min=1)).long()
        pos = torch.arange(size)[None, :]
        return ((pos >= start[:, None]) & (pos < (start + w)[:, None])).to(batch.device)

    keep = ~(band(t, time_mask)[:, :, None] | band(f, freq_mask)[:, None, :])
    return batch * keep.to(batch.dtype)
