"""Positive controls and mechanism gates: does a chapter's method gain when the cause it exploits
is in the data, and did its mechanism engage on this page?

**Positive control.** A chapter declares a :class:`Control`: a simulator knob
(:mod:`sertools.data.synth.knobs`), its doses, the comparison (a :class:`~sertools.claims.Claim`:
the method against its baseline on the claim's metric and independent unit), and the direction
the method's gain should take as the dose rises, written before the run: ``up`` (the knob turns
the cause up: no gain when absent, a gain that grows with the dose), ``down`` (the knob turns the
cause down) or ``flat`` (a negative control: a knob that should not help the method). The chapter
runs its own units at each knob setting (:func:`run`: units cached one by one, the knob values in
the cache key); :func:`gains` is the unit × dose table of the claim's paired differences (seeds
and folds averaged within a unit, as the claims do), :func:`summary` the mean gain per dose with
its exact 95 % interval and the effect the units could detect, and :func:`evaluate` the exact
trend test (:func:`sertools.exact.trend`) read against the prediction, as the sentence the page
glues (so the text cannot contradict the numbers). :func:`experiment` does all of it.

**Mechanism gates.** :func:`gate` is the one rule every chapter's pre-registered mechanism check
uses: an exact one-sided sign-flip test, over the chapter's independent units, that a measured
quantity lies beyond a threshold in the direction the mechanism implies (p < α). Its result is
what :func:`sertools.claims.evaluate` takes as ``engaged``; a check that fails turns the verdict
into *mechanism not engaged*.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .claims import Claim, differences
from .data.synth.knobs import KNOBS, validate
from .exact import ALPHA, mde, min_p, sign_flip_interval, sign_flip_p, trend

EXPECT = {"up": "no gain when the cause is absent, a gain that grows with the dose",
          "down": "the largest gain where the knob is absent, shrinking as the dose rises",
          "flat": "no change of the gain with the dose (a negative control)"}


@dataclass(frozen=True)
class Control:
    """One dose-response experiment of a chapter, declared before it runs.

    ``claim`` names the method (``better``), the baseline (``worse``), the metric and the unit;
    ``doses`` default to the knob's own three (absent, the book's default, strong). ``if_holds``
    and ``if_not`` say what each outcome means for the paper's claim on real data (and what it
    does not); :func:`evaluate` picks one by the numbers.
    """

    knob: str
    claim: Claim
    expect: str
    doses: tuple[float, ...] | None = None
    if_holds: str = ""
    if_not: str = ""
    label: str = ""
    small: tuple[str, ...] = ()   # corpora the knob re-renders: at the meter size outside smoke (:func:`meter_corpora`)

    def __post_init__(self) -> None:
        if self.knob not in KNOBS:
            raise ValueError(f"control: unknown knob {self.knob!r}; knobs: {', '.join(KNOBS)}")
        if self.expect not in EXPECT:
            raise ValueError(f"control on {self.knob!r}: expect must be one of {tuple(EXPECT)}, not {self.expect!r}")
        if len(self.dose_list) < (2 if self.expect == "flat" else 3):
            raise ValueError(f"control on {self.knob!r}: a dose-response needs at least three doses (a negative "
                             f"control two)")

    @property
    def dose_list(self) -> list[float]:
        return [float(d) for d in (self.doses or KNOBS[self.knob].doses)]

    def setting(self, base: Mapping[str, float] | None, dose: float) -> dict[str, float]:
        """The chapter's own knobs with this control's knob at ``dose`` (canonical form)."""
        return validate({**(base or {}), self.knob: dose})

    @property
    def prediction(self) -> str:
        k = KNOBS[self.knob]
        doses = " / ".join(f"{d:g}" for d in self.dose_list)
        return (f"`{self.knob}` at {doses} ({k.unit}; the book's default is {k.default:g}): "
                f"{EXPECT[self.expect]}")


class NotSimulated(Exception):
    """A control cannot run on this page: its knobs turn the simulator, and the page reads real corpora."""


def simulated(P) -> None:
    """Raise :class:`NotSimulated` when ``P`` reads real corpora (``data_root``): a chapter's
    ``control_units`` calls it first, and :func:`experiment` then reports the section as not run."""
    if P.get("data_root") is not None:
        raise NotSimulated(f"not run: the positive controls turn the simulator's knobs, and this page reads real "
                           f"corpora (data_root = {str(P.data_root)!r})")


def meter_corpora(control: Control, P) -> list[str]:
    """The corpora a control runs at the small ``meter`` size: its ``small`` ones (those its knob
    re-renders) in the book and full profiles. A book-size corpus costs more than a minute of speech
    synthesis per dose on two cores (the IEMOCAP-like one: 1600 utterances in 80 s, measured), and
    its features as much again, which a control's budget (about a minute and a half a chapter)
    cannot pay for two doses; the meter-size ones (30
    utterances a speaker) are those the foundations chapter's meters render at the same doses. The
    smoke profile's corpora are smaller still, and a dry run keeps its own size."""
    return [] if P.profile == "smoke" or P.dry_run else list(control.small)


