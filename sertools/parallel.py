"""Independent units of work (fold × seed × system ...) spread over CPU cores.

Small recurrent models do not use two cores well inside one process (measured: a BLSTM unit
takes 18 s with 2 threads, 23 s with 1), so running one unit per core is faster. Workers start
from a fork server, use one torch thread each, and write their results through
:class:`sertools.results.Experiment`, which makes every finished unit durable on its own.

Every pool of the package comes from :func:`process_pool`:

* a worker **dies with the process that made the pool**: a watchdog thread in every worker
  checks that process once a second (a fork-server worker's own parent is the fork server,
  which outlives a killed client by design), so killing a chapter, even with SIGKILL, leaves
  no worker training on;
* a worker that cannot start or dies raises :class:`~concurrent.futures.process.BrokenProcessPool`
  at once (``multiprocessing.Pool`` would wait for it forever);
* the fork server **imports the heavy modules once** (:data:`PRELOAD`: torch, pandas,
  scikit-learn, the chapters' code); each worker forks from it with them in memory, so a pool
  starts in a fraction of a second instead of every worker spending ~6 s on imports;
* finished units are reported on the terminal that runs the build (the kernel's original
  standard error: nothing of it reaches the rendered notebook), with a count and an ETA.
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Sequence


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def die_with(owner: int, interval: float = 1.0) -> None:
    """End this process when process ``owner`` is gone: a daemon thread checks every ``interval``
    seconds (and, on Linux, the kernel sends SIGTERM when the direct parent dies)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass

    def watch() -> None:
        while _alive(owner):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="sertools-watchdog", daemon=True).start()


def _init_worker(owner: int, extra: Callable[[], None] | None = None) -> None:
    die_with(owner)
    if extra is not None:
        extra()


def _torch_worker() -> None:
    """One thread per worker for torch **and** for the BLAS and OpenMP pools of NumPy, SciPy and
    scikit-learn: the units' probes and reference fits are small problems that two BLAS threads
    per worker slow down (measured: a Li speaker probe, logistic regression on 1,400 × 96, 0.9 s
    with OpenBLAS's 2 threads, 0.2 s with 1; same result)."""
    import torch
    from threadpoolctl import threadpool_limits

    os.environ["SERTOOLS_PROGRESS"] = "0"
    torch.set_num_threads(1)
    threadpool_limits(1)


class UnguardedScriptError(RuntimeError):
    """sertools was called while a worker process was importing the user's script."""


def refuse_while_importing_main() -> None:
    """Raise :class:`UnguardedScriptError` in a worker that is still importing ``__main__``.

    Fork-server (and spawn) workers import the script that started the pool; a script without
    an ``if __name__ == "__main__":`` guard then runs again inside every worker, where it would
    wait for the lock its parent holds or start pools of its own: a hang. Failing here ends the
    worker, and the parent's pool reports ``BrokenProcessPool`` at once."""
    if getattr(mp.current_process(), "_inheriting", False):
        raise UnguardedScriptError(
            "sertools was called while a worker process was importing your script: put the script's code under "
            "`if __name__ == \"__main__\":` (worker processes import the script that starts them)")


class UnimportableScriptError(RuntimeError):
    """Worker processes cannot import the script that started them (a script read from stdin)."""


def refuse_unimportable_main() -> None:
    """Raise :class:`UnimportableScriptError` when ``__main__`` names a file that does not exist.

    Fork-server workers import the script that started the pool; a script read from standard
    input (``python - < script.py``) is ``'<stdin>'``, and every worker would fail with
    ``FileNotFoundError: '<stdin>'`` inside a ``BrokenProcessPool``."""
    from multiprocessing import process

    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path and not os.path.isfile(os.path.join(process.ORIGINAL_DIR or "", path)):
        raise UnimportableScriptError(
            f"worker processes import the script that starts them, and {path!r} is not a file they can import "
            "(a script read from standard input?): save the script to a file and run `python that_file.py`, "
            "with its code under `if __name__ == \"__main__\":`")


