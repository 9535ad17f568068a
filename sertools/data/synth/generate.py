"""Render corpus plans to disk with eSpeak NG in fresh worker processes.

Determinism: every shard (a fixed group of utterances, decided by the plan) is rendered in a
**fresh process** (``max_tasks_per_child=1``) that loads the GPL-3 eSpeak NG library itself, and
every utterance is seeded. The study behind this generator found that the library keeps a
hidden flutter phase between utterances, so reusing a process would make the audio depend on
what it rendered before; with this scheme the bytes do not depend on the worker count.

Shard store: a shard's audio depends only on its jobs (texts, voices, seeds, channels, gains:
everything but the output paths) and on the rendering code, so each rendered shard is kept under
``<corpora>/.shards/<hash>/`` and corpus files are hard links to it. A knob that changes only the
ratings (or an edit of the plan code that leaves the jobs alone) writes a new corpus folder from
the store without rendering anything, with the same bytes, so the feature cache is reused too.
Knob settings (:mod:`.knobs`) name the folder: ``iemocap-book-s0+chou_rater_angle=50``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Mapping

from ...paths import corpora_dir, file_lock
from ...progress import bar
from ..corpus import SYNTHETIC_MARKER
from . import knobs as K
from .causes import channel_severity, recording_gains
from .plan import METER_CORPORA, SIZES, CorpusPlan
from .render import render_shard
from .specs_acted import plan_crema_d, plan_emodb, plan_emovo, plan_ravdess, plan_savee, plan_tess
from .specs_dyadic import plan_iemocap, plan_nnime
from .specs_other import plan_cheavd, plan_epst, plan_mosei, plan_voxceleb

GENERATOR_VERSION = "3"


def generator_hash() -> str:
    """Hash of the simulator's source that decides a corpus's content (plans, voices, raters,
    channels, rendering; not this driver): a corpus written by other code is rewritten."""
    import hashlib

    h = hashlib.sha256()
    here = Path(__file__).parent
    for p in [*sorted(here.glob("*.py")), here.parent / "audio.py"]:
        if p.name not in ("generate.py", "__init__.py", "__main__.py"):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def render_hash() -> str:
    """Hash of the code that turns a job into audio (and of the eSpeak NG wheel): the shard
    store's key, beside the jobs themselves."""
    from importlib import metadata

    h = hashlib.sha256(metadata.version("espeakng-loader").encode())
    here = Path(__file__).parent
    for p in (here / "render.py", here / "channels.py", here / "espeak.py", here.parent / "audio.py"):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


PLANNERS: dict[str, Callable[..., CorpusPlan]] = {
    "iemocap": plan_iemocap, "crema-d": plan_crema_d, "ravdess": plan_ravdess, "tess": plan_tess,
    "emodb": plan_emodb, "savee": plan_savee, "emovo": plan_emovo, "voxceleb": plan_voxceleb,
    "nnime": plan_nnime, "cheavd": plan_cheavd, "mosei": plan_mosei, "epst": plan_epst,
}
LOADER_OF = {"nnime": "manifest", "cheavd": "manifest", "mosei": "manifest", "epst": "manifest"}
NOTE = ("Synthetic speech rendered by eSpeak NG from a plan of speakers, emotions and raters: "
        "a didactic simulator with the layout of the real corpus, not real emotional speech.")


def _marker(folder: Path) -> dict | None:
    """The corpus's record; None when absent or corrupt (moved aside: the corpus is written again)."""
    from ...storage import read_json

    return read_json(folder / SYNTHETIC_MARKER)


def plan(name: str, size: str = "smoke", seed: int = 0, knobs: Mapping[str, float] | None = None) -> CorpusPlan:
    """The corpus plan of ``name`` under a knob setting, with recording gains and channel
    severities set (everything the audio and metadata are made from)."""
    if name not in PLANNERS:
        raise ValueError(f"no synthetic corpus {name!r}; available: {', '.join(PLANNERS)}")
    if size not in SIZES:
        raise ValueError(f"invalid size {size!r}; valid: {', '.join(SIZES)}")
    if size == "meter" and name not in METER_CORPORA:
        raise ValueError(f"the meter size exists for {', '.join(METER_CORPORA)} only, not {name!r}")
    knobs = K.validate(knobs)
    p = PLANNERS[name](size, seed, knobs)
    recording_gains(p.utts, name, seed, knobs)
    channel_severity(p.utts, name, knobs)
    return p


def folder_name(name: str, size: str, seed: int, knobs: Mapping[str, float] | None = None) -> str:
    """``<name>-<size>-s<seed>`` plus the non-default knobs that change the corpus's files."""
    return f"{name}-{size}-s{seed}{K.folder_tag(name, knobs)}"


def synthesize(name: str, root: str | os.PathLike | None = None, size: str = "smoke", seed: int = 0,
               workers: int | None = None, progress: bool = True, knobs: Mapping[str, float] | None = None,
               store: str | os.PathLike | None = None) -> Path:
    """Write the embedded corpus ``name`` in its real layout; return the path to ``load`` it from.

    Reuses a complete corpus with the same generator version, code, size, seed and knobs (those
    that change this corpus's files; see :mod:`.knobs`). Writes into a temporary folder first, so
    an interrupted run never leaves a half corpus behind. ``store``: the shard store (default
    ``<corpora>/.shards``).
    """
    knobs = K.for_corpus(name, knobs, ("audio", "ratings"))
    folder = Path(root) if root is not None else corpora_dir() / folder_name(name, size, seed, knobs)
    p = plan(name, size, seed, knobs)
    target = folder / p.layout_root if p.layout_root else folder
    if _complete(folder, size, seed, knobs):
        return target
    with file_lock(folder.parent / ".locks" / folder.name):  # concurrent runs: one writes, the others wait
        if not _complete(folder, size, seed, knobs):
            _write(name, p, folder, size, seed, knobs, workers, progress, Path(store or corpora_dir() / ".shards"))
    return target


