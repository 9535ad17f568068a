"""Fan et al. (2020): a run's results: every unit over CPU cores (``run``), the results tables beside the
paper's (``tables``), figures and the sweep summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, reference
from ...config import Params
from ...metrics import confusion
from ...models.adarl import SYSTEMS
from ..common import ChapterResults, frame_rows, mean_std, paper_beside_ours, run_grid
from .registration import CHANCE, CLASSES, LABELS, NAMES, PAPER_TABLE3
from .units import Data, extractor, reference_job, unit_job


@dataclass
class Results(ChapterResults):
    """``units``: one row per system × fold × seed (the test speaker's ``ua``, ``wa``, recall per
    class, ``log_gender_separation``, ADARL's ``domain_acc``); ``arrays``; ``reference``."""


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """Every (system, fold, seed) unit, spread over CPU cores, and the signal reference (not for
    a positive ``control``'s run, which compares two networks and leaves the results table alone)."""
    from ...results import stored_units

    if P.results_from:
        units, arrays = stored_units(P.results_from, "fan2020", ("system", "fold", "seed"), P)
        return Results(units[units.system != reference.NAME], arrays, units[units.system == reference.NAME])
    features.extract(list(d.utts.path), extractor(P))
    if not control:
        reference.egemaps(d.utts.path)
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(d.folds)[: P.folds] for s in P.systems]
    refs = [(P.as_dict(), f.name) for f in list(d.folds)[: P.folds]]
    return Results(*run_grid(unit_job, jobs, reference_job, refs, d.experiment, workers, control))


def mean_confusion(arrays: dict, system: str) -> pd.DataFrame:
    """Fig. 4: the confusion matrix of every fold (and seed), averaged."""
    mats = [confusion(a["test_y"], a["test_pred"], LABELS).to_numpy()
            for (s, _, _), a in arrays.items() if s == system]
    m = np.mean(mats, axis=0)
    return pd.DataFrame(m, index=pd.Index(CLASSES, name="true"), columns=pd.Index(CLASSES, name="predicted"))


def figure5(arrays: dict, systems: list[str], fold: str, seed: int):
    """t-SNE of the features before the last layer: the held-out speaker and the session partner
    (a training speaker of the other gender), by emotion and by gender."""
    import matplotlib.pyplot as plt

    from ...plots import scatter_by, tsne

    fig, axes = plt.subplots(max(len(systems), 1), 2, figsize=(8.4, 3.6 * max(len(systems), 1)), squeeze=False)
    for row_axes, s in zip(axes, systems):
        a = arrays[(s, fold, seed)]
        xy = tsne(np.concatenate([a["test_emb"], a["partner_emb"]]), seed)
        y = np.concatenate([a["test_y"], a["partner_y"]])
        who = [f"{g} (held out)" for g in a["test_gender"]] + [f"{g} (partner, trained on)" for g in a["partner_gender"]]
        scatter_by(xy, [CLASSES[i] for i in y], f"{NAMES[s]}: emotion", row_axes[0], CLASSES)
        scatter_by(xy, who, f"{NAMES[s]}: gender", row_axes[1])
    fig.tight_layout()
    return fig


def table3(units: pd.DataFrame) -> pd.DataFrame:
    """UA and WA (%): mean over test speakers per seed, then mean ± std over seeds."""
    per_seed = units.groupby(["system", "seed"])[["wa", "ua"]].mean() * 100
    g = per_seed.groupby("system")
    out = mean_std(g.mean(), g.std(ddof=1))
    return out.rename(columns={"wa": "WA", "ua": "UA"})


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results table, the paper's beside ours: ``table3`` (the ablation), UA and WA (%) of the
    systems that ran, with chance and the signal reference."""
    order = [s for s in SYSTEMS if s in set(res.units.system)]
    ref_ua = res.reference.ua.mean() if len(res.reference) else np.nan
    ours = pd.concat([table3(res.units).loc[order], frame_rows(ref_ua, CHANCE, "UA")])
    return {"table3": paper_beside_ours(PAPER_TABLE3, ours)}


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 3 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["ua", "wa", "recall_happy"]].mean().round(4)
