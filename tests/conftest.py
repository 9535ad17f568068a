"""Test-wide settings: headless progress bars, small thread counts, shared fixtures."""
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("SERTOOLS_PROGRESS", "0")


def write_tone(path: Path, sr: int = 16000, seconds: float = 0.5, freq: float = 220.0, channels: int = 1,
               silent: bool = False) -> Path:
    """A short sine tone (or silence) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    x = np.zeros_like(t) if silent else 0.3 * np.sin(2 * np.pi * freq * t)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    sf.write(path, x, sr, subtype="PCM_16")
    return path


@pytest.fixture
def tone():
    return write_tone


# --- nbval: keep what each chapter printed, so the browser test renders the run nbval made ----------
# ``pytest --nbval-lax tests/_nb`` executes every chapter once (see tests/chapter_reference.py). These
# hooks write each executed notebook, with its outputs and its ipywidgets state, to
# tests/_artifacts/executed/, and its time to tests/_artifacts/smoke_timings.csv.
EXECUTED = Path(__file__).parent / "_artifacts" / "executed"
TIMINGS = Path(__file__).parent / "_artifacts" / "smoke_timings.csv"
_STARTED: dict[str, float] = {}


def pytest_configure(config):
    """nbval runs cells with ``store_history=False``; IPython then cannot see a cell's trailing
    ``;`` (``DisplayHook.quiet`` reads the input history) and a figure a chapter silences is shown
    twice. Cells run with history here, as in Jupyter and papermill."""
    try:
        from nbval.kernel import RunningKernel
    except ImportError:
        return

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    RunningKernel.execute_cell_input = execute_cell_input


def _is_nbval_cell(item) -> bool:
    return hasattr(item, "cell") and hasattr(item, "test_outputs") and hasattr(item.parent, "nb")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if _is_nbval_cell(item):
        import time

        _STARTED.setdefault(str(item.parent.fspath), time.perf_counter())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if call.when == "call" and _is_nbval_cell(item) and item.test_outputs is not None:
        import nbformat

        item.cell.outputs = [nbformat.from_dict(dict(o)) for o in item.test_outputs]
        for o in item.cell.outputs:
            if o.output_type in ("display_data", "execute_result"):
                o.setdefault("metadata", {})
        item.cell.execution_count = item.cell_num + 1
        item.cell.metadata.setdefault("papermill", {})["duration"] = round(call.duration, 3)  # as papermill records it


def _widget_state(kernel) -> dict | None:
    """The ipywidgets state the kernel holds, as nbclient stores it in a notebook's metadata."""
    import json

    code = ("import json as _j, sys as _s\n"
            "_w = _s.modules.get('ipywidgets')\n"
            "print(_j.dumps(_w.Widget.get_manager_state(drop_defaults=False) if _w else None))")
    lines: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            lines.append(msg["content"]["text"])

    kernel.kc.execute_interactive(code, timeout=60, output_hook=hook, store_history=False)
    state = json.loads("".join(lines) or "null")
    return state if state and state.get("state") else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    if not _is_nbval_cell(item) or (nextitem is not None and nextitem.parent is item.parent):
        return
    import csv
    import time

    import nbformat

    nb, path = item.parent.nb, Path(str(item.parent.fspath))
    seconds = time.perf_counter() - _STARTED.pop(str(path), time.perf_counter())
    kernel = item.parent.kernel
    if kernel is not None and kernel.is_alive():
        state = _widget_state(kernel)
        if state:
            nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED / path.name)
    from sertools.course import record_solutions, solution_seconds

    record_solutions(path.stem, "smoke", solution_seconds(nb))  # the teacher's guide reads them
    new = not TIMINGS.exists()
    with open(TIMINGS, "a", newline="") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(["chapter", "profile", "seconds"])
        writer.writerow([path.stem, "smoke", f"{seconds:.1f}"])
