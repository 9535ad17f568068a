"""Pre-registered claims and the one protocol that decides them.

A chapter declares each claim of its paper as data (:class:`Claim`): the paper's sentence,
which system should beat which on which metric and corpus, the kind of claim (superiority,
non-inferiority with a margin, equivalence) and the independent unit. The same code computes
the paper's own effect from the paper's table (:func:`effect`) and ours from the stored
results, so the two numbers measure the same quantity.

The unit of a test is what is independent: a test speaker (all seeds, folds and raters that
share the speaker are averaged first) or a training set (folds that train on the same
speakers are merged). :func:`evaluate` then gives, per claim, the mean paired difference
with a t confidence interval over units, an exact sign-flip p-value, Holm's correction
across the chapter's claims, the minimum detectable effect (MDE, α = 0.05, 80 % power) and a
verdict word:

* **holds** — significant in the claimed direction (after Holm); for non-inferiority the
  lower bound of the 90 % CI lies above −margin; for equivalence the 90 % CI lies inside ±margin;
* **does not hold** — significant the other way (non-inferiority: the 90 % CI lies below −margin);
* **smaller than the paper's** — not significant, and the CI excludes the paper's effect;
* **underpowered** — not significant, and the MDE exceeds the paper's effect (the note says
  how many units or seeds would be needed);
* **not significant** — neither of the above (the CI holds both 0 and the paper's effect, or
  the paper gives no effect to compare with);
* **failed to train** — a compared system is not clearly above chance, so no verdict is drawn.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

KINDS = ("superiority", "non-inferiority", "equivalence")
ALPHA, POWER = 0.05, 0.8


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, fixed before any result is seen.

    ``better`` should beat ``worse`` on ``metric`` (a column of the unit table, a fraction;
    effects are reported in points = 100 × fraction) among the rows matching ``where``.
    ``margin`` (points) is the non-inferiority or equivalence margin. ``paper`` locates the
    claim's cells in the paper's table: a mapping of column filters for :func:`effect` (the
    paper's effect is computed from that table by the same code as ours).
    """

    name: str
    statement: str
    source: str
    better: str
    worse: str
    metric: str = "ua"
    where: Mapping[str, object] = field(default_factory=dict)
    kind: str = "superiority"
    margin: float = 0.0
    unit: str = "speaker"
    lower_is_better: bool = False
    headline: bool = False
    system: str = "system"  # the column that names the compared systems
    scale: float = 100.0     # metric → reported effect: 100 turns fractions into points

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind != "superiority" and self.margin <= 0:
            raise ValueError(f"claim {self.name!r}: a {self.kind} claim needs a margin > 0 (points)")

    @property
    def comparison(self) -> str:
        """``better > worse`` in words of the metric (``<`` when lower is better)."""
        op = {"superiority": ">", "non-inferiority": "≥ (margin {m:g})", "equivalence": "≈ (±{m:g})"}[self.kind]
        if self.lower_is_better:
            op = op.replace(">", "<").replace("≥", "≤")
        return f"{self.better} {op.format(m=self.margin)} {self.worse} on {self.metric}"


# --------------------------------------------------------------------------- differences
def differences(frame: pd.DataFrame, claim: Claim, unit: str | None = None, system: str | None = None
                ) -> pd.Series:
    """Paired differences ``better − worse`` (points, sign flipped when lower is better), one per
    independent unit. Every other replication in ``frame`` (seeds, raters, folds sharing the
    unit) is averaged *within* the unit first, so pseudo-replicates never count as units.
    A ``where`` value that is a list or tuple keeps the rows whose column is one of its items."""
    unit, system = unit or claim.unit, system or claim.system
    df = frame
    for col, value in claim.where.items():
        if col not in df:
            raise KeyError(f"claim {claim.name!r}: no column {col!r} to filter on")
        df = df[df[col].isin(value) if isinstance(value, (list, tuple)) else df[col] == value]
    if unit not in df:
        raise KeyError(f"claim {claim.name!r}: the unit column {unit!r} is missing")
    df = df[df[system].isin([claim.better, claim.worse])]
    if claim.metric not in df:  # e.g. a paper table without this quantity: no effect to compute
        return pd.Series(dtype=float, name=claim.name)
    wide = df.groupby([unit, system])[claim.metric].mean().unstack(system)
    if claim.better not in wide or claim.worse not in wide:
        return pd.Series(dtype=float, name=claim.name)
    d = (wide[claim.better] - wide[claim.worse]).dropna() * claim.scale
    return (-d if claim.lower_is_better else d).rename(claim.name)


