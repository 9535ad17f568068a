"""Evaluation protocols (frozen, hashed folds) and label policies.

A :class:`Folds` object is built once from an utterance table, checked (no speaker in two
partitions of a speaker-independent fold), written as a manifest, and hashed: the
``split_hash`` goes into every result row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .provenance import stable_hash

FOUR_CLASSES = ("neutral", "happy", "angry", "sad")
LEVELS = ("low", "mid", "high")
POLARITY = ("negative", "neutral", "positive")


# --------------------------------------------------------------------------- folds
@dataclass(frozen=True)
class Fold:
    name: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]


@dataclass
class Folds:
    """A list of folds plus how they were made; ``hash`` identifies the exact partition."""

    protocol: str
    folds: list[Fold]
    speaker_independent: bool = True
    notes: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.folds)

    def __len__(self) -> int:
        return len(self.folds)

    def __getitem__(self, i: int) -> Fold:
        return self.folds[i]

    @property
    def hash(self) -> str:
        return stable_hash([self.protocol] + [(f.name, sorted(f.train), sorted(f.val), sorted(f.test)) for f in self])

    def manifest(self) -> pd.DataFrame:
        rows = [(f.name, part, u) for f in self for part in ("train", "val", "test") for u in getattr(f, part)]
        return pd.DataFrame(rows, columns=["fold", "partition", "utterance"])

    def write(self, folder: Path) -> Path:
        """Write the manifest as ``<folder>/folds-<hash>.csv`` (once) and return its path."""
        path = Path(folder) / f"folds-{self.hash}.csv"
        if not path.exists():
            from .storage import atomic_write

            with atomic_write(path, "w") as fh:
                self.manifest().to_csv(fh, index=False)
        return path

    def check(self, speakers: pd.Series) -> None:
        """Raise if a speaker appears in two partitions of a fold (speaker-independent protocols)."""
        for f in self:
            parts = {p: set(speakers.loc[list(getattr(f, p))]) for p in ("train", "val", "test")}
            if not self.speaker_independent:
                parts.pop("val")
            names = list(parts)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    both = parts[a] & parts[b]
                    if both:
                        raise AssertionError(f"{self.protocol} fold {f.name}: speakers {sorted(both)[:3]} are in "
                                             f"both {a} and {b}")

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([dict(fold=f.name, train=len(f.train), val=len(f.val), test=len(f.test)) for f in self])


def _ids(df: pd.DataFrame, mask) -> tuple[str, ...]:
    return tuple(sorted(df.index[np.asarray(mask)]))


def _random_val(train: tuple[str, ...], fraction: float, seed: int) -> tuple[tuple, tuple]:
    rng = np.random.default_rng(seed)
    ids = np.array(train)
    pick = rng.permutation(len(ids))[: max(1, int(round(fraction * len(ids))))]
    val = tuple(sorted(ids[pick]))
    return tuple(sorted(set(train) - set(val))), val


def leave_one_session_out(utts: pd.DataFrame, val: str = "random", val_fraction: float = 0.1,
                          seed: int = 0) -> Folds:
    """Five folds, each testing one session.

    ``val="random"``: validation = a random ``val_fraction`` of the training sessions (Chou &
    Lee; the validation set then shares speakers with training). ``val="partner"``: the held-out
    session's speakers split, one validates and one tests; the test speaker alternates F/M by
    session, so that both genders are tested. ``val="none"``: no validation set, both speakers
    of the held-out session are tested (every speaker is tested once, by a model that never saw
    them; the protocol selects no epoch).
    """
    folds = []
    for s in sorted(utts.session.unique()):
        held = utts.session == s
        if val == "random":
            train, v = _random_val(_ids(utts, ~held), val_fraction, seed + int(s))
            folds.append(Fold(f"S{s}", train, v, _ids(utts, held)))
        elif val == "partner":
            spk = sorted(utts.speaker[held].unique())
            test_spk = spk[int(s) % len(spk)]
            folds.append(Fold(f"S{s}", _ids(utts, ~held), _ids(utts, held & (utts.speaker != test_spk)),
                              _ids(utts, held & (utts.speaker == test_spk))))
        elif val == "none":
            folds.append(Fold(f"S{s}", _ids(utts, ~held), (), _ids(utts, held)))
        else:
            raise ValueError(f"val must be 'random', 'partner' or 'none', not {val!r}")
    out = Folds(f"leave-one-session-out(val={val})", folds, speaker_independent=(val != "random"))
    out.check(utts.speaker)
    return out


def leave_one_speaker_out(utts: pd.DataFrame, val: str = "partner", sessions: bool = True) -> Folds:
    """One fold per test speaker: the session partner validates, the other speakers train
    (Li et al.'s ten folds: 8 train, 1 validation, 1 test, then swapped). ``val="none"``
    leaves the validation set empty (Fan et al. select no epoch)."""
    folds = []
    for spk in sorted(utts.speaker.unique()):
        test = utts.speaker == spk
        if val == "partner":
            sess = utts.session[test].iloc[0]
            v = (utts.session == sess) & ~test
        elif val == "none":
            v = np.zeros(len(utts), bool)
        else:
            raise ValueError(f"val must be 'partner' or 'none', not {val!r}")
        folds.append(Fold(spk, _ids(utts, ~test & ~v), _ids(utts, v), _ids(utts, test)))
    out = Folds(f"leave-one-speaker-out(val={val})", folds)
    out.check(utts.speaker)
    return out


def group_kfold(utts: pd.DataFrame, group: str = "session", k: int = 5, val_fraction: float = 0.1,
                seed: int = 0) -> Folds:
    """``k`` folds over groups (NNIME's 22 dyads in 5 groups); validation = random part of train."""
    groups = np.array(sorted(utts[group].unique()))
    assign = {g: i % k for i, g in enumerate(np.random.default_rng(seed).permutation(groups))}
    fold_of = utts[group].map(assign).to_numpy()
    folds = []
    for i in range(k):
        train, v = _random_val(_ids(utts, fold_of != i), val_fraction, seed + i)
        folds.append(Fold(f"G{i + 1}", train, v, _ids(utts, fold_of == i)))
    out = Folds(f"group-{k}-fold({group})", folds, speaker_independent=False)
    out.check(utts.speaker)
    return out


def speaker_disjoint_split(utts: pd.DataFrame, fractions: tuple[float, float, float] = (.8, .1, .1),
                           within: str = "corpus", seed: int = 0) -> Folds:
    """One train/val/test split, disjoint by speaker, made separately inside each ``within``
    group (Parry et al.: every corpus split 80/10/10). Speakers are shuffled and given to
    test, then validation, until each holds its share of utterances (at least one speaker
    each when the corpus has three or more speakers); the rest train."""
    rng = np.random.default_rng(seed)
    part = pd.Series("train", index=utts.index)
    for _, grp in utts.groupby(within):
        spk = grp.speaker.value_counts().sort_index()
        order = list(rng.permutation(spk.index))
        if len(order) < 3:
            continue  # too few speakers to hold any out: everything trains
        for name, frac in (("test", fractions[2]), ("val", fractions[1])):
            taken = 0
            while order and (taken < frac * len(grp) or taken == 0) and len(order) > 1:
                s = order.pop()
                part[grp.index[grp.speaker == s]] = name
                taken += spk[s]
    out = Folds(f"speaker-disjoint {fractions} within {within}",
                [Fold("split", _ids(utts, part == "train"), _ids(utts, part == "val"), _ids(utts, part == "test"))])
    out.check(utts.speaker)
    return out


def predefined(utts: pd.DataFrame, column: str = "split", test: str = "val", dev_fraction: float = 0.1,
               seed: int = 0) -> Folds:
    """A corpus's own partition (CHEAVD: train/val). The official ``test`` part is evaluated;
    a speaker-disjoint ``dev_fraction`` of the training speakers is held out for early stopping."""
    train_mask = utts[column] == "train"
    spk = np.array(sorted(utts.speaker[train_mask].unique()))
    dev_spk = set(np.random.default_rng(seed).permutation(spk)[: max(1, int(round(dev_fraction * len(spk))))])
    dev = train_mask & utts.speaker.isin(dev_spk)
    out = Folds(f"predefined({column}: test={test})",
                [Fold(test, _ids(utts, train_mask & ~dev), _ids(utts, dev), _ids(utts, utts[column] == test))])
    out.check(utts.speaker)
    return out


# --------------------------------------------------------------------------- label policies
def four_class(utts: pd.DataFrame, merge_excited: bool = True) -> pd.DataFrame:
    """IEMOCAP 4-class: neutral, happy, angry, sad; ``excited`` merged into happy (5,531 on the
    release) or dropped (4,490)."""
    emo = utts.emotion.astype("object")
    if merge_excited:
        emo = emo.replace("excited", "happy")
    out = utts.assign(emotion=emo)
    return out[out.emotion.isin(FOUR_CLASSES)].copy()


def improvised_only(utts: pd.DataFrame) -> pd.DataFrame:
    """IEMOCAP's improvised dialogs only."""
    return utts[utts.improvised.astype(bool)].copy()


def bin3(values: Iterable[float]) -> np.ndarray:
    """1–5 ratings → 0 low (< 3), 1 mid (= 3), 2 high (> 3) (Chou & Lee §2.1)."""
    v = np.asarray(list(values), float)
    return np.where(v < 3, 0, np.where(v > 3, 2, 1))


def _dimension(ratings: pd.DataFrame, dimension: str, exclude: str | None, include_self: bool) -> pd.DataFrame:
    r = ratings[ratings[dimension].notna()]
    if not include_self:
        r = r[~r.is_self.astype(bool)]
    if exclude is not None:
        r = r[r.rater != exclude]
    return r.assign(level=bin3(r[dimension]))


def soft_labels(ratings: pd.DataFrame, dimension: str, exclude: str | None = None, min_raters: int = 1,
                include_self: bool = False) -> pd.DataFrame:
    """Per utterance, the proportion of (co-)raters in each of low/mid/high: ratings 4, 2, 1 →
    [0.67, 0, 0.33]. ``exclude`` leaves the target rater out; utterances with fewer than
    ``min_raters`` remaining ratings are dropped."""
    r = _dimension(ratings, dimension, exclude, include_self)
    counts = pd.crosstab(r.utterance, r.level).reindex(columns=[0, 1, 2], fill_value=0)
    counts = counts[counts.sum(1) >= min_raters]
    soft = counts.div(counts.sum(1), axis=0)
    soft.columns = list(LEVELS)
    return soft


def majority_vote(ratings: pd.DataFrame, dimension: str, exclude: str | None = None, min_raters: int = 2,
                  include_self: bool = False) -> pd.Series:
    """Hard label = the level most (co-)raters chose; ties have no majority and are dropped."""
    soft = soft_labels(ratings, dimension, exclude, min_raters, include_self)
    values = soft.to_numpy()
    top = values.max(1, keepdims=True)
    unique = (np.isclose(values, top)).sum(1) == 1
    return pd.Series(values.argmax(1)[unique], index=soft.index[unique], name=f"{dimension}_mv")


def rater_labels(ratings: pd.DataFrame, dimension: str, rater: str) -> pd.Series:
    """One rater's own 3-class labels."""
    r = ratings[(ratings.rater == rater) & ratings[dimension].notna() & ~ratings.is_self.astype(bool)]
    return pd.Series(bin3(r[dimension]), index=r.utterance.to_numpy(), name=f"{dimension}_{rater}")


# Cross-corpus positive / negative / neutral (Parry et al. 2022 give CREMA-D's map; the 2019
# paper's Table 4 for the other corpora could not be recovered: ambiguous cells are options).
POLARITY_MAP = {"happy": "positive", "excited": "positive", "neutral": "neutral", "angry": "negative",
                "sad": "negative", "fear": "negative", "disgust": "negative", "frustrated": "negative"}
AMBIGUOUS_POLARITY = {"surprise": "positive", "calm": "neutral", "boredom": "neutral", "other": None}


def polarity(utts: pd.DataFrame, ambiguous: dict[str, str | None] | None = None) -> pd.DataFrame:
    """Map canonical emotions to negative/neutral/positive; unmapped labels are dropped."""
    mapping = {**POLARITY_MAP, **(AMBIGUOUS_POLARITY if ambiguous is None else ambiguous)}
    pol = utts.emotion.astype("object").map(mapping)
    return utts.assign(polarity=pol)[pol.notna()].copy()
