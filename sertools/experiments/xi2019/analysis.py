"""Xi et al. (2019): a run's results: every unit over CPU cores (``run``), the results tables beside the
paper's (``tables``), figures and the sweep summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, reference
from ...config import Params
from ...models.resnet_adapters import METHODS
from ..common import ChapterResults, folds_to_run, frame_rows, gather, load_corpus, paper_beside_ours
from .registration import CLASSES, MORE_SPEAKERS, PAPER_TABLE2
from .units import Data, extractor, pretrain_job, reference_job, unit_job


@dataclass
class Results(ChapterResults):
    """``units``: one row per corpus × system (method) × fold × seed × pretraining size × test
    speaker (``ua``, ``wa``, ``trainable_params``); ``arrays``; ``reference``; the first
    ``pretrain_speakers`` value (``main_speakers``)."""

    main_speakers: int

    @property
    def main(self) -> pd.DataFrame:
        """The main setting's units, the residual adapter after the other pretraining sizes
        renamed :data:`MORE_SPEAKERS`."""
        u = self.units.copy()
        plain, adapter = u.system == "plain", u.system == "residual_adapter"
        more = adapter & (u.pretrain_speakers != self.main_speakers)
        u.loc[more, "system"] = MORE_SPEAKERS
        return u[(u.pretrain_speakers == self.main_speakers) | more | plain]


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """Pretraining first (shared by the transfer methods), then every emotion unit. The first
    ``pretrain_speakers`` value is the main setting; the others are run for the residual adapter.
    A positive ``control``'s run computes no signal reference and leaves the results tables alone."""
    from ...parallel import map_units
    from ...results import stored_units
    from ..common import run_units

    main, *extra = P.pretrain_speakers
    if P.results_from:
        units = pd.concat([stored_units(P.results_from, f"xi2019-{n}", ("system",), P)[0] for n in P.corpora])
        return Results(units[units.system != reference.NAME], {}, units[units.system == reference.NAME], main)
    for part in d.parts.values():  # features once, here
        features.extract(list(part.utts.path), extractor(P))
        if not control:
            reference.egemaps(part.utts.path)
    if set(P.systems) - {"plain"}:
        vox = load_corpus("voxceleb", P)
        features.extract(list(vox.utterances.path), extractor(P))
    needs = {(main, m in ("residual_adapter", "adapter_only")) for m in P.systems if m != "plain"}
    needs |= {(n, True) for n in extra if "residual_adapter" in P.systems}
    # the largest pretraining sets first, so that no worker waits alone for a long one at the end
    map_units(pretrain_job, [(P.as_dict(), n, a, s) for n, a in sorted(needs, reverse=True) for s in P.seeds], workers,
              desc="xi2019 pretraining")
    jobs = []
    for name in P.corpora:
        for s in P.seeds:
            for f in folds_to_run(P, d[name].folds):
                jobs += [(P.as_dict(), name, m, f.name, s, main if m != "plain" else 0) for m in P.systems]
                if "residual_adapter" in P.systems:
                    jobs += [(P.as_dict(), name, "residual_adapter", f.name, s, n) for n in extra]
    refs = [] if control else [(P.as_dict(), n) for n in P.corpora]
    outputs, ref_outputs = run_units(unit_job, jobs, reference_job, refs, workers)
    units, arrays = gather(outputs, [j[1:] for j in jobs])
    if control:
        return Results(units, arrays, pd.DataFrame(), main)
    ref = pd.concat([pd.DataFrame(rows) for rows, _ in ref_outputs], ignore_index=True)
    for name in P.corpora:
        d[name].experiment.write(pd.concat([units[units.corpus == name], ref[ref.corpus == name]]))
    return Results(units, arrays, ref, main)


def table2(res: Results) -> pd.DataFrame:
    """UA and WA (%) ± std over runs (each run: the mean over test speakers)."""
    r = res.main[res.main.system.isin(METHODS)]
    per_run = r.groupby(["corpus", "system", "seed"])[["ua", "wa"]].mean() * 100
    g = per_run.groupby(["corpus", "system"])
    t = g.mean().round(2).astype(str) + " (± " + g.std(ddof=1).fillna(0).round(2).astype(str) + ")"
    t = t.rename(columns={"ua": "UA", "wa": "WA"})
    return t.unstack("corpus").swaplevel(axis=1).sort_index(axis=1)


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results tables, the paper's beside ours: ``table2/<corpus>``, UA and WA (%) of the
    systems that ran (main pretraining size), with chance and the signal reference."""
    ours = table2(res)
    ref = res.reference.groupby("corpus").ua.mean() if len(res.reference) else pd.Series(dtype=float)
    systems = [m for m in METHODS if m in set(res.units.system)]
    out = {}
    for name in [c for c in CLASSES if c in set(res.units.corpus)]:
        o = pd.concat([ours[name].reindex(systems), frame_rows(ref.get(name, np.nan), 1 / len(CLASSES[name]), "UA")])
        out[f"table2/{name}"] = paper_beside_ours(PAPER_TABLE2[name], o)
    return out


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: UA and WA per corpus, system and number of pretraining speakers."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["corpus", "system", "pretrain_speakers"])[["ua", "wa"]].mean().round(4)
