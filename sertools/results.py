"""Resumable experiments and provenance-stamped result tables.

An :class:`Experiment` lives in ``<results>/<chapter>/<config hash>/``. The config hash covers
the chapter's parameters, the corpus's identity, the split hash and the sertools source, so
results computed under another configuration (or other code) are never reused. Each unit of
work (a system × fold × seed, say) is stored as it finishes; an interrupted chapter resumes
from the finished units.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .paths import PROJECT_ROOT, results_dir
from .provenance import provenance_columns, stable_hash


def code_hash() -> str:
    """Hash of the ``sertools`` sources: a code change invalidates stored results."""
    h = hashlib.sha256()
    for p in sorted((PROJECT_ROOT / "sertools").rglob("*.py")):
        h.update(p.relative_to(PROJECT_ROOT).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


class Experiment:
    """A chapter run's result store: units, checkpoints, predictions, one results table."""

    def __init__(self, chapter: str, params_hash: str, corpus_id: str, split_hash: str,
                 root: Path | None = None, extra: dict | None = None):
        self.chapter, self.split_hash = chapter, split_hash
        self.config_hash = stable_hash({"params": params_hash, "corpus": corpus_id, "split": split_hash,
                                        "code": code_hash(), **(extra or {})})
        self.dir = (root or results_dir()) / chapter / self.config_hash
        (self.dir / "units").mkdir(parents=True, exist_ok=True)

    def _unit_id(self, key: dict) -> str:
        return stable_hash(key)

    def checkpoint(self, key: dict, name: str = "model") -> Path:
        return self.dir / "ckpt" / f"{self._unit_id(key)}-{name}.pt"

    def unit(self, key: dict[str, Any], fn: Callable[[], tuple[dict, dict[str, np.ndarray]] | dict],
             seed: int | str | None = None) -> tuple[dict, dict[str, np.ndarray]]:
        """Run ``fn`` once per ``key`` (and config); later calls load the stored row and arrays."""
        uid = self._unit_id(key)
        row_path, arr_path = self.dir / "units" / f"{uid}.json", self.dir / "units" / f"{uid}.npz"
        if row_path.exists():
            arrays = dict(np.load(arr_path, allow_pickle=False)) if arr_path.exists() else {}
            return json.loads(row_path.read_text()), arrays
        out = fn()
        row, arrays = out if isinstance(out, tuple) else (out, {})
        row = {**key, **row, **provenance_columns(self.config_hash, self.split_hash,
                                                   key.get("seed", "") if seed is None else seed)}
        if arrays:
            tmp = arr_path.with_name(arr_path.stem + ".tmp.npz")
            np.savez_compressed(tmp, **arrays)
            tmp.replace(arr_path)
        tmp = row_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(row, default=_jsonable))
        tmp.replace(row_path)  # the row is written last: its presence means the unit is complete
        return row, arrays

    def table(self) -> pd.DataFrame:
        """All finished units of this configuration, one row each."""
        rows = [json.loads(p.read_text()) for p in sorted((self.dir / "units").glob("*.json"))]
        return pd.DataFrame(rows)

    def write(self, df: pd.DataFrame | None = None, name: str = "results.csv") -> Path:
        """Write the machine-readable results table (for the scoreboard and sweeps)."""
        df = self.table() if df is None else df
        path = self.dir / name
        df.to_csv(path, index=False)
        return path


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def paper_vs_ours(paper: pd.DataFrame, ours: pd.DataFrame, corpus: str, metrics: tuple[str, ...] = ("ua", "wa"),
                  provenance: dict[str, str] | None = None, scale: float = 100.0) -> pd.DataFrame:
    """Side by side: for each row key, the paper's number and ours as ``mean ± std``.

    ``paper`` holds the paper's values (percent) in columns named like ``metrics``; ``ours``
    holds ``<metric>_mean`` / ``<metric>_std`` (fractions) as :func:`sertools.metrics.aggregate`
    returns them. The corpus that produced "ours" is named in the column header, and the
    provenance (config hash, split hash, seeds) is attached as columns.
    """
    out = pd.DataFrame(index=paper.index.union(ours.index, sort=False))
    for m in metrics:
        if m in paper:
            out[f"{m.upper()} paper"] = paper[m].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}")
        if f"{m}_mean" in ours:
            mean, std = ours[f"{m}_mean"] * scale, ours[f"{m}_std"] * scale
            out[f"{m.upper()} ours ({corpus})"] = [
                "–" if pd.isna(a) else f"{a:.2f} ± {b:.2f}" for a, b in zip(mean.reindex(out.index), std.reindex(out.index))]
    if "seeds" in ours:
        out["seeds"] = ours["seeds"].reindex(out.index)
    for k, v in (provenance or {}).items():
        out[k] = v
    return out.fillna("–")
