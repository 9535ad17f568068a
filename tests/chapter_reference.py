"""Committed reference outputs for the chapters' checked cells, so nbval catches a change between commits.

A chapter's cells tagged ``nbval-check-output`` (parameters, protocols, fold tables, shapes) must
print, in the smoke profile, what ``tests/reference/<chapter>.json`` records. Each chapter runs once:

``python tests/chapter_reference.py prepare``
    writes ``tests/_nb/<chapter>.ipynb``: the chapter's source with papermill's injected smoke
    parameters, and the committed outputs in its checked cells. ``pytest --nbval-lax tests/_nb``
    then executes each notebook once and compares the checked cells. A checked cell whose source
    no longer matches the reference stops here, naming the chapter and the command below.
``python tests/chapter_reference.py update`` (``make reference``)
    executes every chapter in the smoke profile and rewrites the reference files; review the diff
    before committing it.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sertools.run import chapters, execute_chapter, find_chapter, load_notebook  # noqa: E402

REFERENCE = ROOT / "tests" / "reference"
NOTEBOOKS = ROOT / "tests" / "_nb"
PARAMETERS = {"profile": "smoke"}
TAG = "nbval-check-output"
# Output parts nbval does not compare (images without nbdime, widget model ids, metadata).
DROPPED = ("image/png", "image/jpeg", "image/svg+xml", "application/vnd.jupyter.widget-view+json")


def source_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def checked_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]


def _portable(output: dict) -> dict:
    """An output as the reference stores it: the compared parts only."""
    if output["output_type"] == "stream":
        return {"output_type": "stream", "name": output["name"], "text": output["text"]}
    if output["output_type"] in ("display_data", "execute_result"):
        data = {k: v for k, v in output["data"].items() if k not in DROPPED}
        return {"output_type": output["output_type"], "data": data}
    return {"output_type": output["output_type"], "ename": output.get("ename"), "evalue": output.get("evalue")}


def _restore(output: dict, count: int):
    """A stored output as a valid nbformat output of a cell executed as number ``count``."""
    out = dict(output)
    if out["output_type"] in ("display_data", "execute_result"):
        out["metadata"] = {}
    if out["output_type"] == "execute_result":
        out["execution_count"] = count
    if out["output_type"] == "error":
        out["traceback"] = []
    return nbformat.from_dict(out)


def with_reference(nb, stored: dict[str, dict]):
    """``nb`` with the stored outputs in its checked cells (keyed by :func:`source_key`), marked as
    executed so that nbval compares them; every other cell stays unexecuted and unchecked."""
    for n, cell in enumerate(checked_cells(nb), 1):
        cell.execution_count = n
        cell.outputs = [_restore(o, n) for o in stored[source_key(cell.source)]["outputs"]]
    nbformat.validate(nb)
    return nb


def stale(chapter: str) -> list[str]:
    """What no longer matches between the chapter's checked cells and its reference file."""
    path = REFERENCE / f"{chapter}.json"
    if not path.exists():
        return [f"{path.relative_to(ROOT)} is missing"]
    stored = {c["key"]: c for c in json.loads(path.read_text())["cells"]}
    cells = checked_cells(load_notebook(find_chapter(chapter)))
    problems = [f"checked cell {c.source.splitlines()[0][:60]!r} has no reference output"
                for c in cells if source_key(c.source) not in stored]
    keys = {source_key(c.source) for c in cells}
    problems += [f"the reference holds a cell that is gone: {c['first_line']!r}" for k, c in stored.items()
                 if k not in keys]
    return problems


def prepare() -> None:
    """Write the notebooks nbval runs; stop, naming every stale reference, if one is stale."""
    problems = {ch: stale(ch) for ch in chapters()}
    problems = {ch: p for ch, p in problems.items() if p}
    if problems:
        lines = [f"  {ch}: {p}" for ch, ps in problems.items() for p in ps]
        raise SystemExit("The committed reference outputs do not match the chapters' checked cells:\n"
                         + "\n".join(lines) + "\nRun `make reference`, review the diff of tests/reference/ "
                         "and commit it with the change.")
    NOTEBOOKS.mkdir(parents=True, exist_ok=True)
    for old in NOTEBOOKS.glob("*.ipynb"):
        old.unlink()
    for chapter in chapters():
        stored = {c["key"]: c for c in json.loads((REFERENCE / f"{chapter}.json").read_text())["cells"]}
        nb = with_reference(load_notebook(find_chapter(chapter), PARAMETERS), stored)
        nbformat.write(nb, NOTEBOOKS / f"{chapter}.ipynb")
    print(f"{len(chapters())} chapters written to {NOTEBOOKS.relative_to(ROOT)} with their reference outputs")


def update(*names: str) -> None:
    """Execute every chapter (or the ``names`` given) in the smoke profile and record its checked
    cells' outputs."""
    REFERENCE.mkdir(exist_ok=True)
    runs = ROOT / "tests" / "_artifacts" / "reference_run"
    for chapter in [find_chapter(n).stem for n in names] or chapters():
        executed = nbformat.read(execute_chapter(chapter, PARAMETERS, runs / f"{chapter}.ipynb"), as_version=4)
        cells = [{"key": source_key(c.source), "first_line": c.source.splitlines()[0][:80],
                  "outputs": [_portable(o) for o in c.outputs]} for c in checked_cells(executed)]
        record = {"chapter": chapter, "parameters": PARAMETERS, "cells": cells}
        (REFERENCE / f"{chapter}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"{chapter}: {len(cells)} checked cells recorded")


if __name__ == "__main__":
    commands = {"prepare": prepare, "update": update}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or sys.argv[1] == "prepare" and len(sys.argv) > 2:
        raise SystemExit(f"usage: {Path(__file__).name} prepare | update [chapter ...]")
    commands[sys.argv[1]](*sys.argv[2:])
