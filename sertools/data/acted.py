"""Acted corpora whose labels live in file names: CREMA-D, RAVDESS, TESS, Emo-DB, SAVEE, EMOVO.

Each loader matches the **basename** against a strict per-corpus pattern, so a parent folder
called ``CREMA_D`` or ``my_data_v2`` cannot shift a field. Files that do not match are
reported, known defective files are excluded (see :mod:`sertools.data.anomalies`), and the
counts are checked against the release (or against the generator's record for the
embedded corpora).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Callable

import pandas as pd

from .anomalies import excluded
from .columns import Column, read_csv
from .corpus import Corpus, CorpusLayoutError, check_counts, make_table, read_marker, require_dir


def _scan(root: Path, name: str, layout: str, pattern: re.Pattern,
          keep: Callable[[Path, re.Match], bool] = lambda p, m: True) -> list[tuple[Path, re.Match]]:
    wavs = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".wav" and p.is_file())
    hits, strays = [], []
    for p in wavs:
        m = pattern.fullmatch(p.stem + ".wav")  # extensions match case-insensitively (.WAV, .Wav)
        if m is None:
            strays.append(p.name)
        elif keep(p, m):
            hits.append((p, m))
    if not hits:
        detail = f"no file names match the {name} pattern ({len(wavs)} .wav files found"
        detail += f", e.g. {strays[:3]})" if strays else ")"
        raise CorpusLayoutError(name, root, layout, detail)
    if strays:
        warnings.warn(f"{name}: {len(strays)} .wav files under {root} do not match the naming scheme "
                      f"and were skipped, e.g. {strays[:3]}", stacklevel=3)
    return hits


def _finish(name: str, root: Path, rows: list[dict], language: str, release: dict[str, int],
            strict: bool) -> Corpus:
    marker = read_marker(root)
    bad = excluded(name)
    kept = [r for r in rows if r["utterance"] not in bad]
    dropped = pd.DataFrame([dict(utterance=r["utterance"], path=r["path"], reason=bad[r["utterance"]])
                            for r in rows if r["utterance"] in bad])
    df = make_table(kept, name, language)
    observed = {"total": len(rows)}
    expected = marker.get("counts", {}) if marker else release
    check_counts(name, observed, {k: v for k, v in expected.items() if k == "total"}, strict,
                 source="the generator's record" if marker else "the known release")
    return Corpus(name, root, df, None, synthetic=marker is not None, info=marker or {}, excluded=dropped)


# --------------------------------------------------------------------------- CREMA-D
CREMA_LAYOUT = """CREMA-D/
  AudioWAV/1001_DFA_ANG_XX.wav        ({actor}_{sentence}_{ANG|DIS|FEA|HAP|NEU|SAD}_{LO|MD|HI|XX})
  VideoDemographics.csv               (ActorID, Age, Sex, Race, Ethnicity)"""
CREMA_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
DEMOGRAPHICS = {"ActorID": Column("integer", required=True, missing=False, low=1000, high=9999),
                "Sex": Column("gender", required=True)}
_CREMA = re.compile(r"(\d{4})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX|X)\.wav")


def load_crema_d(root: str | Path, strict: bool = False) -> Corpus:
    """CREMA-D: gender from ``VideoDemographics.csv`` (not derivable from the file name)."""
    root = require_dir(root, "crema-d", CREMA_LAYOUT)
    demo_path = next(iter(root.rglob("VideoDemographics.csv")), None)
    if demo_path is None:
        raise CorpusLayoutError("crema-d", root, CREMA_LAYOUT, "VideoDemographics.csv not found")
    demo = read_csv(demo_path, DEMOGRAPHICS, id_column="ActorID")
    sex = dict(zip(demo.ActorID, demo.Sex))
    rows = []
    for p, m in _scan(root, "crema-d", CREMA_LAYOUT, _CREMA):
        actor, sentence, emo, level = m.groups()
        if int(actor) not in sex:
            raise ValueError(f"crema-d: actor {actor} of {p.name} is missing from {demo_path}")
        rows.append(dict(utterance=p.stem, path=str(p), speaker=actor, gender=sex[int(actor)],
                         emotion=CREMA_EMOTIONS[emo], sentence=sentence, intensity=level))
    return _finish("crema-d", root, rows, "en", {"total": 7442}, strict)


# --------------------------------------------------------------------------- RAVDESS
RAVDESS_LAYOUT = """RAVDESS/ (Audio_Speech_Actors_01-24)
  Actor_01/03-01-06-01-02-01-01.wav   (modality-channel-emotion-intensity-statement-repetition-actor)"""
RAVDESS_EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fear", 7: "disgust", 8: "surprise"}
_RAVDESS = re.compile(r"(0[1-3])-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d{2})\.wav")


def load_ravdess(root: str | Path, strict: bool = False) -> Corpus:
    """RAVDESS speech only (audio-only modality 03, vocal channel 01); odd actors are male."""
    root = require_dir(root, "ravdess", RAVDESS_LAYOUT)
    keep = lambda p, m: m.group(1) == "03" and m.group(2) == "01"  # noqa: E731
    rows = []
    for p, m in _scan(root, "ravdess", RAVDESS_LAYOUT, _RAVDESS, keep):
        _, _, emo, inten, stmt, rep, actor = m.groups()
        rows.append(dict(utterance=p.stem, path=str(p), speaker=f"Actor_{actor}",
                         gender="M" if int(actor) % 2 else "F", emotion=RAVDESS_EMOTIONS[int(emo)],
                         intensity="strong" if inten == "02" else "normal", sentence=int(stmt),
                         repetition=int(rep)))
    return _finish("ravdess", root, rows, "en", {"total": 1440}, strict)


# --------------------------------------------------------------------------- TESS
TESS_LAYOUT = """TESS/  (nested or flat; any sample rate)
  OAF_angry/OAF_back_angry.wav   or   OAF_back_angry.wav
  ({OAF|YAF}_{word}_{angry|disgust|fear|happy|ps|sad|neutral}.wav)"""
TESS_EMOTIONS = {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
                 "ps": "surprise", "sad": "sad", "neutral": "neutral"}
_TESS = re.compile(r"(OAF|YAF)_([A-Za-z]+)_(angry|disgust|fear|happy|ps|sad|neutral)\.wav", re.IGNORECASE)


def load_tess(root: str | Path, strict: bool = False) -> Corpus:
    """TESS: two female speakers (OAF older, YAF younger); use as out-of-domain test only."""
    root = require_dir(root, "tess", TESS_LAYOUT)
    rows = []
    for p, m in _scan(root, "tess", TESS_LAYOUT, _TESS):
        spk, word, emo = m.groups()
        rows.append(dict(utterance=p.stem, path=str(p), speaker=spk.upper(), gender="F",
                         emotion=TESS_EMOTIONS[emo.lower()], word=word.lower()))
    return _finish("tess", root, rows, "en", {"total": 2800}, strict)


# --------------------------------------------------------------------------- Emo-DB
EMODB_LAYOUT = """EmoDB/
  wav/03a01Wa.wav      (speaker 2 digits, text code, emotion letter W L E A F T N, version)"""
EMODB_EMOTIONS = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fear", "F": "happy", "T": "sad", "N": "neutral"}
EMODB_MALE = {"03", "10", "11", "12", "15"}
_EMODB = re.compile(r"(\d{2})([ab]\d{2})([WLEAFTN])([a-z])\.wav")


def load_emodb(root: str | Path, strict: bool = False) -> Corpus:
    """Berlin Emo-DB: ten actors (male 03, 10, 11, 12, 15), German."""
    root = require_dir(root, "emodb", EMODB_LAYOUT)
    rows = []
    for p, m in _scan(root, "emodb", EMODB_LAYOUT, _EMODB):
        spk, text, emo, version = m.groups()
        rows.append(dict(utterance=p.stem, path=str(p), speaker=spk, gender="M" if spk in EMODB_MALE else "F",
                         emotion=EMODB_EMOTIONS[emo], sentence=text, version=version))
    return _finish("emodb", root, rows, "de", {"total": 535}, strict)


# --------------------------------------------------------------------------- SAVEE
SAVEE_LAYOUT = """SAVEE/  (either layout)
  AudioData/DC/a01.wav          (original: speaker folder DC JE JK KL, code a d f h n sa su + number)
  DC_a01.wav                    (flat, as on Kaggle)"""
SAVEE_EMOTIONS = {"a": "angry", "d": "disgust", "f": "fear", "h": "happy", "n": "neutral", "sa": "sad", "su": "surprise"}
_SAVEE_FLAT = re.compile(r"(DC|JE|JK|KL)_(a|d|f|h|n|sa|su)(\d{2})\.wav")
_SAVEE_NESTED = re.compile(r"(a|d|f|h|n|sa|su)(\d{2})\.wav")


def load_savee(root: str | Path, strict: bool = False) -> Corpus:
    """SAVEE: four male British speakers; both the original and the flat layout."""
    root = require_dir(root, "savee", SAVEE_LAYOUT)
    either = re.compile(f"(?:{_SAVEE_FLAT.pattern})|(?:{_SAVEE_NESTED.pattern})")
    rows = []
    for p, _ in _scan(root, "savee", SAVEE_LAYOUT, either):
        m = _SAVEE_FLAT.fullmatch(p.name)
        if m:
            spk, code, num = m.groups()
        else:
            code, num = _SAVEE_NESTED.fullmatch(p.name).groups()
            spk = p.parent.name
            if spk not in {"DC", "JE", "JK", "KL"}:
                raise CorpusLayoutError("savee", root, SAVEE_LAYOUT, f"{p} is not inside a speaker folder")
        rows.append(dict(utterance=f"{spk}_{code}{num}", path=str(p), speaker=spk, gender="M",
                         emotion=SAVEE_EMOTIONS[code], sentence=int(num)))
    return _finish("savee", root, rows, "en", {"total": 480}, strict)


# --------------------------------------------------------------------------- EMOVO
EMOVO_LAYOUT = """EMOVO/
  f1/gio-f1-b1.wav     ({dis|gio|neu|pau|rab|sor|tri}-{f1..f3|m1..m3}-{sentence}.wav)"""
EMOVO_EMOTIONS = {"dis": "disgust", "gio": "happy", "neu": "neutral", "pau": "fear", "rab": "angry",
                  "sor": "surprise", "tri": "sad"}
_EMOVO = re.compile(r"(dis|gio|neu|pau|rab|sor|tri)-([fm][1-3])-([a-z]\d)\.wav")


def load_emovo(root: str | Path, strict: bool = False) -> Corpus:
    """EMOVO: six Italian actors (f1–f3, m1–m3)."""
    root = require_dir(root, "emovo", EMOVO_LAYOUT)
    rows = []
    for p, m in _scan(root, "emovo", EMOVO_LAYOUT, _EMOVO):
        emo, actor, sentence = m.groups()
        rows.append(dict(utterance=p.stem, path=str(p), speaker=actor, gender=actor[0].upper(),
                         emotion=EMOVO_EMOTIONS[emo], sentence=sentence))
    return _finish("emovo", root, rows, "it", {"total": 588}, strict)