def run(control: Control, knobs: Mapping[str, float] | None, units: Callable[[dict[str, float]], pd.DataFrame]
        ) -> pd.DataFrame:
    """Every dose's unit table in one long table (column ``dose``): ``units(setting)`` runs the
    chapter's own units at one knob setting (cached, so the default dose costs nothing after
    the chapter's main run). ``attrs["seconds"]`` holds each dose's wall time."""
    frames, seconds = [], {}
    for dose in control.dose_list:
        t0 = time.perf_counter()
        frames.append(units(control.setting(knobs, dose)).assign(dose=dose))
        seconds[dose] = time.perf_counter() - t0
    out = pd.concat(frames, ignore_index=True)
    out.attrs["seconds"] = seconds
    return out


def gains(control: Control, long: pd.DataFrame) -> pd.DataFrame:
    """Unit × dose: the claim's paired difference (method − baseline, points) in each unit."""
    cols = {dose: differences(g, control.claim) for dose, g in long.groupby("dose")}
    return pd.DataFrame(cols).reindex(columns=[d for d in control.dose_list if d in cols]).rename_axis(
        index=control.claim.unit, columns="dose")


def levels(control: Control, long: pd.DataFrame) -> pd.DataFrame:
    """Per dose and system (baseline, method): the mean metric over units (points) ± one standard
    error over units, for the figure's left panel."""
    c = control.claim
    rows = []
    for dose, g in long.groupby("dose"):
        for system in (c.worse, c.better):
            v = g[g[c.system] == system].groupby(c.unit)[c.metric].mean().dropna() * c.scale
            se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
            rows.append({"dose": dose, "system": system, "mean": v.mean(), "low": v.mean() - se,
                         "high": v.mean() + se, "units": len(v)})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Per dose: mean gain, exact (1 − α) sign-flip interval, units, units favouring the method,
    and the minimum detectable effect (80 % power at α) of that many units with that spread."""
    rows = []
    for dose in table.columns:
        d = table[dose].dropna()
        lo, hi = sign_flip_interval(d, 1 - alpha)
        sd = float(d.std(ddof=1)) if len(d) > 1 else np.nan
        rows.append({"dose": dose, "gain": float(d.mean()), "CI low": lo, "CI high": hi, "units": len(d),
                     "favour": int((d > 0).sum()), "p": sign_flip_p(d), "MDE": mde(len(d), sd, alpha)})
    return pd.DataFrame(rows).set_index("dose")


@dataclass
class Result:
    """A control's run and its reading: the long unit table (``dose`` column), the unit × dose
    gains, the per-dose summary, the trend test, the verdict word and the sentence the page glues."""

    control: Control
    long: pd.DataFrame
    gains: pd.DataFrame
    summary: pd.DataFrame
    trend: dict
    word: str
    text: str
    gates: dict = None  # dose → (engaged, what was measured) from the chapter's gate, where it has one

    @property
    def seconds(self) -> dict[float, float]:
        return self.long.attrs.get("seconds", {})


def evaluate(control: Control, long: pd.DataFrame, alpha: float = ALPHA) -> Result:
    """Read the trend test against the prediction. ``up``/``down``: *as predicted* when the
    slope is significant (p < α) in the predicted direction, *reversed* when significant the other
    way, *not shown* otherwise; ``flat``: *no trend detected* (the slope's interval says how large
    a trend the data still allow) or *a trend* when one is significant. *Too few units* when no
    exact test on this many units can reach α."""
    table = gains(control, long)
    s, tr = summary(table, alpha), trend(table, alpha)
    sign = {"up": 1, "down": -1, "flat": 0}[control.expect]
    significant = bool(np.isfinite(tr["p"]) and tr["p"] < alpha)
    if min_p(int(tr["units"])) >= alpha:
        word = "too few units"
    elif sign == 0:
        word = "a trend" if significant else "no trend detected"
    elif significant:
        word = "as predicted" if np.sign(tr["slope"]) == sign else "reversed"
    else:
        word = "not shown"
    unit = KNOBS[control.knob].unit
    first, last = s.iloc[0], s.iloc[-1]
    who = control.claim.unit

    def at(row, name) -> str:
        return (f"{_pts(row.gain)} points at {name} ({row.name:g}; 95 % CI [{_pts(row['CI low'])}, "
                f"{_pts(row['CI high'])}], {int(row.favour)} of {int(row.units)} {who}s favour the method)")

    text = (f"**{word.capitalize()}.** The method's gain over the baseline is {at(first, 'the first dose')} and "
            f"{at(last, 'the last')}; the slope is {_pts(tr['slope'])} points per {unit} (95 % CI "
            f"[{_pts(tr['CI low'])}, {_pts(tr['CI high'])}]), positive in {tr['rising units']} of {tr['units']} "
            f"{who}s, exact sign-flip p = {tr['p']:.3f}. At the last dose these units could detect a gain of "
            f"{last.MDE:.2f} points (80 % power, α = {alpha}).")
    good = word == "as predicted" or (sign == 0 and word == "no trend detected")
    meaning = "" if word == "too few units" else control.if_holds if good else control.if_not
    return Result(control, long, table, s, tr, word, text + (" " + meaning if meaning else ""))


def experiment(control: Control, knobs: Mapping[str, float] | None,
               units: Callable[[dict[str, float]], pd.DataFrame], prefix: str | None = None,
               gate: Callable[[pd.DataFrame], tuple[bool, str] | None] | None = None) -> Result | str:
    """:func:`run` then :func:`evaluate`; ``gate`` (the chapter's mechanism check on a unit table)
    is read at each dose, so the page shows whether the knob moved the mechanism; with ``prefix``,
    the numbers are glued for the prose (:func:`glue`). On real corpora (:class:`NotSimulated`)
    the sentence saying why it did not run, glued in place of the result."""
    try:
        long = run(control, knobs, units)
    except NotSimulated as why:
        if prefix:
            from IPython.display import Markdown
            from myst_nb import glue as _glue

            _glue(f"{prefix}_word", "not run", display=False)
            _glue(f"{prefix}_text", Markdown(f"**Not run.** {str(why).capitalize()}."), display=False)
            _glue(f"{prefix}_prediction", Markdown(control.prediction), display=False)
        return str(why)
    result = evaluate(control, long)
    if gate is not None:
        result.gates = {dose: gate(g) for dose, g in result.long.groupby("dose")}
    if prefix:
        glue(prefix, result)
    return result


def _name(names: Mapping[str, str], system: str) -> str:
    """A system's display name; a compound key ``approach:attributes`` (Parry's ``gr:S``) reads
    as the approach's name with its attributes (``GR (S)``; ``none`` dropped)."""
    if system in names or ":" not in system:
        return names.get(system, system)
    head, attrs = system.split(":", 1)
    return names.get(head, head) + ("" if attrs == "none" else f" ({attrs})")


