"""Chapter 7: performance and status of this build."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from ..config import Param, Params, resolve_parameters

PARAMS = {"utterances": Param(None, "utterances used by the feature and training measurements")}
PROFILES = {"smoke": {"seeds": [0], "utterances": 16}, "book": {"seeds": [0], "utterances": 64},
            "full": {"seeds": [0], "utterances": 400}}
SMOKE_CHAPTER_S, BOOK_CHAPTER_S, BOOK_TOTAL_S, SMOKE_TOTAL_S = 90, 5 * 60, 24 * 60, 10 * 60


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("performance", namespace, PARAMS, PROFILES)


PROFILE_COLUMNS = {"wall s": "wall", "kernel start s": "kernel start", "imports s": "imports (1st cell)",
                   "corpus s": "corpora", "features s": "features", "units s": "units (pool)",
                   "reference s": "reference (kernel)", "tables and figures s": "tables, figures",
                   "worker training s": "training", "worker evaluation s": "evaluation",
                   "worker features s": "features ", "worker unit setup s": "probes, setup",
                   "units computed": "computed", "units reused": "reused"}


def profile_table(profiles: pd.DataFrame) -> pd.DataFrame:
    """Where each chapter's time went (:func:`sertools.profiling.chapter_profiles`): the kernel's
    wall-clock phases (seconds), then the units' phases summed over the worker processes (worker
    seconds: two workers on two cores give up to twice the pool's wall time), then the units
    computed and read back."""
    if profiles.empty:
        return profiles
    t = profiles.set_index(["build", "chapter"])[list(PROFILE_COLUMNS)].rename(columns=PROFILE_COLUMNS)
    groups = ["kernel (wall s)"] * 8 + ["units' phases (worker s)"] * 4 + ["units"] * 2
    t.columns = pd.MultiIndex.from_arrays([groups, list(t.columns)])
    return t


def budget_table(t: pd.DataFrame) -> pd.DataFrame:
    """Recorded chapter times against the budgets (paper chapters: 90 s smoke, 5 min book; all
    chapters: 10 min smoke, 24 min book). A chapter that ran beside others (``alongside`` > 1)
    shared the cores, so only the wall time of all chapters is held against a budget then."""
    t = t[~t.chapter.str.contains("performance")].copy()
    if "alongside" not in t:
        t["alongside"] = 1
    whole = t[t.chapter == "all chapters"]
    t = t[t.chapter != "all chapters"]
    limit = {"smoke": SMOKE_CHAPTER_S, "book": BOOK_CHAPTER_S}
    total_limit = {"smoke": SMOKE_TOTAL_S, "book": BOOK_TOTAL_S}
    t["budget s"] = t.profile.map(limit).where(t.alongside == 1)
    t["within budget"] = (t.seconds <= t["budget s"]).where(t["budget s"].notna())
    rows = []
    for p, g in t.groupby("profile"):
        w = whole[whole.profile == p]
        latest_whole = w.when.max() if len(w) else None
        if latest_whole is not None and latest_whole >= g.when.max():  # the chapters' latest run was one run of all
            s, alongside, when = float(w.seconds.iloc[-1]), int(w.alongside.iloc[-1]), latest_whole
        else:
            s, alongside, when = float(g.seconds.sum()), 1, g.when.max()
        rows.append({"chapter": "whole book", "profile": p, "seconds": s, "alongside": alongside,
                     "budget s": total_limit.get(p), "within budget": s <= total_limit.get(p, float("inf")),
                     "when": when})
    return pd.concat([t[["chapter", "profile", "seconds", "alongside", "budget s", "within budget", "when"]],
                      pd.DataFrame(rows)], ignore_index=True)
