"""The signal reference: openSMILE eGeMAPSv02 functionals + a linear classifier, on any folds.

Before a paper's network is read, the book asks how much emotion information a corpus holds
for unseen speakers. The reference answers in seconds and is hard to get wrong: 88 utterance
functionals, standardised on the training set, a class-balanced logistic regression whose
regularisation is chosen on the fold's validation speakers (or, when a protocol has none, by
a speaker-grouped split of the training set), and fitted on exactly the training speakers the
chapter's networks train on. Every chapter runs it on its own folds, so the paper's systems
can be read against it and against chance.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from . import features
from .metrics import speaker_scores, unweighted_accuracy
from .profiling import timed

NAME = "eGeMAPS + LR"
C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
C_LIMITS = (1e-7, 1e4)  # the grid is extended by factors of 10 while the best C sits on its edge, up to these


def egemaps(paths: Sequence[str]) -> np.ndarray:
    """``[N, 88]`` eGeMAPSv02 functionals (from the feature cache); NaN → 0."""
    return np.nan_to_num(np.concatenate(features.extract(list(paths), features.Functionals(feature_set="eGeMAPSv02"),
                                                         progress=False)))


def _model(c: float, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000,
                                                              random_state=seed))


@timed("reference")
def fit_predict(
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    val: np.ndarray,
    test: np.ndarray,
    labels: Sequence[int],
    groups: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Predictions for ``test`` and the chosen C. C maximises UA on ``val``; with an
    empty ``val`` a quarter of the training groups (speakers) validates instead. The
    grid grows by factors of 10 while the best C lies on its edge, so the choice is
    interior. The final model is fitted on ``train`` alone: the speakers a chapter's
    networks train on (they use ``val`` only to choose an epoch)."""
    if len(val) == 0:
        g = np.asarray(groups)[train] if groups is not None else np.arange(len(train))
        held = set(
            np.random.default_rng(seed).permutation(np.unique(g))[
                : max(1, len(np.unique(g)) // 4)
            ]
        )
        inner = np.array([x in held for x in g])
        fit_idx, val_idx = train[~inner], train[inner]
    else:
        fit_idx, val_idx = train, val
    scores: dict[float, tuple[float, object]] = {}

    def score(c: float) -> float:
        if c not in scores:
            m = _model(c, seed).fit(X[fit_idx], y[fit_idx])
            scores[c] = (
                unweighted_accuracy(
                    y[val_idx], m.predict(X[val_idx]), labels, warn=False
                ),
                m,
            )
        return scores[c][0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = list(C_GRID)
        while True:
            for c in grid:
                score(c)
            best = max(
                grid, key=lambda c: (scores[c][0], -c)
            )  # ties: the stronger regularisation
            if best == grid[-1] and best * 10 <= C_LIMITS[1]:
                grid.append(best * 10)
            elif best == grid[0] and best / 10 >= C_LIMITS[0]:
                grid.insert(0, best / 10)
            else:
                break
        final = (
            scores[best][1] if len(val) else _model(best, seed).fit(X[train], y[train])
        )
    return final.predict(X[test]), best


def unit_records(utts: pd.DataFrame, y: pd.Series, folds, labels: Sequence[int], **columns
                 ) -> tuple[list[dict], dict[str, np.ndarray]]:
    """:func:`reference_units` as a stored unit returns it: (rows as records, arrays); ``columns``
    renames columns (``ua="ua_test"``) or drops them (``system=None``)."""
    rows, arrays = reference_units(utts, y, folds, labels)
    rows = rows.drop(columns=[k for k, v in columns.items() if v is None])
    return rows.rename(columns={k: v for k, v in columns.items() if v}).to_dict("records"), arrays


@timed("reference")
def reference_units(utts: pd.DataFrame, y: pd.Series, folds, labels: Sequence[int], seed: int = 0,
                    X: np.ndarray | None = None) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per test speaker and fold: the reference's UA and WA (rows with ``system`` = :data:`NAME`),
    and the test predictions (``y``, ``pred``, ``speaker``, ``utt``) of every fold."""
    X = egemaps(utts.path) if X is None else X
    pos = {u: i for i, u in enumerate(utts.index)}
    yy = y.reindex(utts.index).to_numpy()
    groups = utts.speaker.astype(str).to_numpy()
    rows, arrays = [], {"y": [], "pred": [], "speaker": [], "utt": []}
    for fold in folds:
        idx = {part: np.array([pos[u] for u in getattr(fold, part) if u in pos and not pd.isna(y.get(u))], int)
               for part in ("train", "val", "test")}
        pred, c = fit_predict(X, yy.astype(int), idx["train"], idx["val"], idx["test"], labels, groups, seed)
        truth = yy[idx["test"]].astype(int)
        for r in speaker_scores(truth, pred, groups[idx["test"]], labels).to_dict("records"):
            rows.append({"system": NAME, "fold": fold.name, "C": c, **r})
        for k, v in (("y", truth), ("pred", pred), ("speaker", groups[idx["test"]]),
                     ("utt", utts.index.to_numpy()[idx["test"]])):
            arrays[k].append(v)
    return pd.DataFrame(rows), {k: np.concatenate(v) for k, v in arrays.items()}