def figure(result: Result | str, names: Mapping[str, str] | None = None):
    """Left: the baseline and the method at each dose (mean over units ± one standard error); right:
    the method's gain per dose with its exact 95 % sign-flip interval, each unit's gains as thin
    lines."""
    import matplotlib.pyplot as plt

    if isinstance(result, str):  # not run (real corpora)
        return None
    names = names or {}
    control, table, s = result.control, result.gains, result.summary
    c, k = control.claim, KNOBS[control.knob]
    lv = levels(control, result.long)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 3.2))
    width = max(s.index) - min(s.index)
    for i, system in enumerate((c.worse, c.better)):
        g = lv[lv.system == system]
        left.errorbar(g.dose.to_numpy(float) + (i - 0.5) * 0.015 * width, g["mean"],
                      yerr=[g["mean"] - g.low, g.high - g["mean"]], fmt="o-", capsize=3, label=_name(names, system))
    left.set_xlabel(f"{control.knob} ({k.unit})")
    left.set_ylabel(f"{c.metric} (points)")
    left.legend(fontsize=8)
    for _, row in table.iterrows():
        right.plot(table.columns, row.to_numpy(float), color="0.8", lw=0.8, zorder=1)
    lo = np.maximum(s.gain - s["CI low"], 0).replace(np.inf, np.nan)
    hi = np.maximum(s["CI high"] - s.gain, 0).replace(np.inf, np.nan)
    right.errorbar(s.index, s.gain, yerr=[lo, hi], fmt="o-", color="C3", capsize=3, zorder=3,
                   label="mean gain, exact 95 % CI")
    right.axhline(0, color="k", lw=0.8)
    right.axvline(k.default, color="0.6", ls=":", lw=1, label="book default")
    right.set_xlabel(f"{control.knob} ({k.unit})")
    right.set_ylabel(f"{_name(names, c.better)} − {_name(names, c.worse)} (points)")
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def glue(prefix: str, result: Result) -> None:
    """Glue ``<prefix>_word``, ``<prefix>_text`` (Markdown), ``<prefix>_prediction``, ``<prefix>_p``,
    ``<prefix>_slope`` and the first and last dose's gains (``_gain_first``, ``_gain_last``)."""
    from IPython.display import Markdown
    from myst_nb import glue as _glue

    _glue(f"{prefix}_word", result.word, display=False)
    _glue(f"{prefix}_text", Markdown(result.text), display=False)
    _glue(f"{prefix}_prediction", Markdown(result.control.prediction), display=False)
    for name, value in (("p", result.trend["p"]), ("slope", result.trend["slope"]),
                        ("gain_first", result.summary.gain.iloc[0]), ("gain_last", result.summary.gain.iloc[-1])):
        _glue(f"{prefix}_{name}", float(value), display=False)


