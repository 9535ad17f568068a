"""A content-addressed feature cache.

The key of an utterance's features is ``hash(audio bytes) + hash(extractor name, parameters,
versions, sample rate, the extractor's source code)``: renaming or moving a file reuses its
features, while changing a single extractor parameter, its code, or the audio itself recomputes
them. Arrays are stored one
``.npy`` per utterance under ``<cache>/features/<extractor key>/``, so subsets and supersets
of a corpus share work; every file is written atomically, and one that cannot be read (a disk
that filled up, a copy cut short) is moved aside and computed again. Audio hashes are memoised
in SQLite by (path, size, mtime, inode, ctime):
a file rewritten in place at the same size, even with its mtime restored, changes its ctime.
"""
from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..data.audio import content_hash, read_audio
from ..paths import cache_dir, file_lock
from ..profiling import timed
from ..storage import atomic_write, makedirs, quarantine, read_or_quarantine, state_error, write_text
from ..progress import bar

if TYPE_CHECKING:
    from .extractors import Extractor


class AudioHashIndex:
    """path → BLAKE2b of its bytes, memoised by (size, mtime, inode, ctime) in
    ``<cache>/audio_index.sqlite``. An index that is not a database any more is moved aside
    and rebuilt; a read-only cache folder is a :class:`~sertools.storage.StateError`."""

    def __init__(self, root: Path | None = None):
        self.path = (root or cache_dir()) / "audio_index.v2.sqlite"
        try:
            self._execute(lambda db: db.execute("CREATE TABLE IF NOT EXISTS audio (path TEXT PRIMARY KEY, stamp TEXT, "
                                                "hash TEXT)"))
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError):
                raise
            quarantine([self.path], err)  # "file is not a database": rebuilt (it only memoises hashes)
            self._execute(lambda db: db.execute("CREATE TABLE audio (path TEXT PRIMARY KEY, stamp TEXT, hash TEXT)"))

    def _execute(self, work):
        """``work(db)`` in a transaction; a read-only or full cache folder becomes a StateError."""
        try:
            with sqlite3.connect(self.path, timeout=60) as db:
                return work(db)
        except sqlite3.OperationalError as err:
            text = str(err)
            if "readonly" in text or "unable to open" in text or "is full" in text:
                raise state_error(self.path, OSError(errno.ENOSPC if "is full" in text else errno.EROFS, text)) from err
            raise

    def hashes(self, paths: Sequence[str]) -> list[str]:
        stats = [os.stat(p) for p in paths]
        known = {row[0]: row[1:] for row in self._execute(
            lambda db: db.execute("SELECT path, stamp, hash FROM audio").fetchall())}
        out, new = [], []
        for p, st in zip(paths, stats):
            stamp = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"
            rec = known.get(p)
            if rec and rec[0] == stamp:
                out.append(rec[1])
            else:
                h = content_hash(p)
                out.append(h)
                new.append((p, stamp, h))
        if new:
            self._execute(lambda db: db.executemany("INSERT OR REPLACE INTO audio VALUES (?, ?, ?)", new))
        return out


class FeatureStore:
    """The ``.npy`` files of one extractor configuration (written atomically; a file that cannot
    be read is moved aside and recomputed)."""

    def __init__(self, extractor: "Extractor", root: Path | None = None):
        self.extractor, self.root = extractor, root or cache_dir()
        self.dir = makedirs(self.root / "features" / f"{extractor.name}-{extractor.key()}")
        spec = self.dir / "extractor.txt"
        if not spec.exists():
            write_text(spec, repr(extractor.describe()) + "\n")

    def file(self, audio_hash: str) -> Path:
        return self.dir / audio_hash[:2] / f"{audio_hash}.npy"

    def has(self, audio_hash: str) -> bool:
        return self.file(audio_hash).exists()

    def load(self, audio_hash: str) -> np.ndarray:
        return np.load(self.file(audio_hash))

    def read(self, audio_hash: str) -> np.ndarray | None:
        """The stored array; None when absent, or unreadable (then moved aside with a warning)."""
        return read_or_quarantine(self.file(audio_hash), np.load)

    def save(self, audio_hash: str, array: np.ndarray) -> None:
        with atomic_write(self.file(audio_hash)) as fh:  # an interrupted run or a full disk never leaves a half file
            np.save(fh, np.ascontiguousarray(array))


