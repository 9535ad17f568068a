"""Pre-registered claims and the one protocol that decides them.

A chapter declares each claim of its paper as data (:class:`Claim`): the paper's sentence,
which system should beat which on which metric and corpus, the kind of claim and the
independent unit. The same code computes the paper's own effect from the paper's table
(:func:`paper_effect`, with the paper's own spread where it reports one) and ours from the
stored results, so the two numbers measure the same quantity.

The unit of a test is what is independent: a test speaker (seeds, folds and raters that share
the speaker are averaged first) or a training set (folds that train on the same speakers are
merged). :func:`evaluate` then decides every claim of a chapter as one family:

1. a claim is **tested** only when its systems ran, learned (mean of the claim's gate metric at
   least 5 points above chance), its mechanism engaged (when the chapter registers a check) and
   it has enough units for an exact test to reach α at all (6 for α = 0.05; a tested claim whose
   units cannot reach the least strict Holm step open to it, 2/2ⁿ ≥ α/(K − J) with J the other
   tests Holm rejects first, reads *too few units* too, rather than *underpowered*);
2. each tested claim contributes its test (an exact sign-flip test: two-sided for superiority,
   one-sided at α / 2 against the margin otherwise) and, for a superiority claim whose paper
   effect is positive, a one-sided test of "ours is below the paper's effect" (against the lower
   end of the paper's own interval where the paper reports a spread);
3. Holm's step-down correction runs over all of these tests together;
4. each claim's interval is the exact sign-flip interval at the level its Holm step used, so it
   excludes 0 exactly when the claim holds; the unadjusted 95 % interval is shown beside it;
5. the minimum detectable effect (MDE, 80 % power) is computed at α / K, the level the first
   Holm step of a family of K tests demands.

The verdict words are :data:`VERDICTS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .exact import (ALPHA, doubled, holm, mde, min_p, seeds_needed, sign_flip_interval, sign_flip_p,  # noqa: F401
                    t_interval, trend, units_needed)

KINDS = ("superiority", "non-inferiority", "non-superiority", "equivalence")
MIN_GAIN = 0.05  # a system "learned" when its mean gate metric is this far above chance (fraction)
VERDICTS = {  # in the order evaluate() decides them
    'not run': 'a compared system was not part of this run',
    'failed to train': "a compared system is not clearly above chance on the claim's gate metric: no verdict",
    'mechanism not engaged': ("the chapter's pre-registered check that the method's mechanism worked failed: the "
                              "result says nothing about the paper's claim"),
    'too few units': ('fewer independent units than any exact test needs to reach α (6 for α = 0.05), or than '
                      "the least strict Holm step open to the claim needs (7 at α/2, 8 at α/4): no test can "
                      "decide it"),
    'reversed in every unit': 'too few units to test, and every unit goes against the claim',
    'holds': ("the test in the claimed direction is significant after Holm's correction (non-inferiority: the "
              "interval's lower end lies above −margin; non-superiority: its upper end below +margin; "
              'equivalence: the interval lies inside ±margin)'),
    'does not hold': ('significant the other way (or, for a margin claim, the interval lies wholly beyond the '
                      'margin)'),
    "below the paper's effect": ("not shown, and a one-sided test says ours is smaller than the paper's reported "
                                 "effect (the lower end of the paper's own interval where it reports a spread), "
                                 "on this page's corpus"),
    'underpowered': ("not shown, and the test could not detect an effect as large as the paper's (MDE > "
                     "paper's effect, or > the margin): the note says how many units or seeds would"),
    'inconclusive': ("none of the above: not shown, and not shown to be below the paper's effect; the MDE says what "
                     "the test could have detected"),
    'the first is higher': ("an undirected comparison (no paper claims a direction): the first-named system is "
                            "significantly higher after Holm"),
    'the second is higher': "an undirected comparison: the second-named system is significantly higher after Holm",
    'no difference shown': ("an undirected comparison that is not significant after Holm (the MDE says what it could "
                            "have detected)"),
}


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, fixed before any result is seen.

    ``better`` should beat ``worse`` on ``metric`` (a column of the unit table, a fraction;
    effects are reported in points = ``scale`` × fraction) among the rows matching ``where``.
    ``margin`` (points) is the margin of a non-inferiority, non-superiority or equivalence claim.
    ``gate`` is the metric that says whether a system learned at all (default: ``metric``).
    ``paper_unit`` names the column of the paper's table whose rows are the paper's own
    replicates (its raters, its attribute sets): the paper's effect then comes with a spread.
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
    system: str = "system"   # the column that names the compared systems
    scale: float = 100.0      # metric → reported effect: 100 turns fractions into points
    gate: str | None = None
    paper_unit: str | None = None
    directed: bool = True     # False: a comparison no paper claims a direction for (the scoreboard's pairs)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if not self.directed and self.kind != "superiority":
            raise ValueError(f"claim {self.name!r}: an undirected comparison is a two-sided superiority test")
        if self.kind != "superiority" and self.margin <= 0:
            raise ValueError(f"claim {self.name!r}: a {self.kind} claim needs a margin > 0 (points)")

    @property
    def comparison(self) -> str:
        """``better > worse`` in words of the metric (``<`` when lower is better)."""
        op = {"superiority": ">", "non-inferiority": "≥ (margin {m:g})", "non-superiority": "≯ (margin {m:g})",
              "equivalence": "≈ (±{m:g})"}[self.kind]
        if self.lower_is_better:
            op = op.replace(">", "<").replace("≥", "≤").replace("≯", "≮")
        return f"{self.better} {op.format(m=self.margin)} {self.worse} on {self.metric}"


def key(claim: Claim) -> str:
    """A claim's name with its scalar ``where`` values: unique within a chapter (a chapter may
    register one claim per corpus and task under the same name). Mappings passed to
    :func:`evaluate` (spreads, mechanism checks) may use it or the bare name."""
    scalars = [f"{k}={v}" for k, v in claim.where.items() if not isinstance(v, (list, tuple))]
    return claim.name + (f" [{', '.join(scalars)}]" if scalars else "")


def _lookup(mapping: Mapping | None, claim: Claim):
    if not mapping:
        return None
    return mapping.get(key(claim), mapping.get(claim.name))


# --------------------------------------------------------------------------- differences
def _rows(frame: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    df = frame
    for col, value in claim.where.items():
        if col not in df:
            raise KeyError(f"claim {claim.name!r}: no column {col!r} to filter on")
        df = df[df[col].isin(value) if isinstance(value, (list, tuple)) else df[col] == value]
    return df


def differences(frame: pd.DataFrame, claim: Claim, unit: str | None = None, system: str | None = None
                ) -> pd.Series:
    """Paired differences ``better − worse`` (points, sign flipped when lower is better), one per
    independent unit. Every other replication in ``frame`` (seeds, raters, folds sharing the
    unit) is averaged *within* the unit first, so pseudo-replicates never count as units.
    A ``where`` value that is a list or tuple keeps the rows whose column is one of its items."""
    unit, system = unit or claim.unit, system or claim.system
    df = _rows(frame, claim)
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


@dataclass(frozen=True)
class PaperEffect:
    """The paper's effect with its own 95 % interval (``low == high == mean`` when the paper
    reports one run and no spread); ``n`` is the paper's number of replicates behind it."""

    mean: float
    low: float
    high: float
    n: int = 1
    basis: str = "one reported number"


