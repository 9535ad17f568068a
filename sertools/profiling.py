"""Where a chapter's time goes: phase timers, per process, collected per chapter run.

Code marks its phases with :func:`phase` (``with phase("training"): ...``) or :func:`timed`.
Each process keeps the **exclusive** seconds of every phase (a phase nested in another is not
counted twice) and a few counters (``count``). Units run by :func:`sertools.parallel.map_units`
are measured in their worker and handed back with the unit's result (:func:`in_job`), so the
chapter's kernel holds both its own wall-clock phases and its workers' summed phase seconds.

``sertools.run`` sets ``SERTOOLS_PROFILE_FILE`` for a chapter's kernel; the kernel rewrites that
file whenever it leaves a top-level phase, and :func:`chapter_row` combines it with the cell
durations papermill records into one row of ``<results>/profile.csv`` per chapter run. No
phase is timed when nothing asked for it (the dicts stay small and the cost is a
``perf_counter`` call per phase).
"""
from __future__ import annotations

import functools
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

_OWN: dict[str, float] = {}        # this process's exclusive seconds per phase
_JOBS: dict[str, float] = {}       # summed over the units run in workers (or in-process jobs)
_COUNTS: dict[str, int] = {}
_STACK: list[list[float]] = []     # [start, seconds of nested phases]
_IN_JOB = False


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as phase ``name`` (exclusive of the phases nested in it)."""
    _STACK.append([time.perf_counter(), 0.0])
    try:
        yield
    finally:
        start, nested = _STACK.pop()
        elapsed = time.perf_counter() - start
        _OWN[name] = _OWN.get(name, 0.0) + elapsed - nested
        if _STACK:
            _STACK[-1][1] += elapsed
        else:
            _write()


def timed(name: str) -> Callable:
    """Decorator: every call of the function is timed as phase ``name``."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with phase(name):
                return fn(*args, **kwargs)
        return inner
    return wrap


def count(name: str, n: int = 1) -> None:
    _COUNTS[name] = _COUNTS.get(name, 0) + n


def in_job(fn: Callable, *args) -> tuple[Any, dict]:
    """``fn(*args)`` and the phases and counts it produced (for a unit run in a worker: the
    caller adds them to its own with :func:`add_job`). The process's own totals are untouched."""
    global _OWN, _COUNTS, _STACK, _IN_JOB
    saved = _OWN, _COUNTS, _STACK, _IN_JOB
    _OWN, _COUNTS, _STACK, _IN_JOB = {}, {}, [], True
    try:
        out = fn(*args)
        return out, {"phases": _OWN, "counts": _COUNTS}
    finally:
        _OWN, _COUNTS, _STACK, _IN_JOB = saved


def add_job(report: dict) -> None:
    """Add a job's phases (as worker seconds) and counts to this process's totals."""
    for k, v in report["phases"].items():
        _JOBS[k] = _JOBS.get(k, 0.0) + v
    for k, v in report["counts"].items():
        count(k, v)


def snapshot() -> dict:
    return {"own": dict(_OWN), "jobs": dict(_JOBS), "counts": dict(_COUNTS)}


def _write() -> None:
    """Rewrite the chapter's profile file (only in the chapter's own process, outside a job)."""
    import multiprocessing as mp

    path = os.environ.get("SERTOOLS_PROFILE_FILE")
    if path and not _IN_JOB and mp.parent_process() is None:
        # A temporary file of this process's own: two processes given the same file (which
        # should not happen) replace each other's snapshot but never move each other's file.
        tmp = Path(path).with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(snapshot()))
        tmp.replace(path)


# --------------------------------------------------------------------------- one row per chapter run
KERNEL_PHASES = ("corpus", "features", "units", "reference")
JOB_PHASES = ("training", "evaluation", "features", "unit setup")


def chapter_row(notebook: Path, profile_file: Path, wall_s: float) -> dict[str, float]:
    """Seconds per phase of one executed chapter: kernel start (and papermill's own work), the
    first cell (imports), the kernel's phases, and the rest of the cells (tables, figures,
    prose numbers); the workers' summed seconds per phase; the units computed and reused."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    durations = [float(c.metadata.get("papermill", {}).get("duration") or 0.0) for c in code]
    snap = json.loads(profile_file.read_text()) if profile_file.exists() else {"own": {}, "jobs": {}, "counts": {}}
    own = snap["own"]
    cells = sum(durations)
    first = next((d for c, d in zip(code, durations)  # the first cell after papermill's parameters
                  if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))), 0.0)
    row = {"wall s": wall_s, "kernel start s": max(0.0, wall_s - cells), "imports s": first}
    row.update({f"{k} s": own.get(k, 0.0) for k in KERNEL_PHASES})
    row["tables and figures s"] = max(0.0, cells - first - sum(own.get(k, 0.0) for k in KERNEL_PHASES))
    row.update({f"worker {k} s": snap["jobs"].get(k, 0.0) for k in JOB_PHASES})
    row["units computed"] = snap["counts"].get("units computed", 0)
    row["units reused"] = snap["counts"].get("units reused", 0)
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}


def record_chapter(chapter: str, profile: str, notebook: Path, profile_file: Path, wall_s: float) -> None:
    """Append one chapter run's :func:`chapter_row` to ``<results>/profile.csv``."""
    import pandas as pd

    from .paths import file_lock, results_dir
    from .provenance import git_sha

    row = {"chapter": chapter, "profile": profile, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "git_sha": git_sha(),
           **chapter_row(notebook, profile_file, wall_s)}
    path = results_dir() / "profile.csv"
    with file_lock(path.with_suffix(".lock")):
        old = pd.read_csv(path) if path.exists() else pd.DataFrame()
        pd.concat([old, pd.DataFrame([row])], ignore_index=True).to_csv(path, index=False)


def chapter_profiles(profile: str = "book") -> pd.DataFrame:  # noqa: F821
    """The latest recorded run of every chapter in ``profile``, and its latest run that computed
    units (a cold build: a warm rebuild reuses every unit)."""
    import pandas as pd

    from .paths import results_dir

    path = results_dir() / "profile.csv"
    if not path.exists():
        return pd.DataFrame()
    t = pd.read_csv(path)
    t = t[t.profile == profile].sort_values("when")
    cold = t[t["units computed"] > 0].groupby("chapter").tail(1).assign(build="latest computing units")
    latest = t.groupby("chapter").tail(1).assign(build="latest")
    return pd.concat([cold, latest]).sort_values(["build", "chapter"]).reset_index(drop=True)
