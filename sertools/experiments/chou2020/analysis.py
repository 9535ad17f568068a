"""Chou & Lee (2020): a run's results: every unit over CPU cores (``run``), the results tables beside the
paper's (``tables``), figures and the sweep summary."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ... import reference
from ...config import Params
from ..common import ChapterResults, frame_rows, gather
from .registration import CHANCE, SYSTEMS, paper_table1_mean, tasks
from .units import Data, reference_job, target_raters, unit_job


@dataclass
class Results(ChapterResults):
    """``units``: one row per corpus × task × fold × rater × seed × system × test speaker (its
    ``ua``, the UAR on the target rater's labels); ``arrays``; ``reference``."""


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """Every unit of the chapter's grid, spread over CPU cores, and the signal reference (not for
    a positive ``control``'s run, which leaves the results tables alone)."""
    from ...results import stored_units
    from ..common import run_units

    if P.results_from:
        units = pd.concat([stored_units(P.results_from, f"chou2020-{n}", ("task",), P)[0] for n in P.corpora])
        return Results(units[units.system.isin(P.systems)], {}, units[units.system == reference.NAME])
    jobs, refs = [], []
    for name in P.corpora:
        jobs += [(P.as_dict(), name, task, fold.name, rater, seed) for task in tasks(P) for seed in P.seeds
                 for fold in d.folds[name] for rater in target_raters(d.corpora[name], P)]
        if not control:
            refs += [(P.as_dict(), name, task, rater) for task in tasks(P) for rater in target_raters(d.corpora[name], P)]
    outputs, ref_outputs = run_units(unit_job, jobs, reference_job, refs, workers)
    units, arrays = gather(outputs, [j[1:] for j in jobs])
    ref = pd.DataFrame([r for rows, _ in ref_outputs for r in rows])
    if not control:
        for name in P.corpora:
            d.experiments[name].write(pd.concat([units[units.corpus == name], ref[ref.corpus == name]]))
    return Results(units[units.system.isin(P.systems)].reset_index(drop=True), arrays, ref)


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results tables, the paper's beside ours: ``table1/<corpus>/<task>``, UAR (%) per system,
    the paper's mean over its four raters beside ours (mean ± std over seeds of the mean over test
    speakers and target raters), with chance and the signal reference, and the rows' provenance."""
    from ...results import paper_vs_ours

    out = {}
    for (name, task), g in res.units.groupby(["corpus", "task"]):
        per_seed = g.groupby(["system", "seed"]).ua.mean().to_frame("ua")
        stats = per_seed.groupby("system").ua.agg(["mean", "std"]).fillna(0)
        ours = pd.DataFrame({"ua_mean": stats["mean"], "ua_std": stats["std"],
                             "seeds": per_seed.groupby("system").size()})
        table = paper_vs_ours(paper_table1_mean(name, task).to_frame("ua"),
                              ours.reindex([s for s in SYSTEMS if s in ours.index]), name, metrics=("ua",),
                              provenance={"config hash": g.config_hash.iloc[0], "split hash": g.split_hash.iloc[0],
                                          "seeds": str(sorted({int(s) for s in g.seed}))})
        ref = res.reference[(res.reference.corpus == name) & (res.reference.task == task)] if len(res.reference) \
            else pd.DataFrame(columns=["ua"])
        out[f"table1/{name}/{task}"] = pd.concat([table, frame_rows(ref.ua.mean(), CHANCE, table.columns[1])])
    return out


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: UA per corpus, task and system (mean over raters, folds and seeds)."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return (rows.groupby(cols + ["corpus", "task", "system"]).ua.mean().unstack("system") * 100).round(2)