def effect(table: pd.DataFrame, claim: Claim, unit: str | None = None, system: str | None = None) -> float:
    """The claim's effect in a results table (the paper's or ours): the mean paired difference.
    A paper's table usually has one row per system (no unit column): then it is one number."""
    if unit is None or unit not in table:
        table = table.assign(_unit=0)
        unit = "_unit"
    d = differences(table, claim, unit, system)
    return float(d.mean()) if len(d) else float("nan")


# --------------------------------------------------------------------------- tests
def sign_flip_p(d: Sequence[float], alternative: str = "two-sided", shift: float = 0.0) -> float:
    """Exact sign-flip (randomisation) p-value of mean(d − shift) = 0; exact up to 2^16 patterns,
    Monte Carlo beyond. The smallest two-sided p with n units is 2 / 2^n."""
    d = np.asarray(d, float) - shift
    if len(d) == 0:
        return float("nan")
    if len(d) == 1 or np.allclose(d, 0):
        return 1.0  # one unit: both signs are equally likely under the null
    res = stats.permutation_test((d,), np.mean, permutation_type="samples", alternative=alternative,
                                 n_resamples=np.inf if len(d) <= 16 else 99_999, random_state=0)
    return float(res.pvalue)


def min_p(n: int) -> float:
    """The smallest two-sided p-value an exact sign-flip test can give with ``n`` units."""
    return min(1.0, 2.0 / 2**n) if n > 0 else 1.0


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


def t_interval(d: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """t confidence interval of the mean of ``d`` (NaN with fewer than two units)."""
    d = np.asarray(d, float)
    if len(d) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean() - half), float(d.mean() + half)


