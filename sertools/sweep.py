"""Grids of chapter runs on Ray: local by default, on a cluster when given an address.

    python -m sertools.sweep li2020 --grid lambda_=0.3,0.5,0.7 seeds=[0],[1] -p profile smoke
    python -m sertools.sweep li2020 --grid ... --address ray://head:10001 --gpus-per-run 1

Each grid point is one papermill run of the chapter, executed as a Ray task. Its notebook and
its machine-readable results (the chapter's own result store) go to
``<sweeps>/<chapter>-<grid hash>/points/<point hash>/``; a point whose ``DONE`` marker exists is
skipped on re-launch, a failed point is reported (notebook path and error) without stopping the
others, and everything a point writes is renamed into place only when it finished, so an
interrupt leaves no half-written results. At the end the rows of all points are aggregated
into ``results.csv`` and the chapter's own summary table.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from .paths import results_dir
from .provenance import stable_hash
from .run import absolute_paths, failure_summary, find_chapter, parse_value


def expand(grid: dict[str, list[Any]], fixed: dict[str, Any]) -> list[dict[str, Any]]:
    """The cartesian product of the grid, each point merged with the fixed parameters."""
    keys = list(grid)
    return [{**fixed, **dict(zip(keys, values))} for values in itertools.product(*(grid[k] for k in keys))]


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``key=v1,v2`` → ``{key: [v1, v2]}``; a list or dict value is written in brackets or braces:
    ``seeds=[0,1],[2]``, ``knobs={'li_confound': 0.4, 'gain_db': 0},{}``."""
    grid = {}
    for item in items:
        key, _, text = item.partition("=")
        if not text:
            raise SystemExit(f"grid entry {item!r} must look like key=v1,v2")
        parts, depth, cur = [], 0, ""
        for ch in text:
            depth += ch in "[({" and 1 or 0
            depth -= ch in "])}" and 1 or 0
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        grid[key] = [parse_value(p.strip()) for p in parts if p.strip()]
    return grid


def point_dir(sweep: Path, params: dict) -> Path:
    return sweep / "points" / stable_hash(params)


def run_point(chapter: str, params: dict, target: str) -> dict:
    """Execute one grid point into ``target`` (atomically); return its status."""
    from .run import execute_chapter

    target_path = Path(target)
    work = target_path.with_name(target_path.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "params.json").write_text(json.dumps(params, indent=1, default=str))
    os.environ["SERTOOLS_RESULTS"] = str(work / "results")       # the chapter's result store
    os.environ["SERTOOLS_PROGRESS"] = "0"
    os.environ.setdefault("SERTOOLS_WORKERS", "1")              # one CPU per Ray task
    t0 = time.perf_counter()
    try:
        execute_chapter(chapter, params, work / "notebook.ipynb")
    except Exception as err:  # noqa: BLE001 - reported, the sweep goes on
        (work / "ERROR.txt").write_text("".join(traceback.format_exception(err)))
        failed = target_path.with_name(target_path.name + ".failed")
        shutil.rmtree(failed, ignore_errors=True)
        work.rename(failed)
        return {"point": target_path.name, "ok": False, "notebook": str(failed / "notebook.ipynb"),
                "error": failure_summary(err)}
    (work / "DONE").write_text(f"{time.perf_counter() - t0:.1f}\n")
    shutil.rmtree(target_path, ignore_errors=True)
    shutil.rmtree(target_path.with_name(target_path.name + ".failed"), ignore_errors=True)  # an older failure
    work.rename(target_path)
    return {"point": target_path.name, "ok": True, "seconds": time.perf_counter() - t0,
            "notebook": str(target_path / "notebook.ipynb")}


# the results-table column each unit-selecting parameter names (a list parameter ``systems``
# selects the rows whose ``system`` is in it); the former names of ``systems`` (Xi's ``methods``,
# Parry's ``approaches``, the scoreboard's ``models``) select the same column until they go
SELECTED_COLUMN = {"systems": "system", "methods": "system", "approaches": "system", "models": "system",
                   "seeds": "seed", "corpora": "corpus"}
# systems every point of a chapter runs whatever its ``systems`` (Parry's single-task baseline)
ALWAYS_RUN = ("baseline:none",)


