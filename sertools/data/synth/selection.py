"""The selection knobs (:mod:`.knobs`): deterministic subsets of a corpus's utterances, taken when
an embedded corpus is loaded. The audio, its folder and the feature cache stay the same.

An utterance is kept or dropped by a uniform number derived from the knob, the corpus, the
corpus seed and the utterance id alone, so a dose keeps the same utterances whatever else is
set, and a stronger dose of a confound keeps a subset of what a weaker one kept for the
favoured class and drops more of the others.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Mapping

import numpy as np
import pandas as pd

from . import knobs as K

FOUR = ("neutral", "happy", "angry", "sad")
POLARITIES = ("negative", "neutral", "positive")


def uniform(knob: str, corpus: str, seed: int, ids) -> np.ndarray:
    """A number in [0, 1) per utterance id, fixed by (knob, corpus, seed, id)."""
    out = []
    for u in ids:
        h = hashlib.blake2b(f"{knob}|{corpus}|{seed}|{u}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(h, "little") / 2.0 ** 64)
    return np.array(out)


def confound_keep(labels: pd.Series, groups: pd.Series, favoured: Mapping[str, str], rho: float,
                  u: np.ndarray) -> np.ndarray:
    """Which utterances to keep so that group g's label mix becomes (1−ρ)·p_g + ρ·[favoured g],
    with p_g the group's own mix: label e of group g is kept with probability
    (π(e)/p_g(e)) / max_e(π/p_g). Utterances whose label is not in the mix (NaN) are kept."""
    keep = np.ones(len(labels), bool)
    lab, grp = labels.to_numpy(object), groups.to_numpy(object)
    for g in pd.unique(grp):
        in_g = (grp == g) & pd.notna(labels).to_numpy()
        if not in_g.any() or g not in favoured:
            continue
        p = pd.Series(lab[in_g]).value_counts(normalize=True)
        pi = (1 - rho) * p
        pi[favoured[g]] = pi.get(favoured[g], 0.0) + rho
        ratio = (pi / p).dropna()
        if favoured[g] not in p.index:  # the group has no utterance of its favoured class
            ratio = (1 - rho) * p / p
        prob = ratio / ratio.max()
        idx = np.flatnonzero(in_g)
        keep[idx] = u[idx] < prob.reindex(lab[idx]).to_numpy(float)
    return keep


def fraction_keep(labels: pd.Series, groups: pd.Series, fraction: float, u: np.ndarray) -> np.ndarray:
    """``fraction`` of every (group, label) cell, by systematic sampling over the cell's utterances in
    order of ``u``: ⌊fraction × n⌋ or one more, fraction × n on average, at least one per cell."""
    keep = np.zeros(len(labels), bool)
    cells = pd.DataFrame({"g": groups.to_numpy(object), "e": labels.fillna("(none)").to_numpy(object), "u": u})
    for _, cell in cells.groupby(["g", "e"], sort=False):
        order = cell.sort_values("u").index.to_numpy()
        phase = cell.u.min() * len(cell) % 1  # a uniform offset of its own for each cell
        steps = np.floor(fraction * np.arange(1, len(order) + 1) + phase) - np.floor(fraction * np.arange(len(order)) + phase)
        chosen = order[steps > 0]
        keep[chosen if len(chosen) else order[:1]] = True
    return keep


def _four(emotion: pd.Series) -> pd.Series:
    e = emotion.astype("object").replace("excited", "happy")
    return e.where(e.isin(FOUR))


def _polarity(emotion: pd.Series) -> pd.Series:
    from ...protocols import AMBIGUOUS_POLARITY, POLARITY_MAP

    return emotion.astype("object").map({**POLARITY_MAP, **AMBIGUOUS_POLARITY})


def favoured_classes(keys, classes, knob: str, corpus: str, seed: int) -> dict[str, str]:
    """Each key (speaker) favours one class, in turn through a seeded permutation of the classes,
    so that every class is favoured by about as many keys."""
    order = K.knob_rng(knob, corpus, seed, "favoured").permutation(len(classes))
    return {k: classes[order[i % len(classes)]] for i, k in enumerate(sorted(keys))}


def select(corpus, knobs: Mapping[str, float] | None, seed: int = 0):
    """``corpus`` reduced by the selection knobs that apply to it; ``info['knobs']`` records every
    non-default knob acting on it and ``info['selection']`` the counts kept."""
    name = corpus.name
    active = K.for_corpus(name, knobs)
    info = {**corpus.info, "knobs": active}
    chosen = K.for_corpus(name, knobs, ("selection",))
    if not chosen:
        return dataclasses.replace(corpus, info=info)
    u = corpus.utterances
    keep = np.ones(len(u), bool)
    if "emotion_fraction" in chosen:
        keep &= fraction_keep(u.emotion, u.speaker, chosen["emotion_fraction"],
                              uniform("emotion_fraction", name, seed, u.index))
    if "li_confound" in chosen:
        fav = favoured_classes(u.speaker.unique(), FOUR, "li_confound", name, seed)
        keep &= confound_keep(_four(u.emotion), u.speaker, fav, chosen["li_confound"],
                              uniform("li_confound", name, seed, u.index))
    if "parry_label_skew" in chosen:
        i = K.PARRY_CORPORA.index(name)
        fav = {name: POLARITIES[(i + seed) % len(POLARITIES)]}
        keep &= confound_keep(_polarity(u.emotion), u.corpus, fav, chosen["parry_label_skew"],
                              uniform("parry_label_skew", name, seed, u.index))
    kept = u[keep].copy()
    ratings = corpus.ratings
    if ratings is not None:
        ratings = ratings[ratings.utterance.isin(kept.index)].reset_index(drop=True)
    info["selection"] = {"kept": int(keep.sum()), "of": int(len(u))}
    return dataclasses.replace(corpus, utterances=kept, ratings=ratings, info=info)