def paper_effect(paper: pd.DataFrame | Mapping[str, float], claim: Claim,
                 spread: Mapping[str, tuple[float, int | None]] | None = None) -> PaperEffect:
    """The paper's effect for ``claim``: from its table (by the same code as ours), from a mapping
    claim name → points where no table survives, with an interval from the paper's replicates
    (``claim.paper_unit``) or from a reported standard deviation (``spread``: claim name →
    (sd of the effect, runs or None when the paper does not say; None is read as one run))."""
    if isinstance(paper, Mapping):
        return PaperEffect(*(float(paper.get(claim.name, np.nan)),) * 3)
    if claim.paper_unit and claim.paper_unit in paper:
        d = differences(paper, claim, unit=claim.paper_unit)
        if len(d) > 1:
            lo, hi = t_interval(d)
            return PaperEffect(float(d.mean()), lo, hi, len(d), f"the spread over the paper's {len(d)} values of "
                               f"{claim.paper_unit!r} (conditions, not sampling error)")
    mean = effect(paper, claim)
    if _lookup(spread, claim) is not None:
        sd, n = _lookup(spread, claim)
        q = stats.t.ppf(0.975, n - 1) / np.sqrt(n) if n and n > 1 else stats.norm.ppf(0.975)
        basis = f"the paper's sd {sd:.2f}" + (f" over {n} runs" if n else " (runs not stated: read as one run)")
        return PaperEffect(mean, mean - q * sd, mean + q * sd, n or 1, basis)
    return PaperEffect(mean, mean, mean)


