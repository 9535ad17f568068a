"""Every chapter executed headlessly in the smoke profile (the reference for the nbval pass).

``make test`` then re-runs the executed notebooks under ``pytest --nbval-lax``, which compares
the cells marked ``# NBVAL_CHECK_OUTPUT`` with these reference outputs.
"""
import csv
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from sertools.run import chapters, execute_chapter

OUT = Path(__file__).parent / "_nb"
TIMINGS = Path(__file__).parent / "_artifacts" / "smoke_timings.csv"


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("chapter", chapters())
def test_chapter_executes_in_smoke_profile(chapter):
    t0 = time.perf_counter()
    out = execute_chapter(chapter, {"profile": "smoke"}, OUT / f"{chapter}.ipynb")
    seconds = time.perf_counter() - t0
    TIMINGS.parent.mkdir(exist_ok=True)
    new = not TIMINGS.exists()
    with open(TIMINGS, "a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["chapter", "profile", "seconds"])
        w.writerow([chapter, "smoke", f"{seconds:.1f}"])
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata.papermill.parameters == {"profile": "smoke"}
    assert "profile = 'smoke'" in _text(nb)


def test_parameter_override_reaches_the_outputs(tmp_path):
    out = execute_chapter("foundations", {"profile": "smoke", "corpora": ["tess"]}, tmp_path / "f.ipynb")
    text = _text(nbformat.read(out, as_version=4))
    assert "corpora = ['tess']" in text
    nb = nbformat.read(out, as_version=4)
    counts = next(c for c in nb.cells if "counts_table" in c.source).outputs[0]["data"]["text/plain"]
    assert "tess" in counts and "nnime" not in counts and "crema-d" not in counts


@pytest.mark.parametrize("params, message", [
    ({"profile": "medium"}, "invalid value 'medium' for parameter 'profile'; valid values: 'smoke', 'book', 'full'"),
    ({"profile": "smoke", "epochz": 3}, "unknown parameter(s) 'epochz'"),
])
def test_bad_parameters_fail_at_the_parameters_cell(tmp_path, params, message):
    with pytest.raises(pm.PapermillExecutionError) as err:
        execute_chapter("foundations", params, tmp_path / "bad.ipynb")
    assert message in str(err.value)
    nb = nbformat.read(tmp_path / "bad.ipynb", as_version=4)
    failed = [c for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    assert "resolve_parameters" in failed[0].source or "parameters(globals())" in failed[0].source
