"""Phase timers: exclusive seconds per phase, units' phases handed back from their jobs."""
import json
import time

import nbformat

from sertools import profiling


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _job(seconds: float) -> int:
    with profiling.phase("training"):
        _busy(seconds)
    profiling.count("units computed")
    return 7


def test_nested_phases_are_exclusive_and_jobs_report_their_own(tmp_path, monkeypatch):
    monkeypatch.setattr(profiling, "_OWN", {})
    monkeypatch.setattr(profiling, "_JOBS", {})
    monkeypatch.setattr(profiling, "_COUNTS", {})
    monkeypatch.setenv("SERTOOLS_PROFILE_FILE", str(tmp_path / "p.json"))
    t0 = time.perf_counter()
    with profiling.phase("units"):
        _busy(0.05)
        with profiling.phase("features"):
            _busy(0.1)
        out, spent = profiling.in_job(_job, 0.1)
        profiling.add_job(spent)
    wall = time.perf_counter() - t0
    snap = json.loads((tmp_path / "p.json").read_text())  # written when the top-level phase ended
    assert out == 7 and snap["counts"] == {"units computed": 1}
    own = snap["own"]
    # exclusive: counted twice, the nested 0.1 s of features would take the sum above the wall time
    assert set(own) == {"units", "features"} and 0.25 <= own["units"] + own["features"] <= wall
    assert own["features"] >= 0.1 and own["units"] >= 0.15  # its own 0.05 s and the in-process job's 0.1 s
    assert snap["jobs"]["training"] >= 0.1


def test_a_chapter_row_splits_the_wall_time(tmp_path):
    nb = nbformat.v4.new_notebook()
    for tags, seconds in ((["parameters"], 0.1), ([], 3.0), ([], 20.0), ([], 2.0)):
        cell = nbformat.v4.new_code_cell("pass", metadata={"tags": tags, "papermill": {"duration": seconds}})
        nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "c.ipynb")
    (tmp_path / "p.json").write_text(json.dumps({"own": {"features": 5.0, "units": 12.0}, "jobs": {"training": 20.0},
                                                 "counts": {"units computed": 4}}))
    row = profiling.chapter_row(tmp_path / "c.ipynb", tmp_path / "p.json", 30.0)
    assert row["kernel start s"] == 4.9 and row["imports s"] == 3.0       # 30 − 25.1 s of cells; the 1st cell after the parameters
    assert row["tables and figures s"] == 5.1 and row["worker training s"] == 20.0 and row["units computed"] == 4


WRITER = '''
import sys, time
from sertools import profiling
end = time.perf_counter() + 1.0
while time.perf_counter() < end:
    with profiling.phase("units"):
        pass
'''


def test_two_processes_given_one_profile_file_do_not_collide(tmp_path):
    """Each process writes its snapshot through a temporary file of its own (cc7d405 used one
    name for all, and a process found its file moved away by the other)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SERTOOLS_PROFILE_FILE": str(tmp_path / "p.json")}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert "units" in json.loads((tmp_path / "p.json").read_text())["own"]
    assert not list(tmp_path.glob("*.tmp"))
