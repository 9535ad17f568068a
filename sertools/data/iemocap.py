"""IEMOCAP (Busso et al., 2008) in its release layout.

The speaker of ``Ses01F_impro01_M000`` is ``Ses01M``: the session plus the **last** F/M
(the letter of the final token). The first F/M only says which actor wore the motion-capture
markers in that dialog; keying speakers on the dialog prefix (``Ses01F``) mixes both actors
and leaks about half of a held-out speaker into training.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import Column, MetadataError, check_table
from .corpus import (EMOTIONS, Corpus, CorpusLayoutError, CountMismatchWarning, check_counts, make_table, read_marker,
                     require_dir)

NAME = "iemocap"
LAYOUT = """IEMOCAP_full_release/            (pass this folder or its parent as data_root)
  Session1/ ... Session5/
    dialog/EmoEvaluation/Ses01F_impro01.txt      (consensus + C-/A- evaluator lines)
    sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav"""

CODES = {"ang": "angry", "hap": "happy", "exc": "excited", "sad": "sad", "neu": "neutral",
         "fru": "frustrated", "fea": "fear", "sur": "surprise", "dis": "disgust", "oth": "other",
         "xxx": None}
RATER_WORDS = {"neutral": "neutral", "neutral state": "neutral", "happiness": "happy", "excited": "excited",
               "anger": "angry", "sadness": "sad", "frustration": "frustrated", "fear": "fear",
               "surprise": "surprise", "disgust": "disgust", "other": "other"}

# Counts of the full release (Busso et al.; SpeechBrain NUMBER_UTT; s3prl meta data).
RELEASE_TOTAL = 10_039
RELEASE_4CLASS_MERGED = {"angry": 1103, "happy+excited": 1636, "neutral": 1708, "sad": 1084}

_SCALE = dict(kind="number", low=1, high=5)
UTTERANCE_VALUES = {"valence": Column(**_SCALE), "arousal": Column(**_SCALE), "dominance": Column(**_SCALE),
                    "emotion": Column("label", choices=EMOTIONS)}
RATING_VALUES = {"valence": Column(**_SCALE), "arousal": Column(**_SCALE), "dominance": Column(**_SCALE),
                 "emotion": Column("label", choices=EMOTIONS)}
"""IEMOCAP's consensus and per-rater values, checked as every loader checks its columns (1–5 scales)."""

_UTT = re.compile(r"^\[(\d+\.\d+) - (\d+\.\d+)\]\t(Ses\d{2}[FM]_\S+_[FM]\d{3})\t(\w{3})\t"
                  r"\[([\d.]+), ([\d.]+), ([\d.]+)\]")
_CAT = re.compile(r"^C-([EFM]\d+):\t(.*?)\t\((.*)\)\s*$")
_ATT = re.compile(r"^A-([EFM]\d+):\tval (\d*); act (\d*); dom\s+(\d*);")


def speaker_of(utterance: str) -> str:
    """``Ses03M_impro05a_F004`` → ``Ses03F`` (session + the last token's F/M)."""
    last = utterance.rsplit("_", 1)[-1]
    if not re.fullmatch(r"[FM]\d{3}", last) or not utterance.startswith("Ses"):
        raise ValueError(f"not an IEMOCAP utterance id: {utterance!r}")
    return utterance[:5] + last[0]


def _root(root: Path, strict: bool = False) -> Path:
    """The release folder (``root`` or ``root/IEMOCAP_full_release``): the one holding Session1..5.
    A copy with some session folders absent is loaded with a warning that lists the sessions found
    and those missing (an error when ``strict``); one with none lists what the folder holds."""
    root = require_dir(root, NAME, LAYOUT)
    candidates = [c for c in (root, root / "IEMOCAP_full_release") if c.is_dir()]
    found = {c: [i for i in range(1, 6) if (c / f"Session{i}").is_dir()] for c in candidates}
    best = max(candidates, key=lambda c: len(found[c]))
    if not found[best]:
        held = sorted(p.name for p in root.iterdir())
        raise CorpusLayoutError(NAME, root, LAYOUT, f"no Session1..Session5 folders in {root}"
                                f"{' or ' + str(root / 'IEMOCAP_full_release') if len(candidates) > 1 else ''} "
                                f"(it holds: {', '.join(held[:10]) or 'nothing'}{' ...' if len(held) > 10 else ''})")
    absent = [i for i in range(1, 6) if i not in found[best]]
    if absent:
        what = (f"sessions found: {', '.join(f'Session{i}' for i in found[best])}; missing: "
                f"{', '.join(f'Session{i}' for i in absent)} (no such folders in {best})")
        if strict:
            raise CorpusLayoutError(NAME, best, LAYOUT, what)
        warnings.warn(f"{NAME}: a partial copy at {best}: {what}; loading the sessions present", CountMismatchWarning,
                      stacklevel=3)
    return best