def _pts(x: float) -> str:
    """Signed points, two decimals, without a negative zero."""
    return f"{round(x, 2) + 0.0:+.2f}" if np.isfinite(x) else ("+∞" if x > 0 else "−∞")


def table_view(result: Result | str) -> pd.DataFrame:
    """The per-dose summary as the page shows it (points, two decimals), with the corpus's
    utterances at each dose where the chapter's units say (column ``utterances``); a control that
    did not run, the reason."""
    if isinstance(result, str):
        return pd.DataFrame({"positive control": [result]})
    s = result.summary
    out = pd.DataFrame({"gain [95 % CI]": [f"{_pts(g)} [{_pts(lo)}, {_pts(hi)}]" for g, lo, hi in
                                           zip(s.gain, s["CI low"], s["CI high"])],
                        "units favouring": [f"{f}/{n}" for f, n in zip(s.favour, s.units)],
                        "p": s.p.round(3), "MDE": s.MDE.round(2)}, index=s.index.rename(result.control.knob))
    if "utterances" in result.long:  # selection knobs keep fewer utterances at strong doses: say so
        out.insert(0, "utterances", result.long.groupby("dose").utterances.first().astype(int))
    if result.gates:
        out["mechanism gate"] = [_gate_word(result.gates.get(d)) for d in out.index]
    return out


