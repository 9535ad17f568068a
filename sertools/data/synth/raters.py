"""Simulated annotators (synthetic-corpus study §5.4 and §7).

Raters perceive the *expressed* emotion (intended category at strength k), not the intended
label, so weakly expressed utterances get ambiguous labels, as in real corpora. Each rater r
has a valence and arousal bias b ~ N(0, .35), a scale gain g ~ e^N(0, .2) around 3, noise
σ ~ U(.35, .9), a category temperature τ ~ U(.35, .8), a log-prior for overusing neutral
~ N(.4, .3), per-category preferences ~ N(0, .25) and a recognition gain ~ U(2.5, 4) (design):
the intended category's logit rises by gain × strength, because listeners recognise an
expressed category from more than its valence and arousal. Perceived V/A = 3 + g·(expressed − 3)
+ b + noise; a category is sampled from softmax(−distance²/τ + priors) over the category
centroids; dimensional ratings are rounded to 1–5. The study measured κ ≈ 0.3 and a
majority vote that matches the intended label ≈ 72 % of the time with these settings.

Two mechanism knobs (:mod:`.knobs`) act here: ``chou_rater_bias`` is the SD of the biases, and
``chou_rater_angle`` gives each rater a style θ ~ N(0, SD): the rater perceives valence as
cos θ × (valence − 3) + sin θ × (arousal − 3) around the scale's middle, i.e. weights the cues
of arousal into valence (θ is drawn from the knob's own stream, so the rest of the pool is the
same at every dose).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .prosody import VA_CENTROIDS


@dataclass
class RaterPool:
    ids: list[str]
    categories: tuple[str, ...]
    bias_v: np.ndarray
    bias_a: np.ndarray
    gain: np.ndarray
    noise: np.ndarray
    tau: np.ndarray
    neutral_prior: np.ndarray
    prefs: np.ndarray  # raters x categories
    recognition: np.ndarray
    angle: np.ndarray | None = None  # radians: valence perceived as cos θ · valence + sin θ · arousal

    def index(self, rater: str) -> int:
        return self.ids.index(rater)


def make_pool(rng: np.random.Generator, ids: list[str], categories: tuple[str, ...], bias_sd: float = 0.35,
              angle: np.ndarray | None = None) -> RaterPool:
    """A rater pool; ``bias_sd`` scales the biases (same draws at every value), ``angle`` gives each
    rater's style in radians (``None``: no styles)."""
    n = len(ids)
    return RaterPool(ids=list(ids), categories=tuple(categories),
                     bias_v=rng.normal(0, bias_sd, n), bias_a=rng.normal(0, bias_sd, n),
                     gain=np.exp(rng.normal(0, 0.2, n)), noise=rng.uniform(0.35, 0.9, n),
                     tau=rng.uniform(0.35, 0.8, n), neutral_prior=rng.normal(0.4, 0.3, n),
                     prefs=rng.normal(0, 0.25, (n, len(categories))), recognition=rng.uniform(2.5, 4.0, n),
                     angle=None if angle is None or not np.any(angle) else np.asarray(angle, float))


def perceive(pool: RaterPool, r: int, expressed: tuple[float, float], rng: np.random.Generator
             ) -> tuple[float, float]:
    """The continuous (valence, arousal) that rater ``r`` perceives."""
    v, a = expressed
    if pool.angle is not None:
        v = 3 + np.cos(pool.angle[r]) * (v - 3) + np.sin(pool.angle[r]) * (a - 3)
    pv = 3 + pool.gain[r] * (v - 3) + pool.bias_v[r] + rng.normal(0, pool.noise[r])
    pa = 3 + pool.gain[r] * (a - 3) + pool.bias_a[r] + rng.normal(0, pool.noise[r])
    return pv, pa


def rate_category(pool: RaterPool, r: int, expressed: tuple[float, float], rng: np.random.Generator,
                  intended: str | None = None, strength: float = 0.0) -> str:
    """A categorical judgement from rater ``r`` of an utterance expressing ``intended`` at ``strength``."""
    pv, pa = perceive(pool, r, expressed, rng)
    cents = np.array([VA_CENTROIDS[c] for c in pool.categories])
    d2 = ((cents - np.array([pv - pool.bias_v[r], pa - pool.bias_a[r]])) ** 2).sum(1)
    logit = -d2 / pool.tau[r] + pool.prefs[r]
    if "neutral" in pool.categories:
        logit[pool.categories.index("neutral")] += pool.neutral_prior[r]
    if intended in pool.categories:
        logit[pool.categories.index(intended)] += pool.recognition[r] * min(strength, 1.2)
    p = np.exp(logit - logit.max())
    return pool.categories[int(rng.choice(len(p), p=p / p.sum()))]


def rate_dimensions(pool: RaterPool, r: int, expressed: tuple[float, float], rng: np.random.Generator
                    ) -> tuple[int, int, int]:
    """Integer (valence, arousal, dominance) ratings on 1–5 from rater ``r``."""
    pv, pa = perceive(pool, r, expressed, rng)
    pd_ = 3 + 0.6 * (pa - 3) + rng.normal(0, 0.5)
    return tuple(int(np.clip(np.rint(x), 1, 5)) for x in (pv, pa, pd_))  # type: ignore[return-value]


def self_category(intended: str, categories: tuple[str, ...], rng: np.random.Generator) -> str:
    """An actor's self-rating: usually the intended emotion (80 %), otherwise a random category."""
    return intended if rng.random() < 0.8 or intended not in categories else str(rng.choice(categories))