PRELOAD = ("torch", "torch._dynamo", "torch.optim", "pandas", "sklearn.linear_model", "sklearn.metrics", "opensmile",
           "sertools.train", "sertools.features", "sertools.experiments.chou2020", "sertools.experiments.li2020",
           "sertools.experiments.parry2022", "sertools.experiments.xi2019", "sertools.experiments.fan2020",
           "sertools.experiments.scoreboard")
"""What the fork server imports before it forks any worker (only the first pool of a process
sets it: the fork server lives as long as that process)."""


def start_fork_server(preload: Sequence[str] = ()) -> None:
    """Start the fork server now, in the background: it imports :data:`PRELOAD` (~5 s) while this
    process goes on, instead of when the first pool opens and waits for it. A chapter calls it
    when it resolves its parameters. Nothing happens in a worker process or with one core."""
    if mp.parent_process() is not None or (os.cpu_count() or 1) < 2 or os.environ.get("SERTOOLS_WORKERS") == "1":
        return
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(list(preload or PRELOAD))
    forkserver.ensure_running()


def process_pool(workers: int, initializer: Callable[[], None] | None = None,
                 max_tasks_per_child: int | None = None, preload: Sequence[str] = ()) -> ProcessPoolExecutor:
    """A fork-server process pool whose workers die with their parent (see the module doc)."""
    refuse_while_importing_main()
    refuse_unimportable_main()
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload or PRELOAD))
    kwargs = {"max_tasks_per_child": max_tasks_per_child} if max_tasks_per_child else {}
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(), initializer),
                               **kwargs)


def default_workers() -> int:
    """``SERTOOLS_WORKERS`` if set, else the number of CPU cores (1 when CUDA is used)."""
    if os.environ.get("SERTOOLS_WORKERS"):
        return max(1, int(os.environ["SERTOOLS_WORKERS"]))
    import torch

    return 1 if torch.cuda.is_available() else (os.cpu_count() or 1)


class Reporter:
    """Progress of a batch of units on the build's terminal: a tqdm bar on a TTY, one line per
    unit otherwise (CI logs), nothing when ``SERTOOLS_UNIT_PROGRESS=0``."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.done, self.t0 = total, desc, 0, time.perf_counter()
        self.stream = sys.__stderr__
        self.enabled = os.environ.get("SERTOOLS_UNIT_PROGRESS", "1") not in ("0", "false", "no") and \
            self.stream is not None and total > 1
        self.bar = None
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=self.stream, unit="unit", leave=False)

    def update(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update()
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        print(f"{self.desc}: {self.done}/{self.total} units, {elapsed:.0f} s, ETA {eta:.0f} s", file=self.stream,
              flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def map_units(func: Callable[..., Any], jobs: Sequence[tuple], workers: int | None = None,
              desc: str | None = None) -> list[Any]:
    """``[func(*job) for job in jobs]``, in worker processes when ``workers`` > 1, in job order.

    ``func`` must be importable (a module-level function): each job is pickled to a worker.
    """
    from .profiling import add_job, in_job, phase

    workers = default_workers() if workers is None else workers
    desc = desc or getattr(func, "__module__", "units").rsplit(".", 1)[-1]
    report = Reporter(len(jobs), desc)
    results: list[Any] = [None] * len(jobs)
    try:
        with phase("units"):
            if workers <= 1 or len(jobs) <= 1:
                for i, job in enumerate(jobs):
                    results[i], spent = in_job(func, *job)
                    add_job(spent)
                    report.update()
                return results
            with process_pool(min(workers, len(jobs)), _torch_worker) as pool:
                futures = {pool.submit(in_job, func, *job): i for i, job in enumerate(jobs)}
                for f in as_completed(futures):
                    results[futures[f]], spent = f.result()
                    add_job(spent)
                    report.update()
                return results
    finally:
        report.close()


def imap_unordered(func: Callable[[Any], Any], items: Iterable[Any], workers: int,
                   max_tasks_per_child: int | None = None, preload: Sequence[str] = ()) -> Iterable[Any]:
    """Results of ``func(item)`` as they finish, from a :func:`process_pool`."""
    with process_pool(workers, max_tasks_per_child=max_tasks_per_child, preload=preload) as pool:
        for f in as_completed([pool.submit(func, it) for it in items]):
            yield f.result()