def table(result: Result | str, name: str, names: Mapping[str, str] | None = None):
    """:func:`table_view` as the page shows it: a numbered, captioned table
    (:func:`sertools.literate.table`) reachable as ``{numref}`` ``name``."""
    from .literate import table as captioned

    if isinstance(result, str):
        return captioned(table_view(result), "Control not run.", name, index=False)
    c, names = result.control, names or {}
    what = (f"{_name(names, c.claim.better)} − {_name(names, c.claim.worse)} "
            f"({c.claim.metric}, points)")
    caption = (f"{(c.label or 'control').capitalize()}: {what} at each dose of {c.knob}, the mean over "
               f"{c.claim.unit}s with its exact 95 % sign-flip interval, the {c.claim.unit}s favouring the "
               f"method, the sign-flip p and the minimum detectable effect (80 % power)"
               + (", and the mechanism gate read at each dose" if result.gates else ""))
    return captioned(table_view(result), caption, name, {"p": 3, "MDE": 2})


def _gate_word(check: tuple[bool, str] | None) -> str:
    if check is None:
        return "not run"
    p = check[1].split("p = ")[-1].split(" ")[0] if "p = " in check[1] else "?"
    return f"{'engaged' if check[0] else 'not engaged'} (p = {p})"


# --------------------------------------------------------------------------- gates
def gate(values: pd.Series | Sequence[float], what: str, unit: str = "unit", threshold: float = 0.0,
         alternative: str = "greater", alpha: float = ALPHA) -> tuple[bool, str]:
    """A pre-registered mechanism check: ``values`` (one per independent unit) lie beyond
    ``threshold`` in the ``alternative`` direction, by an exact one-sided sign-flip test at
    ``alpha``. → (engaged, one sentence saying what was measured), as
    :func:`sertools.claims.evaluate` takes it. Five units in the right direction give p = 1/32."""
    v = pd.Series(values, dtype=float).dropna()
    if len(v) == 0:
        return False, f"{what}: no units to check"
    p = sign_flip_p(v.to_numpy(), alternative, threshold)
    beyond = int((v > threshold).sum() if alternative == "greater" else (v < threshold).sum())
    ok = bool(p < alpha)
    side = ">" if alternative == "greater" else "<"
    return ok, (f"{what}: mean {v.mean():+.2f} over {len(v)} {unit}s, {beyond} of {len(v)} {side} {threshold:g}, "
                f"one-sided exact p = {p:.3f} → mechanism {'engaged' if ok else 'not engaged'}")


def glue_gate(prefix: str, check: tuple[bool, str] | None) -> None:
    """Glue ``<prefix>_gate`` (the check's sentence) and ``<prefix>_gate_word`` (engaged / not
    engaged / not run) for the verdict's prose."""
    from myst_nb import glue

    glue(f"{prefix}_gate", check[1] if check else "not run (a compared system is missing)", display=False)
    glue(f"{prefix}_gate_word", "not run" if check is None else "engaged" if check[0] else "not engaged",
         display=False)


def gate_table(checks: Mapping[str, tuple[bool, str]]) -> pd.DataFrame:
    """The gates as the page shows them: claim → engaged, what was measured."""
    return pd.DataFrame([{"claim": k, "engaged": "yes" if ok else "no", "check": text} for k, (ok, text) in
                         checks.items()]).set_index("claim")
