"""One chapter at a time on the cores, the next one's serial stretches beside it.

``sertools.run all --overlap`` (what ``make book`` runs) executes two chapters at once. Every
stretch that uses all the cores (a pool of training units, feature extraction) runs inside
:func:`core_gate`, so only one chapter at a time trains; the other chapter's serial stretches
(kernel start, imports, reference fits, tables, figures) use the core that training leaves idle.

The gate is a lock file (:data:`GATE_ENV`) with priority by book order (:data:`RANK_ENV`): a
chapter of rank *r* announces that it wants the cores by holding ``<gate>.wants-<r>``; a chapter
that got the cores gives them back at once while a chapter of lower rank wants them. The earlier
chapter therefore never waits for more than the later one's current stretch, and chapters finish
in book order. Without the variables (one chapter at a time, the tests), nothing is locked.
"""
from __future__ import annotations

import contextlib
import fcntl
import multiprocessing as mp
import os
from typing import Iterator

GATE_ENV = "SERTOOLS_CORE_GATE"
RANK_ENV = "SERTOOLS_CORE_GATE_RANK"
_depth = 0


def _held_by_another(path: str) -> bool:
    """Whether another process holds an exclusive lock on ``path`` (a flock is per open file)."""
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _wait_for(path: str) -> None:
    """Block until nobody holds ``path``."""
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def core_gate() -> Iterator[None]:
    """Hold the cores for the ``with`` block when chapters overlap (see the module doc).

    Re-entrant; a no-op in a worker process (its pool's owner holds the gate) and without
    :data:`GATE_ENV`. Take it before any other lock: a process waiting here must hold nothing
    that the holder's workers need."""
    global _depth
    path = os.environ.get(GATE_ENV)
    if not path or _depth or mp.parent_process() is not None:
        yield
        return
    from .paths import file_lock

    rank = int(os.environ.get(RANK_ENV, "0"))
    earlier = [f"{path}.wants-{k}" for k in range(rank)]
    with file_lock(f"{path}.wants-{rank}"), open(path, "a") as gate:
        while True:
            fcntl.flock(gate, fcntl.LOCK_EX)
            waiting = next((w for w in earlier if _held_by_another(w)), None)
            if waiting is None:
                break
            fcntl.flock(gate, fcntl.LOCK_UN)   # an earlier chapter wants the cores: it goes first
            _wait_for(waiting)
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            fcntl.flock(gate, fcntl.LOCK_UN)
