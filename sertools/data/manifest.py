"""The manifest layout: any corpus as two CSV files (NNIME, CHEAVD, CMU-MOSEI, EPST, your own).

``<root>/manifest.csv`` (one row per utterance)

===============  ========  ==============================================================
column           required  meaning
===============  ========  ==============================================================
utterance        yes       unique id
path             yes       audio file, relative to ``<root>`` (or absolute)
speaker          yes       speaker id, unique within the corpus
gender           yes       ``F`` / ``M`` (empty when unknown)
emotion          yes       canonical label (see ``sertools.data.EMOTIONS``), empty if none
language         no        ISO-like code (``en``, ``cmn``...); default from ``corpus.json``
session          no        recording session / dyad (used for grouped folds)
split            no        a predefined partition (``train``, ``val``, ``test``)
emotion_raw      no        the corpus's own label before mapping
valence, arousal no        consensus dimensional labels
anything else    no        kept as extra columns (e.g. MOSEI presence ratings ``p_happy``)
===============  ========  ==============================================================

``<root>/ratings.csv`` (optional; one row per utterance × rater): ``utterance, rater,
is_self, emotion, valence, arousal, dominance`` (empty where a rater gave no such value).

``<root>/corpus.json`` (optional): ``{"name": "nnime", "language": "cmn"}``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .corpus import EMOTIONS, RATING_COLUMNS, Corpus, CorpusLayoutError, check_counts, read_marker, require_dir

LAYOUT = """<root>/
  manifest.csv   (utterance, path, speaker, gender, emotion [, language, session, split, ...])
  ratings.csv    (optional: utterance, rater, is_self, emotion, valence, arousal, dominance)
  corpus.json    (optional: {"name": ..., "language": ...})
  audio files at the paths the manifest names"""
REQUIRED = ("utterance", "path", "speaker", "gender", "emotion")


GENDERS = {"f": "F", "female": "F", "w": "F", "woman": "F", "m": "M", "male": "M", "man": "M"}


def normalise_gender(gender: pd.Series, ids: pd.Series, name: str) -> pd.Series:
    """``f``, ``Female``, ``F`` → ``F`` (and likewise ``M``), case-insensitively; empty stays
    unknown; anything else is an error that names the offending rows."""
    text = gender.astype("string").str.strip().str.lower()
    out = text.map(GENDERS)
    bad = text.notna() & (text != "") & out.isna()
    if bad.any():
        raise ValueError(f"{name}: manifest gender must be F/M (female/male, any case) or empty; found "
                         f"{sorted(set(gender[bad].astype(str)))[:5]} in rows {ids[bad].head(5).tolist()}")
    return out.astype(object).where(out.notna(), None)


def load(root: str | Path, name: str | None = None, strict: bool = False) -> Corpus:
    """Load a manifest corpus; every listed audio file must exist."""
    root = require_dir(root, name or "manifest", LAYOUT)
    mpath = root / "manifest.csv"
    if not mpath.exists():
        raise CorpusLayoutError(name or "manifest", root, LAYOUT, "manifest.csv not found")
    meta = json.loads((root / "corpus.json").read_text()) if (root / "corpus.json").exists() else {}
    name = name or meta.get("name", root.name)
    df = pd.read_csv(mpath, dtype={"utterance": str, "speaker": str, "gender": str, "emotion": str})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise CorpusLayoutError(name, root, LAYOUT, f"manifest.csv lacks column(s) {missing}")
    df["path"] = [str(p if Path(p).is_absolute() else root / p) for p in df.path]
    absent = [p for p in df.path if not Path(p).is_file()]
    if absent:
        dirs = [p for p in absent if Path(p).is_dir()]
        raise CorpusLayoutError(name, root, LAYOUT, f"{len(absent)} listed audio files are missing or not files"
                                f"{f' ({len(dirs)} are folders)' if dirs else ''}, e.g. {absent[:3]}")
    blank = df.speaker.isna() | (df.speaker.astype(str).str.strip() == "")
    if blank.any():
        raise ValueError(f"{name}: manifest.csv has {int(blank.sum())} rows without a speaker (speaker-independent "
                         f"folds need one), e.g. utterances {df.utterance[blank].head(3).tolist()}")
    df["gender"] = normalise_gender(df.gender, df.utterance, name)
    bad = sorted(set(df.emotion.dropna()) - set(EMOTIONS))
    if bad:
        raise ValueError(f"{name}: manifest emotions must be canonical ({', '.join(EMOTIONS)}); found {bad}. "
                         "Keep the corpus's own label in an 'emotion_raw' column.")
    df["corpus"] = name
    if "language" not in df:
        df["language"] = meta.get("language", "und")
    df["emotion"] = df.emotion.astype("string")
    df = df.set_index("utterance").sort_index()
    ratings = None
    rpath = root / "ratings.csv"
    if rpath.exists():
        ratings = pd.read_csv(rpath, dtype={"utterance": str, "rater": str, "emotion": str})
        lacking = [c for c in RATING_COLUMNS if c not in ratings.columns]
        if lacking:
            raise CorpusLayoutError(name, root, LAYOUT, f"ratings.csv lacks column(s) {lacking}")
        unknown = set(ratings.utterance) - set(df.index)
        if unknown:
            raise ValueError(f"{name}: ratings.csv names {len(unknown)} utterances absent from the manifest")
        ratings["is_self"] = ratings.is_self.astype(bool)
        if "scheme" not in ratings:
            ratings["scheme"] = np.where(ratings.valence.notna() | ratings.arousal.notna(), "dimensional",
                                         "categorical")
    marker = read_marker(root)
    if marker:
        check_counts(name, {"total": len(df)}, {"total": marker["counts"]["total"]}, strict,
                     source="the generator's record")
    return Corpus(name, root, df, ratings, synthetic=marker is not None, info=marker or {})