def _work(args: tuple) -> None:
    """Worker process: extract and store the features of a list of (path, audio hash), with one
    torch thread (the worker processes share the cores)."""
    import multiprocessing as mp
    import sys

    extractor, items, root = args
    if "torch" in sys.modules and mp.parent_process() is not None:
        sys.modules["torch"].set_num_threads(1)
    store = FeatureStore(extractor, root)
    for path, h in items:
        store.save(h, extractor.compute(read_audio(path, extractor.sample_rate)))


@timed("features")
def extract(paths: Iterable[str], extractor: "Extractor", workers: int | None = None, progress: bool = True,
            device: str = "auto", stats: dict | None = None) -> list[np.ndarray]:
    """Features of every file in ``paths`` (in order), computing only what the cache lacks.

    On the CPU every extractor runs file by file over worker processes with one thread each;
    tensor extractors run batched in this process on CUDA (``device="auto"`` when present). One
    process per core, one thread each: torch's FFTs on two threads ran 5-17× slower than on one on
    a busy 2-core machine (Li's, Parry's, Xi's and Fan's spectrograms; the features bit-identical).
    """
    paths = [str(p) for p in paths]
    t0 = time.perf_counter()
    hashes = AudioHashIndex().hashes(paths)
    store = FeatureStore(extractor)
    todo = sorted({h: p for p, h in zip(paths, hashes) if not store.has(h)}.items())
    if todo:  # one process computes an extractor's features at a time; the others then read them
        with file_lock(store.dir / "extract.lock"):
            _compute([(h, p) for h, p in todo if not store.has(h)], extractor, store, workers, progress, device)
    arrays = {h: store.read(h) for h in dict.fromkeys(hashes)}
    corrupt = sorted({h: p for p, h in zip(paths, hashes) if arrays[h] is None}.items())
    if corrupt:  # moved aside by read(): computed again
        with file_lock(store.dir / "extract.lock"):
            _compute([(h, p) for h, p in corrupt if not store.has(h)], extractor, store, workers, progress, device)
        arrays.update({h: store.load(h) for h, _ in corrupt})
        todo += corrupt
    out = [arrays[h] for h in hashes]
    if stats is not None:
        stats.update(computed=len(todo), reused=len(set(hashes)) - len(todo), seconds=time.perf_counter() - t0)
    return out


GPU_BATCH, CPU_BATCH = 32, 1
"""Files per call of a batched extractor. On CPU one at a time: a batch's spectrograms are fresh
tensors of tens of MB, which the allocator maps anew for each batch, and the kernel's page faults
cost more than the FFTs (measured on 256 files: Fan's and Xi's spectrograms 6× and 8× faster one
file at a time than 32 at a time; the features are bit-identical, see the tests)."""


def _compute(todo: list[tuple[str, str]], extractor: "Extractor", store: FeatureStore, workers: int | None,
             progress: bool, device: str) -> None:
    """Compute and store the features of ``todo`` (audio hash, path): batched in this process, or
    over worker processes."""
    import multiprocessing as mp

    desc = f"features {extractor.name}"
    if mp.parent_process() is not None:  # already in a worker (a unit reading features): no pool in a pool
        workers = 1
    on_cuda = False
    if todo and extractor.batched:
        from ..config import resolve_device

        on_cuda = str(resolve_device(device)).startswith("cuda")  # "auto": batched on CUDA when present
    if on_cuda or todo and extractor.batched and min(workers or os.cpu_count() or 1, len(todo)) == 1:
        batch = GPU_BATCH if on_cuda else CPU_BATCH
        device = "cuda" if on_cuda else "cpu"
        for i in bar(range(0, len(todo), batch), desc=desc, disable=not progress, leave=False):
            chunk = todo[i:i + batch]
            waves = [read_audio(p, extractor.sample_rate) for _, p in chunk]
            for (h, _), arr in zip(chunk, extractor.compute_batch(waves, device)):
                store.save(h, arr)
    elif todo:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        groups = [[(p, h) for h, p in todo[i::n * 4]] for i in range(n * 4)]
        groups = [g for g in groups if g]
        if n == 1:
            for g in bar(groups, desc=desc, disable=not progress, leave=False):
                _work((extractor, g, store.root))
        else:
            from ..parallel import imap_unordered

            with bar(total=len(groups), desc=desc, disable=not progress) as pbar:
                for _ in imap_unordered(_work, [(extractor, g, store.root) for g in groups], n):
                    pbar.update()
