"""How a chapter shows its claims: the pre-registration table, the compact verdict table, the
folded full table and one sentence per claim, all built from :func:`sertools.claims.evaluate`."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .claims import Claim, key, paper_effect


def _fmt(x: float, signed: bool = True) -> str:
    if not np.isfinite(x):
        return "∞" if x == np.inf else "−∞" if x == -np.inf else "–"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def _paper_text(row: pd.Series) -> str:
    if not np.isfinite(row["paper effect"]):
        return "–"
    if row["paper low"] == row["paper high"]:
        return _fmt(row["paper effect"])
    return f"{_fmt(row['paper effect'])} [{_fmt(row['paper low'])}, {_fmt(row['paper high'])}]"


def sentence(row: pd.Series) -> str:
    """One sentence for the prose, built from a row of :func:`evaluate`."""
    where = ", ".join(str(row[k]) for k in ("corpus", "task") if k in row and isinstance(row[k], str))
    head = f"**{row['claim']}**" + (f" ({where})" if where else "")
    if not np.isfinite(row["p"]):
        return f"{head}: *{row.verdict}* — {row.note}."
    unit = row.get("effect unit", " points")
    ci = (f"{100 * row['CI level']:.1f} % CI [{_fmt(row['CI low'])}, {_fmt(row['CI high'])}] at its Holm level, "
          if not (np.isnan(row["CI low"]) and np.isnan(row["CI high"])) else "")
    text = (f"{head}: *{row.verdict}* — {row.comparison}: {_fmt(row.ours)}{unit} (paper: {_paper_text(row)}), {ci}"
            f"{row.favour} of {row.units} {row.unit}s in the claimed direction, p = {row.p:.3f} "
            f"(Holm {row['p (Holm)']:.3f}), MDE {_fmt(row.MDE, False)} at α/{row.tests}")
    return text + (f"; {row.note}." if row.note else ".")


def table_view(result: pd.DataFrame) -> pd.DataFrame:
    """The compact table a page shows: claim, paper, ours [interval], the level of its Holm step,
    units in the claimed direction / units, MDE, verdict."""
    keys = [k for k in ("corpus", "task") if k in result]
    out = result[["claim", *keys]].copy()
    out["paper"] = result.apply(_paper_text, axis=1)
    out["ours [CI], level"] = [f"{_fmt(r.ours)} [{_fmt(r['CI low'])}, {_fmt(r['CI high'])}], {100 * r['CI level']:.1f} %"
                               if np.isfinite(r["CI low"]) or np.isinf(r["CI low"]) else _fmt(r.ours)
                               for _, r in result.iterrows()]
    out["units"] = [f"{r.favour}/{r.units} {r.unit}s" for _, r in result.iterrows()]
    out["MDE"] = [_fmt(x, False) for x in result.MDE]
    out["verdict"] = result.verdict
    return out


def registered(claims: Sequence[Claim], paper: pd.DataFrame | Mapping[str, float],
               paper_spread: Mapping[str, tuple[float, int | None]] | None = None) -> pd.DataFrame:
    """The pre-registration table a chapter shows before its results: each claim, the paper's
    sentence, the comparison, its kind, unit and the paper's effect (with the paper's interval)."""
    rows = []
    for c in claims:
        pe = paper_effect(paper, c, paper_spread)
        row = pd.Series({"paper effect": pe.mean, "paper low": pe.low, "paper high": pe.high})
        rows.append({"claim": key(c), "the paper says": c.statement, "compared": c.comparison, "kind": c.kind,
                     "unit": c.unit, "paper's effect": _paper_text(row), "paper's spread from": pe.basis})
    return pd.DataFrame(rows).set_index("claim")


def full_view(result: pd.DataFrame) -> pd.DataFrame:
    """Every column of :func:`evaluate` a reviewer needs, rounded (the page folds it)."""
    keys = [k for k in ("corpus", "task") if k in result]
    cols = ["claim", *keys, "comparison", "kind", "paper effect", "paper low", "paper high", "paper basis", "ours",
            "CI level", "CI low", "CI high", "CI95 low", "CI95 high", "units", "favour", "unit", "sd", "MDE level",
            "MDE", "reachable level", "p", "p (Holm)", "p below", "p below (Holm)", "verdict", "note"]
    four = {"CI level": 4, "MDE level": 4, "reachable level": 4, "p": 4, "p (Holm)": 4, "p below": 4, "p below (Holm)": 4}
    return result[[c for c in cols if c in result]].round({c: four.get(c, 2) for c in cols})
