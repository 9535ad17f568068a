"""Chapters under papermill: parameters reach the outputs, bad parameters stop in the parameters cell;
the committed reference outputs of the checked cells (tests/chapter_reference.py) match the sources,
and a checked output that changes fails nbval.

Every chapter itself is executed once in the smoke profile by ``make test``'s nbval pass.
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import chapter_reference  # noqa: E402
from sertools.results import code_hash  # noqa: E402
from sertools.run import chapters, execute_chapter  # noqa: E402


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("chapter", chapters())
def test_reference_outputs_match_the_checked_cells(chapter):
    assert chapter_reference.stale(chapter) == [], "run `make reference` and commit tests/reference/"


def _nbval(tmp_path: Path, printed: str) -> subprocess.CompletedProcess:
    """nbval on a one-cell checked notebook whose reference output is ``printed``."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)", metadata={
        "tags": [chapter_reference.TAG]})])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    stored = {chapter_reference.source_key("print(6 * 7)"): {"outputs": [
        {"output_type": "stream", "name": "stdout", "text": printed}]}}
    nbformat.write(chapter_reference.with_reference(nb, stored), tmp_path / "one.ipynb")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
                           "-p", "no:cacheprovider", str(tmp_path / "one.ipynb")],
                          capture_output=True, text=True, cwd=tmp_path)


def test_nbval_fails_when_a_checked_output_differs_from_the_reference(tmp_path):
    assert _nbval(tmp_path, "42\n").returncode == 0
    changed = _nbval(tmp_path, "41\n")
    assert changed.returncode == 1 and "Cell outputs differ" in changed.stdout


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
def test_bad_parameters_fail_at_the_parameters_cell(tmp_path, params, message, monkeypatch):
    monkeypatch.delenv("SERTOOLS_PROFILE_FILE", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    code_hash()  # kept in the environment for the process's later runs and workers, by design
    before = dict(os.environ)
    with pytest.raises(pm.PapermillExecutionError) as err:
        execute_chapter("foundations", params, tmp_path / "bad.ipynb")
    assert message in str(err.value)
    # The failed run left the caller's environment as it was (cc7d405 left its profile file set,
    # and two later processes of the test session raced on it).
    assert dict(os.environ) == before
    nb = nbformat.read(tmp_path / "bad.ipynb", as_version=4)
    failed = [c for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    assert "resolve_parameters" in failed[0].source or "parameters(globals())" in failed[0].source


def test_a_live_chapter_runs_again_cell_by_cell(tmp_path):
    """A reader's kernel: the chapter run top to bottom, then every cell again from the parameters
    cell down (its units now cached) — the parameters cell re-run after later cells included."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from sertools.run import find_chapter, ipc_kernel_manager, load_notebook

    nb = load_notebook(find_chapter("li2020"), {"profile": "smoke"})
    client = NotebookClient(nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(tmp_path)}},
                            kernel_manager_class=ipc_kernel_manager())
    os.environ.setdefault("SERTOOLS_PROGRESS", "0")
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with client.setup_kernel():
        for i in code + code:  # twice in one kernel
            client.execute_cell(nb.cells[i], i)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, nbformat.writes(nb)[:200]
