"""Chapters executed side by side (``sertools run all --jobs N``), each in a process of its own."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from subprocess import Popen

# When chapters run side by side (``--jobs`` > 1): the scoreboard reuses Xi et al.'s pretrained
# networks, so it waits for that chapter; the performance page measures speed, so it runs alone,
# after every chapter before it.
AFTER = {"06_scoreboard": ("04_xi2019",)}
ALONE = ("07_performance", "08_teachers")


def execute_side_by_side(names: list[str], parameters: list[tuple[str, str]], output: str | None,
                         jobs: int, poll_s: float = 0.5, force: bool = False) -> int:
    """Execute ``names`` (in order) with up to ``jobs`` chapters at a time, each in a process of
    its own, respecting :data:`AFTER` and :data:`ALONE`; → exit status (1 if any failed).

    For machines with cores or a GPU to spare (on a GPU each chapter trains one unit at a time);
    on 2 CPU cores it was measured 30 % slower than one chapter at a time: four training workers
    on two cores lose more to switching than the chapters' serial stretches leave idle. Results
    do not change: every unit trains in a worker with one thread, and shared caches are filled
    under locks. Each chapter's time is recorded with ``alongside``
    (chapters running at once), and the wall time of all of them as ``all chapters``."""
    from .bench import record_timing
    from .run import timing_profile

    pending, running, failed = list(names), {}, []
    env = {**os.environ, "SERTOOLS_RECORD_TIMING": "0"}
    params = dict(parameters)
    t_all = time.perf_counter()
    recorded_all = False
    while running or (pending and not failed):
        for name in list(pending):
            if failed or len(running) >= jobs:
                break
            if name in ALONE:
                if running or name != pending[0]:
                    break
                if not recorded_all and len(names) > 1:
                    record_timing("all chapters", timing_profile(params), time.perf_counter() - t_all, jobs)
                    recorded_all = True
            elif any(dep in pending or dep in running for dep in AFTER.get(name, ())) or \
                    any(r in ALONE for r in running):
                continue
            cmd = [sys.executable, "-m", "sertools.run", name, *[a for kv in parameters for a in ("-p", *kv)],
                   *(["--force"] if force else [])]
            if output:
                cmd += ["-o", str(Path(output) / f"{name}.ipynb")]
            running[name] = (Popen(cmd, env=env), time.perf_counter())
            pending.remove(name)
        time.sleep(poll_s)
        for name, (proc, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            if proc.returncode:
                failed.append(name)
            else:
                record_timing(name, timing_profile(params), time.perf_counter() - t0, jobs)
    if not recorded_all and not failed and len(names) > 1:
        record_timing("all chapters", timing_profile(params), time.perf_counter() - t_all, jobs)
    if failed:
        print(f"failed: {', '.join(failed)}" + (f"; not run: {', '.join(pending)}" if pending else ""),
              file=sys.stderr, flush=True)
    return 1 if failed else 0