def _complete(folder: Path, size: str, seed: int, knobs: dict) -> bool:
    done = _marker(folder)
    return bool(done and done.get("version") == GENERATOR_VERSION and done.get("size") == size
                and done.get("seed") == seed and done.get("code") == generator_hash()
                and done.get("knobs", {}) == knobs)


def _write(name: str, plan: CorpusPlan, folder: Path, size: str, seed: int, knobs: dict, workers: int | None,
           progress: bool, store: Path) -> None:
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    audio_root = partial / plan.layout_root if plan.layout_root else partial
    stats = _render(plan, audio_root, store, workers, progress, desc=f"synthesize {name} ({size})")
    plan.write_metadata(audio_root)
    marker = dict(generator="sertools.data.synth", version=GENERATOR_VERSION, code=generator_hash(), corpus=name,
                  size=size, seed=seed, knobs=knobs,
                  counts=plan.counts, sample_rate=plan.sample_rate, loader=LOADER_OF.get(name, name), note=NOTE,
                  stats=stats)
    (partial / SYNTHETIC_MARKER).write_text(json.dumps(marker, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def _shard_key(jobs: list[dict], code: str) -> str:
    from ...provenance import stable_hash

    return stable_hash({"code": code, "jobs": [{k: v for k, v in j.items() if k != "path"} for j in jobs]}, 20)


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: copy
        shutil.copyfile(src, dst)


def _publish(tmp: Path, final: Path) -> None:
    """Move a rendered shard into the store, its files read-only (corpus files are hard links to
    them: writing into a corpus file must not change the store)."""
    for f in tmp.glob("*.wav"):
        f.chmod(0o444)
    (tmp / "DONE").write_text("")
    if final.exists() and not (final / "DONE").exists():  # a shard an interrupted run left unfinished
        shutil.rmtree(final, ignore_errors=True)
    try:
        tmp.rename(final)
    except OSError:
        if not (final / "DONE").exists():
            raise
        # Another process stored the same shard first (same bytes). Its shard is never deleted:
        # that process may be linking its files into a corpus now.
        shutil.rmtree(tmp, ignore_errors=True)


def _render(plan: CorpusPlan, root: Path, store: Path, workers: int | None, progress: bool, desc: str) -> dict:
    """Render the plan's shards that ``store`` lacks, then link every file into ``root``.
    The statistics count the shards rendered now (a corpus written from the store has none)."""
    code = render_hash()
    shards = [[plan.utts[i].job(root, plan.sample_rate) for i in shard] for shard in plan.shards()]
    keys = [_shard_key(jobs, code) for jobs in shards]
    todo = [(k, jobs) for k, jobs in zip(keys, shards) if not (store / k / "DONE").exists()]
    from ...parallel import imap_unordered

    workers = max(1, min(workers or os.cpu_count() or 1, max(1, len(todo))))
    t0 = time.perf_counter()
    audio_s = cpu_s = 0.0
    with bar(total=len(plan.utts), desc=desc, unit="utt", disable=not progress) as pbar:
        pbar.update(len(plan.utts) - sum(len(j) for _, j in todo))
        if todo:
            tag = f"partial-{os.getpid()}"  # concurrent writers of one shard never share a folder
            jobs_in_store = []
            for k, jobs in todo:
                tmp = store / f"{k}.{tag}"
                shutil.rmtree(tmp, ignore_errors=True)
                jobs_in_store.append([{**j, "path": str(tmp / f"{i:03d}.wav")} for i, j in enumerate(jobs)])
            for secs, cpu, n in imap_unordered(render_shard, jobs_in_store, workers, max_tasks_per_child=1,
                                               preload=("soundfile", "sertools.data.audio",
                                                        "sertools.data.synth.channels", "sertools.data.synth.espeak")):
                audio_s += secs
                cpu_s += cpu
                pbar.update(n)
            for k, _ in todo:
                _publish(store / f"{k}.{tag}", store / k)
    for k, jobs in zip(keys, shards):
        for i, j in enumerate(jobs):
            _link(store / k / f"{i:03d}.wav", Path(j["path"]))
    wall = time.perf_counter() - t0
    return dict(utterances=len(plan.utts), rendered=sum(len(j) for _, j in todo), audio_hours=audio_s / 3600,
                wall_s=wall, worker_cpu_s=cpu_s, workers=workers,
                audio_hours_per_cpu_hour=audio_s / max(cpu_s, 1e-9))


def synthesize_all(size: str = "book", seed: int = 0, names: list[str] | None = None, workers: int | None = None,
                   progress: bool = True, knobs: Mapping[str, float] | None = None) -> dict[str, Path]:
    """Every embedded corpus (or ``names``) at ``size``."""
    return {n: synthesize(n, size=size, seed=seed, workers=workers, progress=progress, knobs=knobs)
            for n in (names or PLANNERS)}
