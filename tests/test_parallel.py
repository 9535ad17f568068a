"""Worker pools: results in job order, no orphans after a kill, no hang when workers cannot start."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sertools.parallel import map_units

ROOT = Path(__file__).resolve().parents[1]


def square(x):
    return x * x


def test_map_units_keeps_job_order():
    assert map_units(square, [(i,) for i in range(6)], workers=2) == [i * i for i in range(6)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_workers_die_with_a_killed_parent(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from sertools.parallel import map_units

        def job(i, folder):
            open(os.path.join(folder, f"{{os.getpid()}}.pid"), "w").close()
            time.sleep(120)

        if __name__ == "__main__":
            map_units(job, [(i, {str(tmp_path)!r}) for i in range(2)], workers=2)
    """))
    env = {**os.environ, "SERTOOLS_UNIT_PROGRESS": "0"}
    parent = subprocess.Popen([sys.executable, str(script)], env=env)
    deadline = time.time() + 60
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(workers) == 2, "the workers did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 20
    while any(_alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:
        os.kill(w, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived their killed parent"


def test_a_pool_that_cannot_start_fails_instead_of_hanging(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from sertools.parallel import map_units

        def job(i):
            return i

        print(map_units(job, [(i,) for i in range(4)], workers=2))
    """)
    env = {**os.environ, "SERTOOLS_UNIT_PROGRESS": "0"}
    script = tmp_path / "unguarded.py"          # no `if __name__ == "__main__":` guard
    script.write_text(code)
    for cmd, stdin in (([sys.executable, str(script)], None),):  # from stdin: tests/test_faults.py
        t0 = time.time()
        res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, env=env)
        assert res.returncode != 0, res.stdout
        assert time.time() - t0 < 90
        assert "BrokenProcessPool" in res.stderr or "bootstrapping phase" in res.stderr, res.stderr[-2000:]


def test_an_unguarded_script_that_synthesises_fails_instead_of_waiting_for_its_own_lock(tmp_path):
    # each worker re-runs the script, which asks for the corpus lock its parent holds: it used to wait forever
    script = tmp_path / "unguarded_synth.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from sertools import data
        print(len(data.embedded("emovo", size="smoke").utterances))
    """))
    env = {**os.environ, "SERTOOLS_HOME": str(tmp_path / "home"), "SERTOOLS_PROGRESS": "0"}
    t0 = time.time()
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=150, env=env)
    assert res.returncode != 0 and time.time() - t0 < 120
    assert "UnguardedScriptError" in res.stderr and '__name__ == "__main__"' in res.stderr, res.stderr[-2000:]


class _FakeChapter:
    """Stands in for a chapter's process: finishes at the second poll; records who ran beside it."""
    log: list = []
    running: set = set()

    def __init__(self, cmd, env=None):
        self.name, self.polls, self.returncode = cmd[3], 0, None
        self.log.append((self.name, frozenset(self.running)))
        self.running.add(self.name)
        assert env["SERTOOLS_RECORD_TIMING"] == "0"  # the parent records the times

    def poll(self):
        self.polls += 1
        if self.polls >= 2:
            self.returncode = 1 if self.name == "05_fan2020" and _FakeChapter.fail else 0
            self.running.discard(self.name)
        return self.returncode


def _side_by_side(monkeypatch, tmp_path, names, fail=False):
    from sertools import bench, side_by_side

    monkeypatch.setenv("SERTOOLS_RESULTS", str(tmp_path))
    monkeypatch.setattr(side_by_side, "Popen", _FakeChapter)
    _FakeChapter.log, _FakeChapter.running, _FakeChapter.fail = [], set(), fail
    status = side_by_side.execute_side_by_side(names, [("profile", "smoke")], None, jobs=2, poll_s=0)
    return status, _FakeChapter.log, bench.chapter_timings()


def test_chapters_side_by_side_keep_their_dependencies_and_the_performance_page_runs_alone(monkeypatch, tmp_path):
    names = ["00_foundations", "04_xi2019", "05_fan2020", "06_scoreboard", "07_performance"]
    status, log, timings = _side_by_side(monkeypatch, tmp_path, names)
    started = [n for n, _ in log]
    beside = dict(log)
    assert status == 0 and sorted(started) == sorted(names)
    assert max(len(b) for b in beside.values()) == 1                     # never more than two at once
    assert "04_xi2019" not in beside["06_scoreboard"] and started.index("06_scoreboard") > started.index("04_xi2019")
    assert started[-1] == "07_performance" and not beside["07_performance"]
    assert set(timings.chapter) == {*names, "all chapters"} and set(timings.alongside) == {2}


def test_a_failed_chapter_stops_new_ones_and_fails_the_run(monkeypatch, tmp_path):
    names = ["00_foundations", "05_fan2020", "06_scoreboard", "07_performance"]
    status, log, timings = _side_by_side(monkeypatch, tmp_path, names, fail=True)
    assert status == 1 and "07_performance" not in [n for n, _ in log]
    assert "05_fan2020" not in set(timings.chapter) and "all chapters" not in set(timings.chapter)


def test_the_budget_holds_the_whole_run_not_a_chapter_that_shared_the_cores():
    import pandas as pd

    from sertools.experiments.performance import BOOK_TOTAL_S, budget_table

    t = pd.DataFrame({"chapter": ["00_foundations", "03_parry2022", "all chapters", "07_performance"],
                      "profile": "book", "seconds": [200.0, 700.0, 800.0, 40.0], "alongside": [2, 2, 2, 1],
                      "when": ["2026-11-23 09:00:00", "2026-11-23 09:10:00", "2026-11-23 09:10:00",
                               "2026-11-23 09:11:00"]})
    b = budget_table(t).set_index("chapter")
    assert b.loc["03_parry2022", "within budget"] is None or pd.isna(b.loc["03_parry2022", "within budget"])
    assert b.loc["whole book", "seconds"] == 800.0 and b.loc["whole book", "budget s"] == BOOK_TOTAL_S
    alone = t.iloc[:2].assign(alongside=1)          # chapters run one at a time: their sum is the whole book
    b = budget_table(alone).set_index("chapter")
    assert b.loc["whole book", "seconds"] == 900.0 and not b.loc["03_parry2022", "within budget"]
