"""Render corpus plans to disk with eSpeak NG in fresh worker processes.

Determinism: every shard (a fixed group of utterances, decided by the plan) is rendered in a
**fresh process** (``max_tasks_per_child=1``) that loads the GPL-3 eSpeak NG library itself, and
every utterance is seeded. The study behind this generator found that the library keeps a
hidden flutter phase between utterances, so reusing a process would make the audio depend on
what it rendered before; with this scheme the bytes do not depend on the worker count.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable

from ...paths import corpora_dir, file_lock
from ...progress import bar
from ..corpus import SYNTHETIC_MARKER
from .plan import SIZES, CorpusPlan
from .render import render_shard
from .specs_acted import plan_crema_d, plan_emodb, plan_emovo, plan_ravdess, plan_savee, plan_tess
from .specs_dyadic import plan_iemocap, plan_nnime
from .specs_other import plan_cheavd, plan_epst, plan_mosei, plan_voxceleb

GENERATOR_VERSION = "2"


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
PLANNERS: dict[str, Callable[[str, int], CorpusPlan]] = {
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


def synthesize(name: str, root: str | os.PathLike | None = None, size: str = "smoke", seed: int = 0,
               workers: int | None = None, progress: bool = True) -> Path:
    """Write the embedded corpus ``name`` in its real layout; return the path to ``load`` it from.

    Reuses a complete corpus with the same generator version, size and seed. Writes into a
    temporary folder first, so an interrupted run never leaves a half corpus behind.
    """
    if name not in PLANNERS:
        raise ValueError(f"no synthetic corpus {name!r}; available: {', '.join(PLANNERS)}")
    if size not in SIZES:
        raise ValueError(f"invalid size {size!r}; valid: {', '.join(SIZES)}")
    folder = Path(root) if root is not None else corpora_dir() / f"{name}-{size}-s{seed}"
    plan = PLANNERS[name](size, seed)
    target = folder / plan.layout_root if plan.layout_root else folder
    if _complete(folder, size, seed):
        return target
    with file_lock(folder.parent / ".locks" / folder.name):  # concurrent runs: one writes, the others wait
        if not _complete(folder, size, seed):
            _write(name, plan, folder, size, seed, workers, progress)
    return target


def _complete(folder: Path, size: str, seed: int) -> bool:
    done = _marker(folder)
    return bool(done and done.get("version") == GENERATOR_VERSION and done.get("size") == size
                and done.get("seed") == seed and done.get("code") == generator_hash())


def _write(name: str, plan: CorpusPlan, folder: Path, size: str, seed: int, workers: int | None,
           progress: bool) -> None:
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    audio_root = partial / plan.layout_root if plan.layout_root else partial
    stats = _render(plan, audio_root, workers, progress, desc=f"synthesize {name} ({size})")
    plan.write_metadata(audio_root)
    marker = dict(generator="sertools.data.synth", version=GENERATOR_VERSION, code=generator_hash(), corpus=name,
                  size=size, seed=seed,
                  counts=plan.counts, sample_rate=plan.sample_rate, loader=LOADER_OF.get(name, name), note=NOTE,
                  stats=stats)
    (partial / SYNTHETIC_MARKER).write_text(json.dumps(marker, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def _render(plan: CorpusPlan, root: Path, workers: int | None, progress: bool, desc: str) -> dict:
    shards = [[plan.utts[i].job(root, plan.sample_rate) for i in shard] for shard in plan.shards()]
    from ...parallel import imap_unordered

    workers = max(1, min(workers or os.cpu_count() or 1, len(shards)))
    t0 = time.perf_counter()
    audio_s = cpu_s = 0.0
    with bar(total=len(plan.utts), desc=desc, unit="utt", disable=not progress) as pbar:
        for secs, cpu, n in imap_unordered(render_shard, shards, workers, max_tasks_per_child=1,
                                           preload=("soundfile", "sertools.data.audio", "sertools.data.synth.channels",
                                                    "sertools.data.synth.espeak")):
            audio_s += secs
            cpu_s += cpu
            pbar.update(n)
    wall = time.perf_counter() - t0
    return dict(utterances=len(plan.utts), audio_hours=audio_s / 3600, wall_s=wall, worker_cpu_s=cpu_s,
                workers=workers, audio_hours_per_cpu_hour=audio_s / max(cpu_s, 1e-9))


def synthesize_all(size: str = "book", seed: int = 0, names: list[str] | None = None, workers: int | None = None,
                   progress: bool = True) -> dict[str, Path]:
    """Every embedded corpus (or ``names``) at ``size``."""
    return {n: synthesize(n, size=size, seed=seed, workers=workers, progress=progress) for n in (names or PLANNERS)}
