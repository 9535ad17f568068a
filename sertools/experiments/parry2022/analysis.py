"""Parry et al. (2022): a run's results: every unit over CPU cores (``run``), the results tables beside the
paper's (``tables``), figures and the sweep summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import reference
from ...config import Params
from ..common import ChapterResults, gather, mean_std
from .registration import ALL_SETS, CHANCE, HEADLINE, OOD, PAPER, PAPER_IN_DOMAIN, headline_seeds, paper_table
from .units import Data, grid, inputs, reference_job, unit_job


@dataclass
class Results(ChapterResults):
    """``units``: one row per (approach, attribute set, split) on the splits of ``seeds``:
    ``system`` (approach:attributes, ``gr:S``), ``approach``, ``attributes``, ``split`` = ``seed``,
    ``ua`` (in domain, = ``ua_in-domain``), ``ua_tess``, ``ua_crema-d``, ``ua_ood``,
    ``corpus_probe``; ``reference``: the signal reference on those splits."""

    all_units: pd.DataFrame  # also the headline pair's extra splits (`headline_splits`)
    all_reference: pd.DataFrame  # the reference on every split the baseline trained on


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """Every unit of the grid on every split, and the signal reference (not for a positive
    ``control``'s run, which compares two networks and leaves the results table alone)."""
    from ...results import stored_units
    from ..common import run_units

    if P.results_from:
        units, arrays = stored_units(P.results_from, "parry2022", ("approach", "attributes", "seed"), P)
        return _results(units[units.approach != reference.NAME], arrays, units[units.approach == reference.NAME], P)
    inputs(pd.concat([d.pool, d.ood]))                  # features once, here (the log-Mel cache serves both scalings)
    if not control:
        reference.egemaps(pd.concat([d.pool, d.ood]).path)
    jobs = [(P.as_dict(), a, s, seed) for seed in P.seeds for a, s in grid(P)]
    jobs += [(P.as_dict(), a, s, seed) for seed in headline_seeds(P) for a, s in HEADLINE]
    refs = [] if control else [(P.as_dict(), seed) for seed in [*P.seeds, *headline_seeds(P)]]
    outputs, ref_outputs = run_units(unit_job, jobs, reference_job, refs, workers)
    units, arrays = gather(outputs, [j[1:] for j in jobs])
    if control:
        return _results(units, arrays, pd.DataFrame(columns=["split"]), P)
    ref = pd.DataFrame([r for rows, _ in ref_outputs for r in rows])
    d.experiment.write(pd.concat([units, ref], ignore_index=True))
    return _results(units, arrays, ref, P)


def _results(units: pd.DataFrame, arrays: dict, ref: pd.DataFrame, P: Params) -> Results:
    """Tables and figures see the splits every system trained on; the claims, and the baseline
    against the signal reference, see every split."""
    units = _derived(units)
    common = units.split.isin(P.seeds)
    ref_common = ref[ref.split.isin(P.seeds)].reset_index(drop=True) if len(ref) else ref
    return Results(units[common].reset_index(drop=True), {k: v for k, v in arrays.items() if k[-1] in P.seeds},
                   ref_common, units, ref)


def baseline_against_reference(res: Results, test: str = "in-domain") -> dict[str, float]:
    """The single-task baseline and the signal reference on the same splits (every split the
    baseline trained on: the headline's extra splits too), UA % → ``{"baseline", "reference",
    "splits"}``."""
    base = res.all_units[res.all_units.approach == "baseline"].set_index("split")[f"ua_{test}"]
    ref = res.all_reference.set_index("split")[f"ua_{test}"]
    both = sorted(set(base.index) & set(ref.index))
    return {"baseline": 100 * float(base.loc[both].mean()), "reference": 100 * float(ref.loc[both].mean()),
            "splits": float(len(both))}


def _derived(units: pd.DataFrame) -> pd.DataFrame:
    return units.assign(family=np.where(units.approach == "baseline", "baseline", "with attributes"))


def ua_table(units: pd.DataFrame, test: str, sets: list[str]) -> pd.DataFrame:
    """Mean ± std over splits of UA (%) on ``test``, approaches × attribute sets, with the baseline."""
    g = units.groupby(["approach", "attributes"])[f"ua_{test}"]
    cell = mean_std(g.mean() * 100, g.std(ddof=1) * 100)
    t = cell.unstack("attributes")
    return t.reindex(index=[a for a in ("baseline", "mtl", "gr", "ad") if a in t.index],
                     columns=[s for s in ["none", *sets] if s in t.columns])


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results tables, the paper's beside ours (column level ``paper`` / ``ours``; rows the
    attribute sets that ran, columns the approaches): ``tess`` and ``crema-d`` (Tables 2-3, with
    chance and the signal reference under ``none``) and ``in-domain`` (the few numbers of §5)."""
    sets = [s for s in ALL_SETS if s in set(res.units.attributes)]
    out = {}
    for test in OOD:
        ours = ua_table(res.units, test, sets)
        ref = res.reference[f"ua_{test}"].mean() if len(res.reference) else np.nan
        ours.loc[reference.NAME, "none"] = f"{100 * ref:.2f}"
        ours.loc["chance", "none"] = f"{100 * CHANCE:.2f}"
        paper = paper_table(test).reindex(index=ours.index, columns=ours.columns)
        out[test] = pd.concat({"paper": paper, "ours": ours}, axis=0).T
    ours = ua_table(res.units, "in-domain", sets)
    out["in-domain"] = pd.concat({"paper": PAPER_IN_DOMAIN.reindex(index=ours.index, columns=ours.columns),
                                  "ours": ours}).T
    return out


def consistency(units: pd.DataFrame) -> pd.DataFrame:
    """Per approach, attribute set and out-of-domain corpus: the difference to the baseline on
    the same split (points) with its 95 % t interval over splits (descriptive: not Holm-corrected)."""
    from ...claims import t_interval

    base = units[units.approach == "baseline"].set_index("split")
    rows = []
    for (a, s), g in units[units.approach != "baseline"].groupby(["approach", "attributes"]):
        for test in OOD:
            d = (g.set_index("split")[f"ua_{test}"] - base[f"ua_{test}"]).dropna() * 100
            lo, hi = t_interval(d)
            rows.append({"approach": a, "attributes": s, "test": test, "Δ UA": d.mean(), "CI low": lo, "CI high": hi,
                         "paper Δ": (PAPER.set_index("system").loc[f"{a}:{s}", f"ua_{test}"] - PAPER.set_index(
                             "system").loc["baseline:none", f"ua_{test}"]) * 100 if f"{a}:{s}" in set(PAPER.system)
                         else np.nan})
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: UA per approach and attribute set on each test set."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["approach", "attributes"])[["ua_in-domain", "ua_tess", "ua_crema-d"]].mean().round(4)
