"""Mechanism knobs: the causes each paper's method exploits, declared once and turned by value.

A knob changes the *data* (how the simulated voices, recordings, raters or corpus selection
behave), never a method's code. Each knob says what it acts on:

* ``audio``: the rendered audio changes (a new corpus folder is written);
* ``ratings``: only the simulated raters change (the folder's metadata is rewritten, every audio
  file is reused from the shard store, so the feature cache is reused too);
* ``selection``: a deterministic subset of the existing utterances is kept when the corpus is
  loaded (same folder, same audio, same features).

A knob acts only on the corpora in its ``corpora`` (``*``: every corpus), so that turning Li's
confound does not regenerate the CREMA-D-like corpus. Each knob's random draws come from their own
stream (:func:`knob_rng`), independent of the knob's value and of the other knobs: two doses of a
knob are the same corpus with one cause turned. Non-default values of the ``audio`` and
``ratings`` knobs name the corpus folder (:func:`folder_tag`); every knob's value is in the
corpus's ``info`` and fingerprint, so no cache mixes two settings.

Design choices. Li's speaker–label confound is a *selection* (each speaker keeps its utterances
so that its label mix leans to a favoured class) rather than a speaker-dependent emotion prior at
plan time: it keeps the audio and the features, so a dose costs seconds, at the price of fewer
utterances at strong doses (the corpus's ``info['selection']`` says how many). Xi's fraction of
emotion data is a selection too (per speaker and label). Parry's label mix is a selection per
corpus. The recording gain is on by default (3 dB per component): absolute level is then a
relative cue, as in real recordings. Turning the knobs does not recalibrate anything: the
calibration (:mod:`sertools.calibration`) holds for the defaults.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

KINDS = ("audio", "ratings", "selection")


@dataclass(frozen=True)
class Knob:
    """One cause in the simulator."""

    meaning: str
    unit: str
    low: float
    high: float
    default: float
    paper: str
    acts_on: str
    corpora: tuple[str, ...]
    doses: tuple[float, float, float]   # absent, the book's default (or a middle dose), strong

    def describe(self) -> str:
        return f"{self.meaning} ({self.unit}, {self.low:g}–{self.high:g}, default {self.default:g})"


PARRY_CORPORA = ("emovo", "emodb", "iemocap", "epst", "ravdess", "savee", "tess", "crema-d")

KNOBS: dict[str, Knob] = {
    "gain_db": Knob(
        "recording gain: SD of a level offset drawn independently per corpus, per recording session and per "
        "speaker (summed), applied after the channel, so absolute level is a relative cue as in real recordings",
        "dB", 0.0, 12.0, 3.0, "all", "audio", ("*",), (0.0, 3.0, 6.0)),
    "li_confound": Knob(
        "speaker–label confound ρ: each speaker keeps its utterances so that its label mix is (1−ρ) × its own "
        "mix + ρ × one favoured class (four-class labels; a deterministic subsample)",
        "fraction", 0.0, 0.9, 0.0, "Li et al.", "selection", ("iemocap",), (0.0, 0.4, 0.8)),
    "li_style": Knob(
        "speaker-specific expression style: each speaker's emotion delta on each cue and emotion is multiplied "
        "by exp(N(0, σ)), rescaled to the same overall size",
        "log-SD σ", 0.0, 1.5, 0.0, "Li et al.", "audio", ("iemocap",), (0.0, 0.75, 1.5)),
    "chou_rater_angle": Knob(
        "systematic rater styles: each rater perceives valence as cos θ × latent valence + sin θ × latent arousal, "
        "with θ ~ N(0, SD) per rater (rater-specific cue weighting)",
        "degrees (SD)", 0.0, 60.0, 0.0, "Chou & Lee", "ratings", ("iemocap", "nnime"), (0.0, 25.0, 50.0)),
    "chou_rater_bias": Knob(
        "size of rater bias: SD of each rater's valence and arousal offset on the 1–5 scales",
        "scale points (SD)", 0.0, 1.5, 0.35, "Chou & Lee", "ratings", ("iemocap", "nnime"), (0.0, 0.35, 1.0)),
    "parry_channel": Knob(
        "cross-corpus channel severity of the out-of-domain corpora: noise, resonance, clipping and band-limiting "
        "of their non-studio channels × s (0: studio)",
        "× today's", 0.0, 3.0, 1.0, "Parry et al.", "audio", ("crema-d", "tess"), (0.0, 1.0, 2.5)),
    "parry_label_skew": Knob(
        "per-corpus label mix: each corpus keeps its utterances so that its polarity mix is (1−κ) × its own mix "
        "+ κ × one favoured polarity (a deterministic subsample; the favoured polarity differs between corpora)",
        "fraction", 0.0, 0.9, 0.0, "Parry et al.", "selection", PARRY_CORPORA, (0.0, 0.4, 0.8)),
    "xi_shared": Knob(
        "emotion-relevant structure shared with the speaker-pretraining corpus: the between-speaker spread of the "
        "VoxCeleb-like speakers on the cues emotion moves (F0, range, rate, level, tilt, breath, jitter) × s; "
        "0: its speakers differ in timbre only",
        "× today's", 0.0, 3.0, 1.0, "Xi et al.", "audio", ("voxceleb",), (0.0, 1.0, 2.5)),
    "emotion_fraction": Knob(
        "fraction of each speaker's emotion utterances kept (per speaker and label; a deterministic subsample)",
        "fraction", 0.05, 1.0, 1.0, "Xi et al.", "selection", ("iemocap", "cheavd"), (1.0, 0.5, 0.2)),
    "fan_gender_style": Knob(
        "gender-specific expression at equal overall size: women express emotion more through level and "
        "breathiness, men more through spectral tilt and rate (0: the same for both; 1: each gender uses its pair "
        "only); "
        "F0 and range stay gender-neutral (a 40-bin 0–4 kHz input barely resolves F0)",
        "0–1", 0.0, 1.0, 0.0, "Fan et al.", "audio", ("iemocap",), (0.0, 0.5, 1.0)),
}


class KnobError(ValueError):
    """An unknown knob, or a value out of its range."""


def validate(knobs: Mapping[str, Any] | str | None) -> dict[str, float]:
    """The canonical form of a knob setting: the non-default values only, as floats, sorted by
    name (``{}`` is the book's default corpus). Accepts a dict or its Python literal text."""
    if knobs is None:
        return {}
    if isinstance(knobs, str):
        import ast

        try:
            knobs = ast.literal_eval(knobs) if knobs.strip() else {}
        except (ValueError, SyntaxError) as err:
            raise KnobError(f"knobs must be a dict such as {{'gain_db': 0}}, got {knobs!r}") from err
    if not isinstance(knobs, Mapping):
        raise KnobError(f"knobs must be a dict such as {{'gain_db': 0}}, got {type(knobs).__name__}")
    out = {}
    for name, value in knobs.items():
        if name not in KNOBS:
            raise KnobError(f"unknown knob {name!r}; knobs: {', '.join(KNOBS)}")
        k = KNOBS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise KnobError(f"knob {name!r} takes a number, got {value!r}; {name}: {k.describe()}")
        if not k.low <= value <= k.high:
            raise KnobError(f"knob {name!r} = {value!r} is outside [{k.low:g}, {k.high:g}]; {name}: {k.describe()}")
        if float(value) != k.default:
            out[name] = float(value)
    return dict(sorted(out.items()))


def value(knobs: Mapping[str, float] | None, name: str) -> float:
    """A knob's value in a (validated) setting, its default when absent."""
    return float((knobs or {}).get(name, KNOBS[name].default))


def applies(name: str, corpus: str) -> bool:
    return "*" in KNOBS[name].corpora or corpus in KNOBS[name].corpora


def for_corpus(corpus: str, knobs: Mapping[str, float] | None, kinds: tuple[str, ...] = KINDS) -> dict[str, float]:
    """The non-default knobs of ``knobs`` that change ``corpus`` through one of ``kinds``."""
    return {k: v for k, v in validate(knobs).items() if applies(k, corpus) and KNOBS[k].acts_on in kinds}


def folder_tag(corpus: str, knobs: Mapping[str, float] | None) -> str:
    """``""`` for the default corpus, else ``+name=value`` for each non-default knob that changes
    the corpus's files (audio or ratings): part of the folder name, so two settings never share
    a folder. Selection knobs are applied at load time and do not name a folder."""
    return "".join(f"+{k}={v:g}" for k, v in for_corpus(corpus, knobs, ("audio", "ratings")).items())


def knob_rng(knob: str, corpus: str, seed: int, *key: object) -> np.random.Generator:
    """A generator for one knob's draws, keyed by the corpus, the corpus seed and ``key`` (a
    speaker, a rater, ...): independent of the knob's value and of every other draw."""
    parts = [seed, zlib.crc32(knob.encode()), zlib.crc32(corpus.encode())]
    parts += [zlib.crc32(str(k).encode()) for k in key]
    return np.random.default_rng(parts)


def table():
    """The knob table as a DataFrame (name, meaning, unit, range, default, doses, paper, acts on, corpora)."""
    import pandas as pd

    return pd.DataFrame([{"knob": n, "paper": k.paper, "meaning": k.meaning, "unit": k.unit,
                          "range": f"{k.low:g}–{k.high:g}", "default": k.default,
                          "doses": " / ".join(f"{d:g}" for d in k.doses), "acts on": k.acts_on,
                          "corpora": ", ".join(k.corpora)} for n, k in KNOBS.items()]).set_index("knob")
