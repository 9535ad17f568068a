"""Resumable experiments and provenance-stamped result tables.

An :class:`Experiment` lives in ``<results>/<chapter>/<config hash>/``. The config hash covers
the chapter's parameters, the corpus's identity, the split hash and the sertools source, so
results computed under another configuration (or other code) are never reused. Each unit of
work (a system × fold × seed, say) is stored as it finishes (atomically, see
:mod:`sertools.storage`); an interrupted chapter resumes from the finished units, a corrupt unit
is moved aside and recomputed, and two runs on one state folder share the units (one lock each).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .paths import file_lock, results_dir
from .provenance import provenance_columns, stable_hash
from .storage import CORRUPT, CorruptResultWarning, StateError, atomic_write, makedirs, read_or_quarantine, write_text
from .storage import quarantine as _quarantine

__all__ = ["CorruptResultWarning", "Experiment", "code_hash", "load_model", "paper_vs_ours", "quarantine",
           "stored_units"]


def code_hash() -> str:
    """Hash of the ``sertools`` sources: a code change invalidates stored results.

    Computed once per run and handed to worker processes through ``SERTOOLS_CODE_HASH``, so
    that an edit made while a chapter runs cannot split its units over two configurations."""
    import os

    if os.environ.get("SERTOOLS_CODE_HASH"):
        return os.environ["SERTOOLS_CODE_HASH"]
    h = hashlib.sha256()
    for p in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(p.relative_to(Path(__file__).resolve().parent.parent).as_posix().encode())
        h.update(p.read_bytes())
    os.environ["SERTOOLS_CODE_HASH"] = h.hexdigest()[:12]
    return os.environ["SERTOOLS_CODE_HASH"]


class Experiment:
    """A chapter run's result store: units, checkpoints, predictions, one results table."""

    def __init__(self, chapter: str, params_hash: str, corpus_id: str, split_hash: str,
                 root: Path | None = None, extra: dict | None = None):
        self.chapter, self.split_hash = chapter, split_hash
        self.config_hash = stable_hash({"params": params_hash, "corpus": corpus_id, "split": split_hash,
                                        "code": code_hash(), **(extra or {})})
        self.dir = (root or results_dir()) / chapter / self.config_hash
        makedirs(self.dir / "units")
        if not (self.dir / "params_hash").exists():  # lets results_from pick this run's configuration
            write_text(self.dir / "params_hash", params_hash)

    def _unit_id(self, key: dict) -> str:
        return stable_hash(key)

    def checkpoint(self, key: dict, name: str = "model") -> Path:
        return self.dir / "ckpt" / f"{self._unit_id(key)}-{name}.pt"

    def unit(self, key: dict[str, Any], fn: Callable[[], tuple[list[dict] | dict, dict[str, np.ndarray]] | list[dict] | dict],
             ) -> tuple[list[dict], dict[str, np.ndarray]]:
        """Run ``fn`` once per ``key`` (and config); later calls load the stored rows and arrays.

        ``fn`` returns one row or a list of rows (e.g. one per system sharing the unit's
        sub-models), optionally with a dict of arrays (predictions, embeddings). A unit being
        computed by another process (a second run on the same state folder) is waited for and
        loaded, never computed twice (one lock per unit); a stored unit that cannot be read is
        moved aside and recomputed.
        """
        uid = self._unit_id(key)
        from .profiling import count, phase

        stored = self._stored(key, uid)
        if stored is not None:
            count("units reused")
            return stored
        with file_lock(self.dir / "locks" / f"{uid}.lock"):
            stored = self._stored(key, uid)  # finished by another process while this one waited
            if stored is not None:
                count("units reused")
                return stored
            count("units computed")
            with phase("unit setup"):
                out = fn()
            rows, arrays = out if isinstance(out, tuple) else (out, {})
            rows = [rows] if isinstance(rows, dict) else list(rows)
            prov = provenance_columns(self.config_hash, self.split_hash, key.get("seed", ""))
            rows = [{**prov, **key, **r} for r in rows]  # the key keeps its types (seed stays an int)
            row_path, arr_path = self._paths(uid)
            if arrays:
                # object arrays (ids, speaker names) cannot be loaded without pickle: store them as text
                arrays = {k: (np.asarray(v).astype(str) if np.asarray(v).dtype == object else v)
                          for k, v in arrays.items()}
                with atomic_write(arr_path) as fh:
                    np.savez_compressed(fh, **arrays)
            # the rows are written last: their presence means the unit is complete
            write_text(row_path, json.dumps(rows, default=_jsonable))
        return rows, arrays

    def _paths(self, uid: str) -> tuple[Path, Path]:
        return self.dir / "units" / f"{uid}.json", self.dir / "units" / f"{uid}.npz"

    def _stored(self, key: dict, uid: str) -> tuple[list[dict], dict[str, np.ndarray]] | None:
        """A finished unit's rows and arrays; None when absent, or corrupt (then moved aside)."""
        row_path, arr_path = self._paths(uid)

        def read(path: Path) -> tuple[list[dict], dict[str, np.ndarray]]:
            rows = json.loads(path.read_text())
            if not isinstance(rows, list):
                raise ValueError(f"expected a list of rows, found {type(rows).__name__}")
            with np.load(arr_path, allow_pickle=False) if arr_path.exists() else contextlib.nullcontext({}) as z:
                return rows, dict(z)

        return read_or_quarantine(row_path, read, also=[arr_path, self.checkpoint(key)])

    def table(self) -> pd.DataFrame:
        """All finished units of this configuration, one row each (a unit that cannot be read is
        moved aside with a warning; the next run recomputes it)."""
        rows = []
        for p in sorted((self.dir / "units").glob("*.json")):
            unit_rows = read_or_quarantine(p, lambda q: json.loads(q.read_text()), also=[p.with_suffix(".npz")])
            rows += unit_rows or []
        return pd.DataFrame(rows)

    def write(self, df: pd.DataFrame | None = None, name: str = "results.csv") -> Path:
        """Write the machine-readable results table (for the scoreboard and sweeps): every unit
        finished in this configuration, with ``df``'s rows. A narrower run of the same
        configuration (an exercise's, say: one seed, two folds) adds to the table, never hides
        the units of the run before it."""
        stored = self.table()
        df = stored if df is None else pd.concat([stored, df], ignore_index=True)
        df = df[~df.astype(str).duplicated()]
        path = self.dir / name
        with atomic_write(path, "w") as fh:
            df.to_csv(fh, index=False)
        return path