# --------------------------------------------------------------------------- evaluation
def _gate(frame: pd.DataFrame, claim: Claim, chance: float | Mapping[str, float] | None) -> list[str]:
    """The compared systems that did not learn: mean gate metric < chance + 5 points."""
    if chance is None:
        return []
    level = chance if not isinstance(chance, Mapping) else chance[str(claim.where.get("corpus"))]
    df = _rows(frame, claim)
    metric = claim.gate or claim.metric
    if metric not in df:
        raise KeyError(f"claim {claim.name!r}: no gate metric {metric!r} in the unit table")
    means = df.groupby(claim.system)[metric].mean()
    return [s for s in (claim.better, claim.worse) if s in means and means[s] - level < MIN_GAIN]


def favours(d: pd.Series, claim: Claim) -> pd.Series:
    """Which units point the way the claim says: above 0 (superiority), above −margin
    (non-inferiority), below +margin (non-superiority), inside ±margin (equivalence)."""
    m = claim.margin
    return {"superiority": d > 0, "non-inferiority": d > -m, "non-superiority": d < m,
            "equivalence": d.abs() < m}[claim.kind]


def _primary_p(d: pd.Series, claim: Claim) -> float:
    m = claim.margin
    if claim.kind == "superiority":
        return sign_flip_p(d)
    if claim.kind == "non-inferiority":   # H0: difference ≤ −margin
        return doubled(d, "greater", -m)
    if claim.kind == "non-superiority":   # H0: difference ≥ +margin
        return doubled(d, "less", m)
    return max(doubled(d, "greater", -m), doubled(d, "less", m))  # equivalence: both one-sided tests


def _status(c: Claim, d: pd.Series, ours: pd.DataFrame, chance, engaged, alpha: float) -> tuple[str, str] | None:
    """Why a claim is not tested (verdict, note), or None when it is."""
    ran = set(ours[c.system]) if c.system in ours else set()
    if not {c.better, c.worse} <= ran:
        return "not run", f"{' and '.join(sorted({c.better, c.worse} - ran))} not in this run"
    bad = _gate(ours, c, chance)
    if bad:
        return "failed to train", f"{' and '.join(bad)} not {100 * MIN_GAIN:.0f} points above chance on " \
                                  f"{c.gate or c.metric}: no verdict"
    check = _lookup(engaged, c)
    if check is not None and not check[0]:
        return "mechanism not engaged", check[1]
    n = len(d)
    if n == 0:
        return "not run", "no units"
    if min_p(n) >= alpha:
        against = int((~favours(d, c)).sum())
        word = "reversed in every unit" if against == n and c.directed else "too few units"
        return word, (f"{n} {c.unit}s: the smallest p an exact test can give is {min_p(n):.3f} ≥ {alpha}; "
                      f"{against} of {n} go against the claim")
    return None


