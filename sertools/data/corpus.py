"""The :class:`Corpus` every loader returns, canonical labels, and the checks loaders share."""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

# The fixed, canonical emotion vocabulary (lowercase). Corpus-specific codes map onto it;
# an utterance without an agreed label has ``emotion`` = <NA>.
EMOTIONS = ("neutral", "happy", "angry", "sad", "excited", "frustrated", "fear", "disgust",
            "surprise", "calm", "boredom", "other")

UTTERANCE_COLUMNS = ("path", "speaker", "gender", "emotion", "corpus", "language")
RATING_COLUMNS = ("utterance", "rater", "is_self", "emotion", "valence", "arousal", "dominance")

SYNTHETIC_MARKER = "SYNTHETIC.json"


class CorpusLayoutError(FileNotFoundError):
    """A corpus root is missing or not laid out as the loader expects."""

    def __init__(self, corpus: str, root: Path | str, expected: str, detail: str = ""):
        self.corpus, self.root, self.expected = corpus, Path(root), expected
        msg = (f"{corpus}: {root} does not look like a {corpus} corpus{': ' + detail if detail else ''}.\n"
               f"Expected layout:\n{expected}")
        super().__init__(msg)


class CountMismatchWarning(UserWarning):
    """A loaded corpus does not have the utterance counts of the known release."""


@dataclass
class Corpus:
    """One corpus on disk: an utterance table and (where the corpus has them) individual ratings.

    ``utterances`` is indexed by utterance id with at least the columns
    :data:`UTTERANCE_COLUMNS`; ``ratings`` is long, one row per (utterance, rater) with
    :data:`RATING_COLUMNS` (plus ``scheme``: ``categorical`` or ``dimensional``).
    """

    name: str
    root: Path
    utterances: pd.DataFrame
    ratings: pd.DataFrame | None = None
    synthetic: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    excluded: pd.DataFrame | None = None  # known-defective files left out, with the reason

    def __post_init__(self) -> None:
        validate_utterances(self.utterances, self.name)

    def __len__(self) -> int:
        return len(self.utterances)

    def __repr__(self) -> str:
        kind = "synthetic" if self.synthetic else "real"
        n_r = 0 if self.ratings is None else len(self.ratings)
        return (f"Corpus({self.name!r}, {kind}, {len(self)} utterances, "
                f"{self.utterances.speaker.nunique()} speakers, {n_r} ratings, root={str(self.root)!r})")

    @property
    def description(self) -> str:
        """How to name this corpus in a caption: real release or synthetic simulator."""
        if self.synthetic:
            knobs = self.info.get("knobs")
            knobs = ", knobs " + ", ".join(f"{k}={v:g}" for k, v in knobs.items()) if knobs else ""
            return (f"the embedded synthetic {self.name}-like corpus "
                    f"(size={self.info.get('size')}, seed={self.info.get('seed')}{knobs})")
        return f"{self.name} at {self.root}"

    def fingerprint(self) -> str:
        """Identity of the table (ids, paths relative to the corpus root, labels, speakers): part
        of every cache/config key. Moving or renaming the corpus folder keeps it."""
        import os

        from ..provenance import stable_hash

        u = self.utterances.copy()
        if "path" in u:
            u["path"] = [os.path.relpath(p, self.root) for p in u.path]
        cols = [c for c in ("path", "speaker", "emotion") if c in u]
        knobs = {"knobs": self.info["knobs"]} if self.info.get("knobs") else {}  # the simulator's causes
        return stable_hash({"name": self.name, "synthetic": self.synthetic, "info": self.info.get("seed"), **knobs,
                            "rows": u[cols].astype(str).reset_index().values.tolist()})


def validate_utterances(df: pd.DataFrame, name: str) -> None:
    """Check the schema every chapter relies on; raise with the offending column named."""
    missing = [c for c in UTTERANCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: utterance table lacks column(s) {missing}")
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()][:5].tolist()
        raise ValueError(f"{name}: duplicated utterance ids, e.g. {dup}")
    bad_gender = set(df.gender.dropna()) - {"F", "M"}
    if bad_gender:
        raise ValueError(f"{name}: gender must be 'F' or 'M', found {sorted(bad_gender)}")
    bad_emotion = set(df.emotion.dropna()) - set(EMOTIONS)
    if bad_emotion:
        raise ValueError(f"{name}: non-canonical emotion labels {sorted(bad_emotion)}; "
                         f"canonical: {', '.join(EMOTIONS)}")


def make_table(rows: list[dict[str, Any]], name: str, language: str) -> pd.DataFrame:
    """Rows → a validated utterance table indexed by ``utterance``."""
    df = pd.DataFrame(rows)
    if df.empty:
        raise ValueError(f"{name}: no utterances")
    df["corpus"] = name
    if "language" not in df:
        df["language"] = language
    df["emotion"] = df["emotion"].astype("string")
    df = df.set_index("utterance").sort_index()
    df.index.name = "utterance"
    return df


def read_marker(root: Path) -> dict[str, Any] | None:
    """The synthetic-corpus marker (generator, seed, size, expected counts), if present."""
    for candidate in (root / SYNTHETIC_MARKER, root.parent / SYNTHETIC_MARKER):
        if candidate.exists():
            try:
                return json.loads(candidate.read_text())
            except ValueError as err:
                raise CorpusLayoutError(
                    "synthetic corpus", candidate.parent, "a complete corpus written by sertools.data.synth",
                    f"{candidate} is corrupt ({err}): delete the folder and write it again (`sertools synth`; "
                    "embedded corpora are rewritten on use)") from err
    return None


def check_counts(name: str, observed: Mapping[str, int], expected: Mapping[str, int],
                 strict: bool = False, source: str = "the known release") -> None:
    """Compare counts with a release's; warn (or raise when ``strict``) naming each difference."""
    diffs = [f"{k}: found {observed.get(k, 0)}, expected {v}" for k, v in expected.items()
             if observed.get(k, 0) != v]
    if not diffs:
        return
    msg = f"{name}: utterance counts differ from {source}: " + "; ".join(diffs)
    if strict:
        raise ValueError(msg)
    warnings.warn(msg, CountMismatchWarning, stacklevel=3)


def require_dir(path: Path, corpus: str, expected: str) -> Path:
    """``path`` must be an existing folder, else a :class:`CorpusLayoutError`."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise CorpusLayoutError(corpus, path, expected, "the folder does not exist")
    return path.resolve()
