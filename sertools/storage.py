"""State on disk that never lies: atomic writes, corrupt entries moved aside, errors that say what to do.

Every cache entry the package writes (result units, feature arrays, checkpoints, the audio-hash
index, corpus markers) goes through :func:`atomic_write`: the bytes go to a temporary name in the
same folder, which is renamed over the target only when the write finished, so a killed process
or a full disk never leaves a half file under the real name, and the temporary is removed when
the write fails. A reader that finds an entry it cannot parse calls :func:`quarantine`: the
file is renamed ``*.corrupt`` with one warning naming it, and the caller recomputes it. A write
that fails because the disk is full or the folder is read-only raises :class:`StateError`, which
names the path and what to do.
"""
from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import pickle
import shutil
import threading
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

CORRUPT = (ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, pickle.UnpicklingError, UnicodeDecodeError)
"""What reading a truncated or garbled ``.json``, ``.npy``, ``.npz`` or ``.pt`` raises (``json``'s
decode error is a ValueError; numpy's "EOF: reading array header" too)."""

WHERE = ("point SERTOOLS_HOME (or SERTOOLS_RESULTS, SERTOOLS_CACHE, SERTOOLS_CORPORA) at a folder "
         "on a writable disk with room")


class StateError(RuntimeError):
    """A state folder cannot be written (read-only, full disk) or read; the message names the path."""


class CorruptResultWarning(UserWarning):
    """A stored entry could not be read; it was moved aside (``*.corrupt``) and is recomputed."""


def state_error(path: str | os.PathLike, err: OSError, doing: str = "write") -> StateError:
    """``err`` (raised while writing ``path``) as a :class:`StateError` that says what to do."""
    path = Path(path)
    text = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT) or "requested and" in text and "written" in text:
        try:
            free = shutil.disk_usage(_existing(path)).free / 2**20
            room = f"; {free:.0f} MB free there"
        except OSError:
            room = ""
        return StateError(f"cannot {doing} {path}: the disk is full ({text}{room}); free some space, or {WHERE}")
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        return StateError(f"cannot {doing} {path}: the folder is read-only ({text}); make it writable, or {WHERE}")
    return StateError(f"cannot {doing} {path}: {text}")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def makedirs(folder: str | os.PathLike) -> Path:
    """``mkdir -p folder``, or a :class:`StateError` that names it (read-only, full disk)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise state_error(folder, err, "create") from err
    return folder


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Write ``target`` through a file handle, all or nothing::

        with atomic_write(path) as fh:
            np.save(fh, array)

    The handle writes to ``.<name>.<pid>.<thread>.tmp`` beside ``target``; it is renamed over
    ``target`` when the block ends, and removed when the block or the write fails (an
    ``OSError`` becomes a :class:`StateError` naming ``target``). Temporaries of ``target`` that a
    killed process left behind are removed on the next write."""
    target = Path(target)
    makedirs(target.parent)
    _remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, mode) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) and not isinstance(err, StateError):
            raise state_error(target, err) from err
        raise


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporaries of ``target`` left by processes that were killed while writing it (a
    failed write removes its own; SIGKILL leaves no chance to)."""
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            pid = int(tmp.name[len(target.name) + 2:].split(".", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except (ValueError, PermissionError):
            continue


def write_text(target: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write` of a text file (UTF-8)."""
    with atomic_write(target, "w") as fh:
        fh.write(text)


def quarantine(paths: Iterable[str | os.PathLike], err: BaseException, stacklevel: int = 3) -> list[Path]:
    """Move unreadable entries aside (``<name>.corrupt``) with one warning that names them and the
    error; → the paths moved. Another process may have moved or replaced them already: no error."""
    moved = []
    for p in map(Path, paths):
        with contextlib.suppress(FileNotFoundError):
            p.replace(p.with_name(p.name + ".corrupt"))
            moved.append(p)
    warnings.warn(f"could not read {', '.join(map(str, moved)) or 'a stored entry'} ({type(err).__name__}: {err}); "
                  f"moved aside as *.corrupt and recomputing", CorruptResultWarning, stacklevel=stacklevel)
    return moved


def read_or_quarantine(path: str | os.PathLike, reader: Callable[[Path], T], also: Iterable[str | os.PathLike] = (),
                       corrupt: tuple[type[BaseException], ...] = ()) -> T | None:
    """``reader(path)``; None when ``path`` is absent, or when it is corrupt (then it and ``also`` are
    moved aside by :func:`quarantine`). ``corrupt``: errors of ``reader`` that mean corruption besides
    :data:`CORRUPT` (torch's RuntimeError). A file that cannot be opened (permissions) is an error."""
    path = Path(path)
    try:
        return reader(path)
    except FileNotFoundError:
        return None
    except PermissionError as err:
        raise state_error(path, err, "read") from err
    except (*CORRUPT, *corrupt, OSError) as err:
        quarantine([path, *also], err, stacklevel=4)
        return None


def read_json(path: str | os.PathLike) -> Any | None:
    """A JSON file's content; None when absent or corrupt (moved aside with a warning)."""
    return read_or_quarantine(path, lambda p: json.loads(p.read_text()))
