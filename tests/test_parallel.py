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
    for cmd, stdin in (([sys.executable, str(script)], None), ([sys.executable, "-"], code)):  # and from stdin
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
