"""Corpus plans: everything about a synthetic corpus decided up front, in the parent process.

A plan lists every utterance (speaker, emotion, strength, text, channel, seed, path) and the
metadata files to write. Audio is then rendered by worker processes from the plan alone, so
the result cannot depend on the number of workers or the order they finish in.
"""
from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .prosody import Rendition, Speaker, eSpeak_volume, latent_va, render, variant_file

SIZES = ("smoke", "book", "full", "dryrun", "meter")
# dryrun: full's speakers (and raters), smoke's utterances each; meter: the small corpora the mechanism
# meters read (sertools.mechanisms), for the corpora in METER_CORPORA only
METER_CORPORA = ("iemocap", "voxceleb", "crema-d")
SHARD_MAX = 48  # utterances per worker process; shards never split a speaker's first take


@dataclass
class Utt:
    utterance: str
    relpath: str
    speaker: Speaker
    emotion: str          # intended (acted) emotion, canonical
    intensity: float
    text: str
    language: str
    channel: str
    seed: int
    rendition: Rendition
    valence: float        # latent (expressed) valence / arousal on 1-5
    arousal: float
    meta: dict = field(default_factory=dict)
    gain_db: float = 0.0  # recording gain (knob gain_db; set by causes.recording_gains)
    severity: float = 1.0  # channel severity (knob parry_channel)

    def job(self, root: Path, sample_rate: int) -> dict:
        """What a worker needs to render this utterance (plain, picklable data)."""
        return dict(path=str(root / self.relpath), text=self.text, language=self.language,
                    variant=variant_file(self.speaker, self.rendition), rate=int(np.clip(self.rendition.wpm, 80, 450)),
                    volume=eSpeak_volume(self.rendition.vol_db), seed=self.seed, channel=self.channel,
                    severity=self.severity, gain_db=round(self.gain_db, 4), sample_rate=sample_rate)


@dataclass
class CorpusPlan:
    name: str
    sample_rate: int
    utts: list[Utt]
    write_metadata: Callable[[Path], None]
    layout_root: str = ""  # sub-folder the loader is pointed at ("" = the corpus folder itself)
    counts: dict[str, int] = field(default_factory=dict)

    def shards(self) -> list[list[int]]:
        """Consecutive groups of at most SHARD_MAX utterances, cut at speaker changes when possible."""
        out: list[list[int]] = []
        cur: list[int] = []
        for i, u in enumerate(self.utts):
            if cur and (len(cur) >= SHARD_MAX or (u.speaker.id != self.utts[cur[-1]].speaker.id
                                                  and len(cur) >= SHARD_MAX // 2)):
                out.append(cur)
                cur = []
            cur.append(i)
        if cur:
            out.append(cur)
        return out


def corpus_rng(name: str, seed: int) -> np.random.Generator:
    """The plan's generator: depends on the corpus name and seed only."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def make_utt(rng: np.random.Generator, utterance: str, relpath: str, spk: Speaker, emotion: str,
             intensity: float | None, text: str, channel: str, language: str | None = None, gain: float = 1.0,
             weights: dict[str, float] | None = None, **meta) -> Utt:
    """One planned utterance; intensity ``None`` draws ``gain`` × Beta(4, 2) (0 for neutral):
    ``gain`` is a corpus's expressiveness, calibrated per corpus (see the foundations chapter).
    ``weights`` scales the emotion's delta per cue (see :func:`.causes.expression_weights`)."""
    if intensity is None:
        intensity = 0.0 if emotion == "neutral" else gain * float(rng.beta(4, 2))
    rend = render(spk, emotion, intensity, rng, weights)
    v, a = latent_va(emotion, rend.strength, rng)
    return Utt(utterance, relpath, spk, emotion, float(intensity), text, language or spk.language, channel,
               int(rng.integers(2**31)), rend, float(v), float(a), meta)


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def write_manifest(root: Path, utts: list[Utt], name: str, language: str, extra: Callable[[Utt], dict] | None = None,
                   ratings: list[dict] | None = None) -> None:
    """The manifest layout (see :mod:`sertools.data.manifest`)."""
    import json

    rows = []
    for u in utts:
        row = dict(utterance=u.utterance, path=u.relpath, speaker=u.speaker.id, gender=u.speaker.gender,
                   emotion=u.meta.get("label", u.emotion), language=language)
        row.update(extra(u) if extra else {})
        rows.append(row)
    write_csv(root / "manifest.csv", rows)
    if ratings:
        write_csv(root / "ratings.csv", ratings)
    (root / "corpus.json").write_text(json.dumps({"name": name, "language": language}, indent=1))