def parse_evaluation(path: Path) -> tuple[list[dict], list[dict]]:
    """One EmoEvaluation file → (utterance rows, rating rows)."""
    utts, ratings, current = [], [], None
    for line in path.read_text(errors="replace").splitlines():
        m = _UTT.match(line)
        if m:
            start, end, utt, code, v, a, d = m.groups()
            if code not in CODES:
                raise ValueError(f"{path}: unknown emotion code {code!r} for {utt}")
            current = utt
            utts.append(dict(utterance=utt, start=float(start), end=float(end), emotion=CODES[code],
                             emotion_code=code, valence=float(v), arousal=float(a), dominance=float(d)))
            continue
        if current is None:
            continue
        m = _CAT.match(line)
        if m:
            rater, words, _ = m.groups()
            labels = [w.strip().lower() for w in words.split(";") if w.strip()]
            first = RATER_WORDS.get(labels[0], "other") if labels else None
            ratings.append(dict(utterance=current, rater=rater, is_self=rater[0] in "FM", scheme="categorical",
                                emotion=first, labels=";".join(labels), valence=np.nan, arousal=np.nan,
                                dominance=np.nan))
            continue
        m = _ATT.match(line)
        if m:
            rater, v, a, d = m.groups()
            ratings.append(dict(utterance=current, rater=rater, is_self=rater[0] in "FM", scheme="dimensional",
                                emotion=None, labels="", valence=float(v) if v else np.nan,
                                arousal=float(a) if a else np.nan, dominance=float(d) if d else np.nan))
    if utts:
        check_table(pd.DataFrame(utts), UTTERANCE_VALUES, str(path), id_column="utterance")
    if ratings:
        check_table(pd.DataFrame(ratings), RATING_VALUES, str(path) + " (evaluator lines)", id_column="utterance")
    return utts, ratings


def load(root: str | Path, strict: bool = False) -> Corpus:
    """Load IEMOCAP (real or the embedded simulator) with consensus labels and every rating."""
    root = _root(Path(root), strict)
    marker = read_marker(root)
    rows, ratings, missing, absent, seen = [], [], [], [], {}
    for session in range(1, 6):
        sdir = root / f"Session{session}"
        if not sdir.is_dir():  # reported by _root
            continue
        eval_dir = sdir / "dialog" / "EmoEvaluation"
        files = sorted(p for p in eval_dir.glob("Ses*.txt")) if eval_dir.is_dir() else []
        if not files:
            absent.append(str(eval_dir))
            continue
        for f in files:
            u, r = parse_evaluation(f)
            ratings += r
            for row in u:
                if row["utterance"] in seen:
                    raise MetadataError(f"{f}: utterance {row['utterance']} is listed twice (also in "
                                        f"{seen[row['utterance']]}): each utterance id must appear once")
                seen[row["utterance"]] = f
                utt = row["utterance"]
                dialog = utt.rsplit("_", 1)[0]
                wav = sdir / "sentences" / "wav" / dialog / f"{utt}.wav"
                if not wav.exists():
                    missing.append(str(wav))
                spk = speaker_of(utt)
                rows.append(dict(row, path=str(wav), speaker=spk, gender=spk[-1], session=session,
                                 dialog=dialog, improvised="_impro" in dialog))
    if not rows:
        raise CorpusLayoutError(NAME, root, LAYOUT, f"no EmoEvaluation files in any session (e.g. {absent[0]})"
                                if absent else "the EmoEvaluation files hold no utterance lines")
    if absent or missing:
        what = (f"{len(absent)} of 5 sessions have no EmoEvaluation files ({', '.join(absent)})" if absent else "") + \
            ("; " if absent and missing else "") + \
            (f"{len(missing)} wav files listed in EmoEvaluation are missing, e.g. {missing[:3]}" if missing else "")
        if strict:
            raise CorpusLayoutError(NAME, root, LAYOUT, what)
        warnings.warn(f"{NAME}: a partial copy at {root}: {what}; loading what is present", CountMismatchWarning,
                      stacklevel=2)
        have = set(missing)
        rows = [r for r in rows if r["path"] not in have]
    df = make_table(rows, NAME, "en")
    rt = pd.DataFrame(ratings)
    rt = rt[rt.utterance.isin(df.index)].reset_index(drop=True)
    _check(df, marker, strict)
    return Corpus(NAME, root, df, rt, synthetic=marker is not None, info=marker or {})


def _check(df: pd.DataFrame, marker: dict | None, strict: bool) -> None:
    emo = df.emotion.fillna("none")
    merged = emo.replace({"excited": "happy+excited", "happy": "happy+excited"}).value_counts().to_dict()
    observed = {"total": len(df), **{k: merged.get(k, 0) for k in RELEASE_4CLASS_MERGED}}
    if marker is not None:
        check_counts(NAME, observed, marker.get("counts", {}), strict, source="the generator's record")
    else:
        check_counts(NAME, observed, {"total": RELEASE_TOTAL, **RELEASE_4CLASS_MERGED}, strict)