def selected_rows(df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """The rows of a point's results table that the point's own parameters name. A chapter's
    table keeps every unit of its configuration, including those its exercises' solutions ran
    (other systems, fewer seeds); a sweep reports the units its grid asked for, and the signal
    reference's rows. A compound system ``approach:attributes`` (Parry's ``gr:S``) is selected by
    its approach."""
    from .reference import NAME

    keep = pd.Series(True, index=df.index)
    for name, column in SELECTED_COLUMN.items():
        if isinstance(params.get(name), list) and column in df:
            wanted = {_label(v) for v in params[name]} | {NAME}
            cells = df[column].map(_label)
            if column == "system":
                wanted |= set(ALWAYS_RUN)
                cells = cells.where(cells.isin(wanted), cells.str.split(":").str[0])
            keep &= cells.isin(wanted) | df[column].isna()
    return df[keep]


def _label(value: Any) -> str:
    """A table cell or parameter value as text, integral floats (a seed read back as 0.0) as integers."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def aggregate(sweep: Path) -> pd.DataFrame:
    """All finished points' result rows that the points' parameters name (:func:`selected_rows`),
    with the point's parameters as columns."""
    frames = []
    for done in sorted(sweep.glob("points/*/DONE")):
        point = done.parent
        params = json.loads((point / "params.json").read_text())
        for csv in sorted(point.glob("results/**/results.csv")):
            df = selected_rows(pd.read_csv(csv), params)
            for k, v in params.items():
                df[f"param_{k}"] = str(v)
            df["point"] = point.name
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class SweepFailed(RuntimeError):
    """Some grid points failed (their errors are in ``failed.csv``), or no point produced results."""


def sweep(chapter: str, grid: dict[str, list[Any]], fixed: dict[str, Any], address: str | None = None,
          cpus_per_run: float = 1, gpus_per_run: float = 0, num_cpus: int | None = None,
          root: Path | None = None) -> Path:
    """Run (or resume) a grid; returns the sweep folder. The aggregated tables cover the points
    that finished; failed points are listed in ``failed.csv`` (and :func:`main` exits non-zero)."""
    import ray
    from tqdm import tqdm

    name = find_chapter(chapter).stem
    points = [absolute_paths(p) for p in expand(grid, fixed)]  # Ray runs each point in a folder of its own
    folder = (root or results_dir() / "sweeps") / f"{name}-{stable_hash({'grid': grid, 'fixed': fixed})}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grid.json").write_text(json.dumps({"chapter": name, "grid": grid, "fixed": fixed}, indent=1,
                                                 default=str))
    todo = [p for p in points if not (point_dir(folder, p) / "DONE").exists()]
    print(f"{name}: {len(points)} points, {len(points) - len(todo)} already done, {len(todo)} to run -> {folder}",
          flush=True)
    if todo:
        ray.init(address=address, num_cpus=None if address else num_cpus, ignore_reinit_error=True,
                 include_dashboard=False, log_to_driver=False)
        task = ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run)(run_point)
        pending = {task.remote(name, p, str(point_dir(folder, p))): p for p in todo}
        bar = tqdm(total=len(todo), desc=f"sweep {name}", file=sys.stderr)
        failures = []
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                params = pending.pop(done[0])
                status = ray.get(done[0])
                shown = {k: v for k, v in params.items() if k in grid}
                if status["ok"]:
                    tqdm.write(f"done   {shown} in {status['seconds']:.0f} s -> {status['notebook']}")
                else:
                    tqdm.write(f"FAILED {shown}: {status['error']} (notebook: {status['notebook']})")
                    failures.append({"point": status["point"], **{k: str(v) for k, v in shown.items()},
                                     "error": status["error"], "notebook": status["notebook"]})
                bar.update()
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            print("interrupted: finished points are kept, unfinished ones will run on the next launch")
            raise
        finally:
            bar.close()
            ray.shutdown()
        (folder / "failed.csv").unlink(missing_ok=True)
        if failures:
            pd.DataFrame(failures).to_csv(folder / "failed.csv", index=False)
    rows = aggregate(folder)
    failed_points = sorted(folder.glob("points/*.failed"))
    if rows.empty:
        raise SweepFailed(f"{name}: no grid point produced results ({len(failed_points)} failed; see "
                          f"{folder / 'failed.csv'})")
    rows.to_csv(folder / "results.csv", index=False)
    summary = chapter_summary(name, rows)
    if summary is not None:
        summary.to_csv(folder / "summary.csv")
        print(summary.to_string())
    if failed_points:
        print(f"{len(failed_points)} of {len(points)} points FAILED (listed in {folder / 'failed.csv'}); the tables "
              f"cover the {len(points) - len(failed_points)} that finished", file=sys.stderr)
    return folder


def chapter_summary(name: str, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The chapter's own summary table of all points (``summary(rows)`` in its experiment module)."""
    import importlib

    if rows.empty:
        return None
    module = importlib.import_module(f"sertools.experiments.{name.split('_', 1)[-1]}")
    return module.summary(rows) if hasattr(module, "summary") else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sertools.sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("chapter")
    ap.add_argument("--grid", nargs="+", default=[], metavar="KEY=V1,V2")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--address", help="Ray cluster address (default: start Ray locally)")
    ap.add_argument("--num-cpus", type=int, help="CPUs for a local Ray (default: all)")
    ap.add_argument("--cpus-per-run", type=float, default=1)
    ap.add_argument("--gpus-per-run", type=float, default=0)
    ap.add_argument("--out", type=Path, help="sweeps folder (default: <results>/sweeps)")
    a = ap.parse_args(argv)
    a.out = a.out.expanduser().absolute() if a.out else None
    try:
        folder = sweep(a.chapter, parse_grid(a.grid), {k: parse_value(v) for k, v in a.parameter}, a.address,
                       a.cpus_per_run, a.gpus_per_run, a.num_cpus, a.out)
    except SweepFailed as err:
        print(f"sweep failed: {err}", file=sys.stderr)
        return 1
    print(f"results: {folder / 'results.csv'}")
    return 1 if list(folder.glob("points/*.failed")) else 0


if __name__ == "__main__":
    sys.exit(main())