def evaluate(claims: Sequence[Claim], ours: pd.DataFrame, paper: pd.DataFrame | Mapping[str, float],
             chance: float | Mapping[str, float] | None = None,
             engaged: Mapping[str, tuple[bool, str]] | None = None,
             paper_spread: Mapping[str, tuple[float, int | None]] | None = None,
             replicate: str | None = "seed", alpha: float = ALPHA) -> pd.DataFrame:
    """Decide every claim of a chapter on its independent units, as one Holm family.

    ``ours``: one row per (unit, system, replicate …) with the metrics as fractions. ``paper``:
    the paper's table in the same long form, or a mapping claim name → effect (points).
    ``chance``: the chance level (fraction; or corpus → chance) for the *failed to train* gate.
    ``engaged``: claim name (or :func:`key`) → (mechanism engaged?, what the check measured).
    ``paper_spread``: see :func:`paper_effect`.
    """
    diffs = [differences(ours, c) for c in claims]
    papers = [paper_effect(paper, c, paper_spread) for c in claims]
    status = [_status(c, d, ours, chance, engaged, alpha) for c, d in zip(claims, diffs)]
    family: list[tuple[int, str, float]] = []  # (claim index, test, raw p)
    for i, (c, d, pe, s) in enumerate(zip(claims, diffs, papers, status)):
        if s is None:
            family.append((i, "claim", _primary_p(d, c)))
            if c.kind == "superiority" and c.directed and np.isfinite(pe.low) and pe.low > 0:
                family.append((i, "below", doubled(d, "less", pe.low)))
    adjusted = holm([p for _, _, p in family]) if family else np.array([])
    k = max(len(family), 1)
    reach = {j: _reachable_level([p for (i_, t_, p) in family if (i_, t_) != (j, "claim")], k, alpha)
             for j, t, _ in family if t == "claim"}
    rows = []
    for i, (c, d, pe, s) in enumerate(zip(claims, diffs, papers, status)):
        tests = {t: (p, a) for (j, t, p), a in zip(family, adjusted) if j == i}
        n, mean = len(d), float(d.mean()) if len(d) else np.nan
        sd = float(d.std(ddof=1)) if n > 1 else np.nan
        p, p_adj = tests.get("claim", (np.nan, np.nan))
        a_eff = alpha * p / p_adj if np.isfinite(p_adj) and p_adj > 0 else alpha  # the level Holm's step used
        lo, hi = sign_flip_interval(d, 1 - a_eff) if s is None else (np.nan, np.nan)
        lo95, hi95 = sign_flip_interval(d, 1 - alpha) if n > 1 else (np.nan, np.nan)
        row = {"claim": c.name, "statement": c.statement, "source": c.source, "kind": c.kind,
               "margin": c.margin if c.kind != "superiority" else np.nan, "comparison": c.comparison,
               "metric": c.metric, **{k_: v for k_, v in c.where.items() if not isinstance(v, (list, tuple))},
               "unit": c.unit, "headline": c.headline, "effect unit": " points" if c.scale == 100 else "",
               "paper effect": pe.mean, "paper low": pe.low, "paper high": pe.high, "paper basis": pe.basis,
               "ours": mean, "units": n, "favour": int(favours(d, c).sum()), "sd": sd,
               "p": p, "p (Holm)": p_adj, "p below": tests.get("below", (np.nan,))[0],
               "p below (Holm)": tests.get("below", (np.nan, np.nan))[1],
               "CI level": 1 - a_eff, "CI low": lo, "CI high": hi, "CI95 low": lo95, "CI95 high": hi95,
               "MDE level": alpha / k, "MDE": mde(n, sd, alpha / k) if s is None else np.nan, "tests": len(family),
               "reachable level": reach.get(i, np.nan)}
        row["verdict"], row["note"] = s if s is not None else _decide(row, c, alpha)
        if row["verdict"] == "too few units" and s is None:  # its Holm step is out of reach: no interval either
            row["CI low"], row["CI high"] = np.nan, np.nan
        if s is None and row["verdict"] == "underpowered":
            row["note"] = _needs(row, d, c, ours, replicate, alpha / k)
        rows.append(row)
    return pd.DataFrame(rows)


