"""Li et al. (2020): a run's results: every unit over CPU cores (``run``), the results tables beside the
paper's (``tables``), figures and the sweep summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import reference
from ...config import Params
from ...models.menan import SYSTEMS
from ..common import ChapterResults, frame_rows, mean_std, run_grid
from .registration import CHANCE, EMOTIONS, NAMES, PAPER_TABLE2, PAPER_TABLE3
from .units import Data, inputs, reference_job, unit_job


@dataclass
class Results(ChapterResults):
    """A run's results: ``units`` (one row per system × fold × seed, the test speaker's scores:
    ``ua``, ``wa``, ``val_ua``, ``ua_delta``, ``speaker_probe``, ``mosei_acc``), ``arrays``
    (predictions, embeddings, learning curves per unit) and the signal reference."""


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """All (system, fold, seed) units, spread over CPU cores, plus the signal reference (not for
    a positive ``control``'s run, which compares two networks and leaves the results table alone)."""
    from ...results import stored_units

    if P.results_from:
        units, arrays = stored_units(P.results_from, "li2020", ("system", "fold", "seed"), P)
        ref = units[units.system == reference.NAME]
        return Results(units[units.system != reference.NAME], arrays, ref)
    inputs(d.corpus, d.utts.index, P)                          # extract (or read) features once, here
    if not control:
        reference.egemaps(d.utts.path)
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(d.folds)[: P.folds] for s in P.systems]
    refs = [(P.as_dict(), f.name) for f in list(d.folds)[: P.folds]]
    return Results(*run_grid(unit_job, jobs, reference_job, refs, d.experiment, workers, control))


def table2(units: pd.DataFrame) -> pd.DataFrame:
    """WA and UA on validation and test and their Δ: mean over folds, then mean ± std over seeds."""
    u = units.assign(val_wa=np.nan) if "val_wa" not in units else units
    per_seed = u.groupby(["system", "seed"])[["val_ua", "ua"]].mean() * 100
    per_seed["ua_delta"] = per_seed.ua - per_seed.val_ua
    g = per_seed.groupby("system")
    return mean_std(g.mean(), g.std(ddof=1))


TABLE2_COLUMNS = {"val_ua": "UA val", "ua": "UA test", "ua_delta": "UA Δ"}


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results tables, the paper's beside ours (column level ``paper`` / ``ours``, rows the
    systems that ran): ``table2``, UA (%) on the validation and the test speaker and Δ (with chance
    and the signal reference); ``table3``, accuracy (%) on the MOSEI-like corpus (mean, min, max)."""
    systems = [s for s in SYSTEMS if s in set(res.units.system)]
    cols = list(TABLE2_COLUMNS.values())
    ours = table2(res.units).reindex(systems).rename(columns=TABLE2_COLUMNS)[cols]
    ref_ua = res.reference.ua.mean() if len(res.reference) else np.nan
    ours = pd.concat([ours, frame_rows(ref_ua, CHANCE, "UA test")])
    t2 = pd.concat({"paper": PAPER_TABLE2.reindex(ours.index)[cols], "ours": ours}, axis=1)
    mosei = res.units.groupby("system").mosei_acc.agg(["mean", "min", "max"]) * 100
    t3 = pd.concat({"paper": PAPER_TABLE3.reindex(systems), "ours": mosei.reindex(systems)}, axis=1)
    return {"table2": t2, "table3": t3}


def figure2(arrays: dict, systems: list[str], fold: str, seed: int):
    """t-SNE of the unseen speakers' embeddings (validation + test speaker), by emotion and speaker."""
    import matplotlib.pyplot as plt

    from ...plots import scatter_by, tsne

    if not systems:
        return None
    fig, axes = plt.subplots(len(systems), 2, figsize=(8.4, 3.6 * len(systems)), squeeze=False)
    for row, system in zip(axes, systems):
        a = arrays[(system, fold, seed)]
        emb = np.concatenate([a["val_emb"], a["test_emb"]])
        xy = tsne(emb, seed)
        y = np.concatenate([a["val_y"], a["test_y"]])
        spk = np.concatenate([a["val_spk"], a["test_spk"]])
        scatter_by(xy, [EMOTIONS[i] for i in y], f"{NAMES[system]}: emotion", row[0], EMOTIONS)
        scatter_by(xy, spk, f"{NAMES[system]}: speaker", row[1])
    fig.tight_layout()
    return fig


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 2 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["val_ua", "ua", "speaker_probe", "mosei_acc"]].mean().round(4)
