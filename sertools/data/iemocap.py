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

from .corpus import Corpus, CorpusLayoutError, CountMismatchWarning, check_counts, make_table, read_marker, require_dir

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


def _root(root: Path) -> Path:
    root = require_dir(root, NAME, LAYOUT)
    for cand in (root, root / "IEMOCAP_full_release"):
        if all((cand / f"Session{i}").is_dir() for i in range(1, 6)):
            return cand
    found = sorted(p.name for p in root.iterdir())[:10]
    raise CorpusLayoutError(NAME, root, LAYOUT, f"Session1..Session5 not found (found: {found})")


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
    return utts, ratings


def load(root: str | Path, strict: bool = False) -> Corpus:
    """Load IEMOCAP (real or the embedded simulator) with consensus labels and every rating."""
    root = _root(Path(root))
    marker = read_marker(root)
    rows, ratings, missing, absent = [], [], [], []
    for session in range(1, 6):
        sdir = root / f"Session{session}"
        eval_dir = sdir / "dialog" / "EmoEvaluation"
        files = sorted(p for p in eval_dir.glob("Ses*.txt")) if eval_dir.is_dir() else []
        if not files:
            absent.append(str(eval_dir))
            continue
        for f in files:
            u, r = parse_evaluation(f)
            ratings += r
            for row in u:
                utt = row["utterance"]
                dialog = utt.rsplit("_", 1)[0]
                wav = sdir / "sentences" / "wav" / dialog / f"{utt}.wav"
                if not wav.exists():
                    missing.append(str(wav))
                spk = speaker_of(utt)
                rows.append(dict(row, path=str(wav), speaker=spk, gender=spk[-1], session=session,
                                 dialog=dialog, improvised="_impro" in dialog))
    if len(absent) == 5:
        raise CorpusLayoutError(NAME, root, LAYOUT, f"no EmoEvaluation files in any session (e.g. {absent[0]})")
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