def _decide(r: dict, c: Claim, alpha: float) -> tuple[str, str]:
    """The verdict of a tested claim (see :data:`VERDICTS`)."""
    lo, hi, m = r["CI low"], r["CI high"], c.margin
    if not c.directed:
        if r["p (Holm)"] < alpha:
            return ("the first is higher", "") if r["ours"] > 0 else ("the second is higher", "")
        return _out_of_reach(r, c) if min_p(r["units"]) >= r["reachable level"] else ("no difference shown", "")
    if c.kind == "superiority":
        if r["p (Holm)"] < alpha:
            return ("holds", "") if r["ours"] > 0 else ("does not hold", "significant in the other direction")
        if r["p below (Holm)"] < alpha:
            return "below the paper's effect", (f"a one-sided test puts ours below the paper's "
                                                f"{r['paper low']:+.2f} ({r['paper basis']})")
        if min_p(r["units"]) >= r["reachable level"]:
            return _out_of_reach(r, c)
        target = r["paper effect"]
        if np.isfinite(target) and target <= 0:
            return "inconclusive", f"the paper's own table shows no effect in the claimed direction here ({target:+.2f})"
        if np.isfinite(target) and r["MDE"] > target:
            return "underpowered", ""
        return "inconclusive", "" if np.isfinite(target) else "the paper gives no number for this effect"
    if r["p (Holm)"] < alpha:
        return "holds", ""
    wrong = {"non-inferiority": hi < -m, "non-superiority": lo > m, "equivalence": lo > m or hi < -m}[c.kind]
    if wrong:
        return "does not hold", f"the interval lies beyond the margin of {m:g}"
    if min_p(r["units"]) >= r["reachable level"]:
        return _out_of_reach(r, c)
    if r["MDE"] > m:
        return "underpowered", ""
    return "inconclusive", ""


def _reachable_level(others: Sequence[float], k: int, alpha: float) -> float:
    """The least strict Holm level a test of a family of ``k`` can face, given the other tests' raw
    p-values: α/(k − J), where J counts the other tests Holm's step-down rejects before its first
    failure (the test can do no better than come right after them). It depends neither on the
    test's own p nor on the order the claims are declared in."""
    q = np.sort([p for p in others if np.isfinite(p)])
    j = next((r for r, x in enumerate(q) if x >= alpha / (k - r)), len(q))
    return alpha / (k - j)


def _out_of_reach(r: dict, c: Claim) -> tuple[str, str]:
    """*too few units* (or *reversed in every unit*) for a tested claim whose units cannot reach
    the least strict Holm step open to it."""
    n, against = r["units"], r["units"] - r["favour"]
    word = "reversed in every unit" if c.directed and against == n else "too few units"
    text = (f"{n} {r['unit']}s: the smallest p an exact test can give is {min_p(n):.3f} ≥ "
            f"{r['reachable level']:.4f}, the least strict Holm step this claim could reach among {r['tests']} tests")
    return word, text + (f"; {against} of {n} go against the claim" if c.directed else "")


def _needs(r: dict, d: pd.Series, c: Claim, ours: pd.DataFrame, replicate: str | None, alpha: float) -> str:
    target = r["paper effect"] if c.kind == "superiority" else c.margin
    need = units_needed(r["sd"], target, alpha)
    text = f"detecting {abs(target):.2f} at α/{r['tests']} needs " + (f"{need} {c.unit}s" if need else "far more units")
    if replicate and replicate in ours and replicate != c.unit:
        reps = pd.DataFrame({rep: differences(g, c) for rep, g in ours.groupby(replicate)})
        seeds = seeds_needed(reps, target, alpha)
        text += f", or {seeds} seeds per {c.unit}" if seeds else ""
    return text


# --------------------------------------------------------------------------- gates and views
def trained_systems(frame: pd.DataFrame, chance: float, metric: str = "ua", system: str = "system",
                    min_gain: float = MIN_GAIN) -> dict[str, bool]:
    """system → whether its mean ``metric`` is at least ``min_gain`` above ``chance``."""
    means = frame.groupby(system)[metric].mean()
    return {s: bool(m - chance >= min_gain) for s, m in means.items()}


from .claim_views import full_view, registered, sentence, table_view  # noqa: E402,F401  (the views)
