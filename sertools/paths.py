"""Where generated state lives: corpora, the feature cache and results.

Everything the book generates sits under one home folder so that it can be deleted
in one go and is never committed. Resolution order for each folder:

1. an explicit argument (a chapter's ``data_root`` parameter, say);
2. an environment variable (``SERTOOLS_CORPORA``, ``SERTOOLS_CACHE``, ``SERTOOLS_RESULTS``);
3. ``$SERTOOLS_HOME/<folder>``, where ``SERTOOLS_HOME`` defaults to ``.sertools/`` in the
   project checkout (or ``~/.cache/sertools`` for an installed package).

Chapters resolve every path through here, never through the working directory, because
papermill, nbval and Jupyter Book run notebooks from different folders.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Iterator

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """The folder that holds all generated state."""
    env = os.environ.get("SERTOOLS_HOME")
    if env:
        return Path(env).expanduser().resolve()
    if (PROJECT_ROOT / "_toc.yml").exists():
        return PROJECT_ROOT / ".sertools"
    return Path("~/.cache/sertools").expanduser()


def _folder(env_var: str, name: str, override: str | os.PathLike | None) -> Path:
    if override is not None:
        path = Path(override).expanduser().resolve()
    elif os.environ.get(env_var):
        path = Path(os.environ[env_var]).expanduser().resolve()
    else:
        path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def corpora_dir(override: str | os.PathLike | None = None) -> Path:
    """Root of the embedded (synthetic) corpora."""
    return _folder("SERTOOLS_CORPORA", "corpora", override)


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Root of the content-addressed feature cache."""
    return _folder("SERTOOLS_CACHE", "cache", override)


def results_dir(override: str | os.PathLike | None = None) -> Path:
    """Root of result tables and checkpoints (keyed by config hash)."""
    return _folder("SERTOOLS_RESULTS", "results", override)


_HELD = threading.local()  # the locks this thread holds (a set of paths)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if needed) for the ``with`` block: other
    processes asking for the same lock wait. Released when the block ends or the process dies.
    Re-entrant within a thread (a nested ``with`` on the same path does not wait for itself).
    A lock that cannot be created (read-only folder) is a :class:`~sertools.storage.StateError`."""
    import fcntl

    from .parallel import refuse_while_importing_main
    from .storage import makedirs, state_error

    refuse_while_importing_main()  # a worker importing an unguarded script would wait for its parent's lock
    path = Path(path).absolute()
    held = _HELD.__dict__.setdefault("paths", set())
    if str(path) in held:
        yield
        return
    makedirs(path.parent)
    try:
        fh = open(path, "a")
    except OSError as err:
        raise state_error(path, err, "create the lock") from err
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        held.add(str(path))
        try:
            yield
        finally:
            held.discard(str(path))
            fcntl.flock(fh, fcntl.LOCK_UN)