def load_model(experiment: "Experiment", key: dict[str, Any], model, name: str = "model"):
    """``model`` (built with the unit's sizes) with the trained weights of the finished unit
    ``key`` of ``experiment``, in eval mode: for exercises and figures that look inside a trained
    network. A unit that has not run in this configuration stops with what to run."""
    import torch

    from .train import load_checkpoint

    path = experiment.checkpoint(key, name)
    if path.exists() and getattr(model, "class_weights", None) is None and hasattr(model, "set_class_weights"):
        state = torch.load(path, map_location="cpu", weights_only=False)["model"]
        if "class_weights" in state:  # trained with a weighted loss: the buffer the weights load into
            model.set_class_weights(state["class_weights"].numpy())
    if load_checkpoint(model, path) is None:
        raise FileNotFoundError(f"no trained model for unit {key} of {experiment.chapter} (configuration "
                                f"{experiment.config_hash}): {path} does not exist. Run the chapter's run() with "
                                f"parameters that include this unit first (the unit is then trained and stored).")
    return model.eval()


def quarantine(paths, err: BaseException) -> None:
    """Move unreadable result files aside (``*.corrupt``) with one warning that names them."""
    _quarantine(paths, err, stacklevel=4)


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


def stored_units(folder: str | Path, experiment: str, key_fields: tuple[str, ...],
                 params=None) -> tuple[pd.DataFrame, dict]:
    """Rows and arrays of every finished unit of ``experiment`` under ``folder`` (a results root
    or a sweep folder), for chapters rendered with ``results_from``; with the page's ``params``,
    only the configuration run with those parameters and the units they name
    (:func:`sertools.sweep.selected_rows`), not those an exercise's solution ran beside them.
    Refuses a mixture of configurations, which would silently average different experiments."""
    params_hash = params.unit_hash if params is not None else None
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise FileNotFoundError(f"results_from: {folder} does not exist")
    rows, arrays = [], {}
    for units in sorted(folder.glob(f"**/{experiment}/*/units")):
        marker = units.parent / "params_hash"
        if params_hash and marker.exists() and marker.read_text().strip() != params_hash:
            continue
        for path in sorted(units.glob("*.json")):
            npz = path.with_suffix(".npz")
            try:
                unit_rows = json.loads(path.read_text())
                if npz.exists() and unit_rows:
                    with np.load(npz, allow_pickle=False) as z:
                        arrays[tuple(unit_rows[0][k] for k in key_fields)] = dict(z)
            except CORRUPT as err:
                raise StateError(f"results_from: {path} (or its .npz) cannot be read ({type(err).__name__}: {err}); "
                                 "rerun that sweep point, or delete the unit to leave it out") from err
            rows += unit_rows
    if not rows:
        raise FileNotFoundError(f"results_from: no finished units of {experiment!r} under {folder}")
    df = pd.DataFrame(rows)
    if params is not None:
        from .sweep import selected_rows

        df = selected_rows(df, params.as_dict())
    configs = sorted(df.config_hash.unique())
    if len(configs) > 1:
        raise ValueError(f"results_from: {folder} holds {len(configs)} configurations of {experiment} "
                         f"({', '.join(configs)}); point it at one sweep point's folder")
    return df, arrays
