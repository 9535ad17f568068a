"""Chapter 7: performance and status of this build."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from ..config import Param, Params, resolve_parameters

PARAMS = {"utterances": Param(None, "utterances used by the feature and training measurements")}
PROFILES = {"smoke": {"seeds": [0], "utterances": 16}, "book": {"seeds": [0], "utterances": 96},
            "full": {"seeds": [0], "utterances": 400}}
SMOKE_CHAPTER_S, BOOK_CHAPTER_S, BOOK_TOTAL_S, SMOKE_TOTAL_S = 90, 5 * 60, 24 * 60, 10 * 60


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("performance", namespace, PARAMS, PROFILES)


def budget_table(t: pd.DataFrame) -> pd.DataFrame:
    """Recorded chapter times against the budgets (paper chapters: 90 s smoke, 5 min book)."""
    t = t[~t.chapter.str.contains("performance")].copy()
    limit = {"smoke": SMOKE_CHAPTER_S, "book": BOOK_CHAPTER_S}
    t["budget s"] = t.profile.map(limit)
    t["within budget"] = t.seconds <= t["budget s"]
    totals = t.groupby("profile").seconds.sum()
    rows = [{"chapter": "whole book", "profile": p, "seconds": s,
             "budget s": {"smoke": SMOKE_TOTAL_S, "book": BOOK_TOTAL_S}.get(p),
             "within budget": s <= {"smoke": SMOKE_TOTAL_S, "book": BOOK_TOTAL_S}.get(p, float("inf"))}
            for p, s in totals.items()]
    return pd.concat([t[["chapter", "profile", "seconds", "budget s", "within budget", "when"]], pd.DataFrame(rows)],
                     ignore_index=True)
