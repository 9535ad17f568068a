"""Exact paired tests for a few independent units: sign-flip p-values, the intervals that invert
them, Holm's correction, the minimum detectable effect and a dose-response trend test.

Every test here is two-sided at level α, or one-sided at α / 2 reported as a doubled p-value
(so that one rule, ``p < α``, decides everything and every interval shown is the set of shifts a
two-sided test does not reject). With ``n`` units a sign-flip test enumerates the ``2^n`` sign
patterns exactly (up to 16 units; Monte Carlo beyond); its smallest two-sided p is ``2 / 2^n``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

ALPHA, POWER = 0.05, 0.8
EXACT_LIMIT = 16          # enumerate every sign pattern up to this many units
MONTE_CARLO = 100_000     # random sign patterns beyond it (fixed seed: the same p every run)


@lru_cache(maxsize=8)
def _signs(n: int) -> np.ndarray:
    """``[patterns, n]`` signs: all ``2^n`` patterns, or a fixed random sample beyond the limit."""
    if n <= EXACT_LIMIT:
        codes = np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n)
        return np.where(codes & 1, -1.0, 1.0)
    return np.random.default_rng(0).choice([-1.0, 1.0], size=(MONTE_CARLO, n))


def _one_sided(d: np.ndarray) -> tuple[float, float]:
    """(p of mean ≥ observed, p of mean ≤ observed) under random signs."""
    t = d.mean()
    perm = _signs(len(d)) @ d / len(d)
    tol = 1e-9 * (np.abs(d).sum() + 1.0)
    greater, less = np.sum(perm >= t - tol), np.sum(perm <= t + tol)
    if len(d) > EXACT_LIMIT:  # Monte Carlo: count the observed pattern once more (never p = 0)
        return (greater + 1) / (len(perm) + 1), (less + 1) / (len(perm) + 1)
    return greater / len(perm), less / len(perm)


def sign_flip_p(d: Sequence[float], alternative: str = "two-sided", shift: float = 0.0) -> float:
    """Exact sign-flip p-value of ``mean(d − shift) = 0`` against ``alternative`` (``two-sided``,
    ``greater`` or ``less``). Two-sided is twice the smaller one-sided p (the null distribution of
    the mean under sign flips is symmetric)."""
    d = np.asarray(d, float) - shift
    if len(d) == 0:
        return float("nan")
    if np.allclose(d, 0):
        return 1.0
    greater, less = _one_sided(d)
    return {"greater": greater, "less": less, "two-sided": min(1.0, 2 * min(greater, less))}[alternative]


def doubled(d: Sequence[float], alternative: str, shift: float = 0.0) -> float:
    """A one-sided sign-flip p-value doubled (a one-sided test at α / 2, read against α)."""
    return min(1.0, 2 * sign_flip_p(d, alternative, shift))


def min_p(n: int) -> float:
    """The smallest two-sided (or doubled one-sided) p an exact sign-flip test can give with ``n`` units."""
    return min(1.0, 2.0 / 2**n) if n > 0 else 1.0


def sign_flip_interval(d: Sequence[float], level: float = 1 - ALPHA) -> tuple[float, float]:
    """The shifts δ that a two-sided sign-flip test of ``mean(d − δ) = 0`` does not reject at
    ``1 − level``: an interval exactly consistent with the test (unbounded when ``n`` units can
    never reach that level)."""
    d = np.asarray(d, float)
    alpha = 1 - level
    if len(d) < 2 or min_p(len(d)) >= alpha:
        return float("-inf"), float("inf")
    mean, spread = float(d.mean()), float(np.ptp(d)) + 1.0

    def rejected(delta: float) -> bool:
        return sign_flip_p(d, shift=delta) < alpha

    bounds = []
    for far in (float(d.min()) - spread, float(d.max()) + spread):  # beyond the data every sign agrees
        inside, outside = mean, far
        for _ in range(60):
            mid = (inside + outside) / 2
            inside, outside = (inside, mid) if rejected(mid) else (mid, outside)
        bounds.append(inside)
    return bounds[0], bounds[1]


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN)."""
    p = np.asarray(p, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m, running = len(order), 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def t_interval(d: Sequence[float], level: float = 1 - ALPHA) -> tuple[float, float]:
    """t confidence interval of the mean of ``d`` (NaN with fewer than two units); descriptive
    tables use it, the claims use :func:`sign_flip_interval`."""
    d = np.asarray(d, float)
    if len(d) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean() - half), float(d.mean() + half)