def mde(n: int, sd: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable mean difference of a paired test with ``n`` units of spread ``sd``:
    ``(t_{1−α/2} + t_{power}) · sd / √n`` (df = n − 1). Infinite when an exact test on ``n``
    units can never reach ``alpha`` (n ≤ 5 at α = 0.05)."""
    if n < 2 or min_p(n) > alpha or not np.isfinite(sd):
        return float("inf")
    return float((stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd / np.sqrt(n))


def units_needed(sd: float, target: float, limit: int = 500) -> int | None:
    """The smallest number of units whose MDE reaches ``|target|`` (None beyond ``limit``)."""
    if not np.isfinite(target) or target == 0 or not np.isfinite(sd):
        return None
    for n in range(2, limit + 1):
        if mde(n, sd) <= abs(target):
            return n
    return None


def seeds_needed(replicates: pd.DataFrame, target: float, limit: int = 50) -> int | None:
    """How many seeds per unit would bring the MDE down to ``|target|`` at the same number of
    units, from a unit × seed table of differences (variance components: between units and
    between seeds within a unit). None when more seeds cannot get there."""
    if replicates.shape[1] < 2 or not np.isfinite(target):
        return None
    n, k = replicates.shape
    within = float(np.nanmean(replicates.var(axis=1, ddof=1)))
    between = max(float(replicates.mean(axis=1).var(ddof=1)) - within / k, 0.0)
    for seeds in range(1, limit + 1):
        if mde(n, np.sqrt(between + within / seeds)) <= abs(target):
            return seeds
    return None


# --------------------------------------------------------------------------- evaluation
def decide(d: pd.Series, claim: Claim, paper: float, p_adjusted: float, alpha: float = ALPHA) -> str:
    """The verdict word for one claim's unit differences (see the module docstring)."""
    n = len(d)
    if n == 0:
        return "no units"
    lo90, hi90 = t_interval(d, 1 - 2 * alpha)
    lo, hi = t_interval(d, 1 - alpha)
    mean = float(d.mean())
    if claim.kind == "non-inferiority":
        if p_adjusted < alpha and lo90 > -claim.margin:
            return "holds"
        if hi90 < -claim.margin:
            return "does not hold"
    elif claim.kind == "equivalence":
        if p_adjusted < alpha and -claim.margin < lo90 and hi90 < claim.margin:
            return "holds"
        if lo90 > claim.margin or hi90 < -claim.margin:
            return "does not hold"
    elif p_adjusted < alpha:
        return "holds" if mean > 0 else "does not hold"
    if np.isfinite(paper) and claim.kind == "superiority":
        if np.isfinite(hi) and hi < paper:
            return "smaller than the paper's"
        if mde(n, float(d.std(ddof=1)) if n > 1 else np.inf) > abs(paper):
            return "underpowered"
    return "not significant"


def _p_value(d: pd.Series, claim: Claim) -> float:
    if claim.kind == "superiority":
        return sign_flip_p(d)
    if claim.kind == "non-inferiority":  # H0: difference ≤ −margin
        return sign_flip_p(d, "greater", shift=-claim.margin)
    # equivalence (TOST): both one-sided tests must reject
    return max(sign_flip_p(d, "greater", shift=-claim.margin), sign_flip_p(d, "less", shift=claim.margin))


def evaluate(claims: Sequence[Claim], ours: pd.DataFrame, paper: pd.DataFrame | Mapping[str, float],
             trained: Mapping[str, bool] | None = None, replicate: str | None = "seed",
             alpha: float = ALPHA) -> pd.DataFrame:
    """Decide every claim of a chapter on its independent units.

    ``ours``: one row per (unit, system, replicate …) with the claim metrics as fractions.
    ``paper``: the paper's table in the same long form (its effects come from :func:`effect`),
    or a mapping claim name → the paper's effect (points) where no table survives.
    ``trained``: system → whether it is clearly above chance; claims on a system that is not
    say *failed to train*. Holm's correction runs over the claims that could be tested.
    """
    rows, diffs = [], []
    for c in claims:
        d = differences(ours, c)
        paper_effect = float(paper.get(c.name, np.nan)) if isinstance(paper, Mapping) else effect(paper, c)
        diffs.append(d)
        rows.append({"claim": c.name, "statement": c.statement, "source": c.source, "kind": c.kind,
                     "margin": c.margin if c.kind != "superiority" else np.nan, "comparison": c.comparison,
                     "metric": c.metric, **{k: v for k, v in c.where.items() if not isinstance(v, (list, tuple))},
                     "unit": c.unit,
                     "headline": c.headline, "effect unit": " points" if c.scale == 100 else "",
                     "paper effect": paper_effect, "ours": float(d.mean()) if len(d) else np.nan,
                     "units": len(d), "sd": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                     "p": _p_value(d, c) if len(d) else np.nan})
    table = pd.DataFrame(rows)
    failed = []
    for c in claims:
        bad = [s for s in (c.better, c.worse) if trained is not None and not trained.get(s, True)]
        failed.append(bad)
    ran = [set(ours[c.system]) if c.system in ours else set() for c in claims]
    testable = np.array([not f and {c.better, c.worse} <= r for f, c, r in zip(failed, claims, ran)])
    table["p (Holm)"] = np.nan
    if testable.any():
        table.loc[testable, "p (Holm)"] = holm(table.p[testable].to_numpy())
    verdicts, notes, lows, highs, mdes = [], [], [], [], []
    for c, d, bad, done, (_, r) in zip(claims, diffs, failed, ran, table.iterrows()):
        lo, hi = t_interval(d, 1 - alpha)
        lows.append(lo)
        highs.append(hi)
        mdes.append(mde(len(d), r.sd))
        if not {c.better, c.worse} <= done:
            verdicts.append("not run")
            notes.append(f"{' and '.join(sorted({c.better, c.worse} - done))} not in this run")
            continue
        if bad:
            verdicts.append("failed to train")
            notes.append(f"{' and '.join(bad)} not clearly above chance: no verdict")
            continue
        word = decide(d, c, r["paper effect"], r["p (Holm)"], alpha)
        verdicts.append(word)
        notes.append(_note(word, d, c, r, ours, replicate))
    table["CI low"], table["CI high"], table["MDE"] = lows, highs, mdes
    table["verdict"], table["note"] = verdicts, notes
    return table


def _note(word: str, d: pd.Series, c: Claim, r: pd.Series, ours: pd.DataFrame, replicate: str | None) -> str:
    n = len(d)
    if word == "underpowered":
        if min_p(n) > ALPHA:
            return f"{n} units can never give p < {ALPHA} (exact floor {min_p(n):.3f}); ≥ 6 are needed"
        need = units_needed(r.sd, r["paper effect"])
        extra = f"{need} {c.unit}s" if need else "far more units"
        seeds = None
        if replicate and replicate in ours:
            seeds = seeds_needed(_replicates(ours, c, replicate), r["paper effect"])
        return f"needs {extra}" + (f", or {seeds} seeds per {c.unit}" if seeds else "")
    if word == "smaller than the paper's":
        return f"the CI's upper bound is below the paper's {r['paper effect']:+.2f}"
    if word == "not significant" and not np.isfinite(r["paper effect"]):
        return "the paper gives no number for this effect"
    return ""


def _replicates(ours: pd.DataFrame, c: Claim, replicate: str) -> pd.DataFrame:
    """unit × replicate table of differences (for the seeds-needed estimate)."""
    if replicate == c.unit:
        return pd.DataFrame()
    return pd.DataFrame({rep: differences(g, c) for rep, g in ours.groupby(replicate)})


def trained_systems(frame: pd.DataFrame, chance: float, metric: str = "ua", system: str = "system",
                    min_gain: float = 0.05) -> dict[str, bool]:
    """system → whether its mean ``metric`` is at least ``min_gain`` above ``chance``."""
    means = frame.groupby(system)[metric].mean()
    return {s: bool(m - chance >= min_gain) for s, m in means.items()}


def sentence(row: pd.Series) -> str:
    """One sentence for the prose, built from a row of :func:`evaluate`."""
    where = ", ".join(str(row[k]) for k in ("corpus", "task") if k in row and isinstance(row[k], str))
    head = f"**{row['claim']}**" + (f" ({where})" if where else "")
    if row.verdict in ("failed to train", "not run"):
        return f"{head}: no verdict — {row.note}."
    paper = "" if not np.isfinite(row["paper effect"]) else f" (paper: {row['paper effect']:+.2f})"
    ci = "" if not np.isfinite(row["CI low"]) else f", 95 % CI [{row['CI low']:+.2f}, {row['CI high']:+.2f}]"
    mde_text = "∞" if not np.isfinite(row.MDE) else f"{row.MDE:.2f}"
    text = (f"{head}: *{row.verdict}* — {row.comparison}: {row.ours:+.2f}{row.get('effect unit', ' points')}{paper}{ci}, "
            f"{row.units} {row.unit}s, p = {row.p:.3f} (Holm {row['p (Holm)']:.3f}), MDE {mde_text}")
    return text + (f"; {row.note}." if row.note else ".")


def table_view(result: pd.DataFrame) -> pd.DataFrame:
    """The columns a page shows, rounded."""
    keys = [k for k in ("corpus", "task") if k in result]
    cols = ["claim", *keys, "comparison", "kind", "paper effect", "ours", "CI low", "CI high", "units", "unit", "sd",
            "MDE", "p", "p (Holm)", "verdict", "note"]
    return result[[c for c in cols if c in result]].round({"paper effect": 2, "ours": 2, "CI low": 2, "CI high": 2, "sd": 2,
                                                             "MDE": 2, "p": 4, "p (Holm)": 4})
