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

``<root>/corpus.json`` (optional): ``{"name": "nnime", "language": "cmn"}``, and the scale of
dimensional labels when it is not 1–5: ``"ranges": {"valence": [1, 7], "arousal": [1, 7]}``.

Booleans (``is_self``) are true/false, yes/no or 1/0; numbers are checked against their range,
labels against the label set, ids for duplicates (:mod:`sertools.data.columns`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import SCALE, Column, MetadataError, genders, read_csv
from .corpus import EMOTIONS, Corpus, CorpusLayoutError, check_counts, read_marker, require_dir

LAYOUT = """<root>/
  manifest.csv   (utterance, path, speaker, gender, emotion [, language, session, split, ...])
  ratings.csv    (optional: utterance, rater, is_self, emotion, valence, arousal, dominance)
  corpus.json    (optional: {"name": ..., "language": ...})
  audio files at the paths the manifest names"""
REQUIRED = ("utterance", "path", "speaker", "gender", "emotion")
_SCALE = dict(kind="number", low=SCALE[0], high=SCALE[1])
MANIFEST = {
    "utterance": Column("id", required=True, missing=False), "path": Column("text", required=True, missing=False),
    "speaker": Column("text", required=True, missing=False), "gender": Column("gender", required=True),
    "emotion": Column("label", required=True, choices=EMOTIONS,
                      hint=". Keep the corpus's own label in an 'emotion_raw' column."),
    "language": Column("text"), "session": Column("any"), "split": Column("label", choices=("train", "val", "test")),
    "emotion_raw": Column("text"), "valence": Column(**_SCALE), "arousal": Column(**_SCALE),
    "dominance": Column(**_SCALE), f"^p_(?:{'|'.join(EMOTIONS)})$": Column("number", low=0, high=3),
}
"""The manifest's columns as :mod:`sertools.data.columns` reads them (``p_<emotion>``: MOSEI-style
presence ratings, 0–3)."""
RATINGS = {
    "utterance": Column("id", required=True, missing=False, unique=False),
    "rater": Column("text", required=True, missing=False), "is_self": Column("bool", required=True, missing=False),
    "emotion": Column("label", required=True, choices=EMOTIONS), "valence": Column(**_SCALE, required=True),
    "arousal": Column(**_SCALE, required=True), "dominance": Column(**_SCALE, required=True),
    "scheme": Column("label", choices=("categorical", "dimensional")),
}


def normalise_gender(gender: pd.Series, ids: pd.Series, name: str) -> pd.Series:
    """``f``, ``Female``, ``F`` → ``F`` (and likewise ``M``), any case; empty stays unknown."""
    return genders(gender, name, ids=ids)


def load(root: str | Path, name: str | None = None, strict: bool = False) -> Corpus:
    """Load a manifest corpus; every listed audio file must exist, every column is typed
    (:data:`MANIFEST`, :data:`RATINGS`)."""
    root = require_dir(root, name or "manifest", LAYOUT)
    mpath = root / "manifest.csv"
    if not mpath.exists():
        raise CorpusLayoutError(name or "manifest", root, LAYOUT, "manifest.csv not found")
    meta = json.loads((root / "corpus.json").read_text()) if (root / "corpus.json").exists() else {}
    name = name or meta.get("name", root.name)
    ranges = {k: tuple(v) for k, v in meta.get("ranges", {}).items()}
    try:
        df = read_csv(mpath, MANIFEST, id_column="utterance", ranges=ranges)
    except MetadataError as err:
        if "lacks column(s)" in str(err):
            raise CorpusLayoutError(name, root, LAYOUT, str(err)) from None
        raise
    df["path"] = [str(p if Path(p).is_absolute() else root / p) for p in df.path]
    absent = [p for p in df.path if not Path(p).is_file()]
    if absent:
        dirs = [p for p in absent if Path(p).is_dir()]
        raise CorpusLayoutError(name, root, LAYOUT, f"{len(absent)} listed audio files are missing or not files"
                                f"{f' ({len(dirs)} are folders)' if dirs else ''}, e.g. {absent[:3]}")
    df["corpus"] = name
    if "language" not in df:
        df["language"] = meta.get("language", "und")
    df["emotion"] = df.emotion.astype("string")
    df = df.set_index("utterance").sort_index()
    ratings = None
    rpath = root / "ratings.csv"
    if rpath.exists():
        try:
            ratings = read_csv(rpath, RATINGS, id_column="utterance", ranges=ranges)
        except MetadataError as err:
            if "lacks column(s)" in str(err):
                raise CorpusLayoutError(name, root, LAYOUT, str(err)) from None
            raise
        unknown = sorted(set(ratings.utterance) - set(df.index))
        if unknown:
            raise ValueError(f"{name}: {rpath} names {len(unknown)} utterances absent from {mpath}, e.g. {unknown[:3]}")
        if "scheme" not in ratings:
            ratings["scheme"] = np.where(ratings.valence.notna() | ratings.arousal.notna(), "dimensional",
                                         "categorical")
    marker = read_marker(root)
    if marker:
        check_counts(name, {"total": len(df)}, {"total": marker["counts"]["total"]}, strict,
                     source="the generator's record")
    return Corpus(name, root, df, ratings, synthetic=marker is not None, info=marker or {})