POWER_DRAWS = 400  # simulated samples per shift when the exact test's power is estimated


@lru_cache(maxsize=512)
def _exact_mde1(n: int, alpha: float, power: float) -> float:
    """The shift (in units of the per-unit SD) at which the two-sided exact sign-flip test on ``n``
    normal units reaches ``power`` at level ``alpha``: simulated with common random numbers (fixed
    seed), so power rises monotonically with the shift, and solved by bisection."""
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((POWER_DRAWS, n))
    signs = _signs(n) if n <= 12 else rng.choice([-1.0, 1.0], size=(4096, n))  # p to ±0.01: enough for power
    tol = 1e-9

    def power_at(delta: float) -> float:
        d = z + delta
        t = d.mean(1)
        perm = signs @ d.T / n                         # [patterns, draws]
        greater = (perm >= t - tol * (np.abs(d).sum(1) + 1)).mean(0)
        less = (perm <= t + tol * (np.abs(d).sum(1) + 1)).mean(0)
        return float((np.minimum(1.0, 2 * np.minimum(greater, less)) < alpha).mean())

    lo, hi = 0.0, 1.0
    while power_at(hi) < power:
        lo, hi = hi, hi * 2
        if hi > 64:
            return float("inf")
    for _ in range(16):  # to 1/65536 of the bracket
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if power_at(mid) >= power else (mid, hi)
    return hi


def mde(n: int, sd: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable mean difference of the two-sided paired test at level ``alpha`` with
    ``n`` units of spread ``sd``, at ``power``. Up to :data:`EXACT_LIMIT` units it is the shift at
    which the *exact* sign-flip test reaches that power on normal differences (simulated; the
    discrete test needs more than the t formula says); beyond, the t formula
    ``(t_{1−α/2} + t_{power}) · sd / √n`` (df = n − 1). Infinite when an exact test on ``n``
    units can never reach ``alpha``."""
    if n < 2 or min_p(n) >= alpha or not np.isfinite(sd):
        return float("inf")
    if n <= EXACT_LIMIT:
        return float(_exact_mde1(n, float(alpha), float(power)) * sd)
    return float((stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd / np.sqrt(n))


def units_needed(sd: float, target: float, alpha: float = ALPHA, limit: int = 500) -> int | None:
    """The smallest number of units whose MDE at ``alpha`` reaches ``|target|`` (None beyond ``limit``)."""
    if not np.isfinite(target) or target == 0 or not np.isfinite(sd):
        return None
    return next((n for n in range(2, limit + 1) if mde(n, sd, alpha) <= abs(target)), None)


def seeds_needed(replicates: pd.DataFrame, target: float, alpha: float = ALPHA, limit: int = 50) -> int | None:
    """How many seeds per unit would bring the MDE at ``alpha`` down to ``|target|`` with the same
    units, from a unit × seed table of differences (variance between units and between seeds within
    a unit). None when more seeds cannot get there."""
    if replicates.shape[1] < 2 or not np.isfinite(target):
        return None
    n, k = replicates.shape
    within = float(np.nanmean(replicates.var(axis=1, ddof=1)))
    between = max(float(replicates.mean(axis=1).var(ddof=1)) - within / k, 0.0)
    return next((s for s in range(1, limit + 1) if mde(n, np.sqrt(between + within / s), alpha) <= abs(target)), None)


def trend(gains: pd.DataFrame, alpha: float = ALPHA) -> dict[str, float]:
    """Dose-response over independent units: ``gains`` is unit × dose (numeric column labels),
    each cell the method's gain over the baseline. Per unit the least-squares slope of gain on
    dose; then an exact sign-flip test of the mean slope (two-sided) and its interval. Units with
    a missing dose are dropped."""
    g = gains.dropna()
    dose = np.asarray(g.columns, float)
    centred = dose - dose.mean()
    slopes = (g.to_numpy(float) - g.to_numpy(float).mean(1, keepdims=True)) @ centred / (centred ** 2).sum()
    lo, hi = sign_flip_interval(slopes, 1 - alpha)
    return {"slope": float(slopes.mean()) if len(slopes) else float("nan"), "CI low": lo, "CI high": hi,
            "p": sign_flip_p(slopes), "units": len(slopes), "rising units": int((slopes > 0).sum())}
