"""Metrics, defined once for the whole book.

* **UA** (unweighted accuracy, UAR) = the mean of per-class recalls over the **fixed** label
  set of the task. A class absent from a test fold has no recall: it is left out of that
  fold's mean with a warning that names it (never silently), and pooled UA over all folds
  avoids the problem altogether.
* **WA** (weighted accuracy) = plain accuracy.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd


class AbsentClassWarning(UserWarning):
    """A class of the label set has no test example, so its recall is undefined."""


def per_class_recall(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> dict:
    """Recall of every label (NaN for a label absent from ``y_true``).

    Counted directly (the tests check it against sklearn's ``recall_score``): training scores
    the validation set every epoch, and ``recall_score``'s input checks cost more than the count."""
    y_true, y_pred, labels = np.asarray(y_true), np.asarray(y_pred), list(labels)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of one length, not {y_true.shape} and {y_pred.shape}")
    out = {}
    for lab in labels:
        is_lab = y_true == lab
        n = int(is_lab.sum())
        out[lab] = float((y_pred[is_lab] == lab).sum() / n) if n else float("nan")
    return out


def unweighted_accuracy(y_true: Sequence, y_pred: Sequence, labels: Sequence, warn: bool = True) -> float:
    """Macro recall over ``labels``; absent classes are excluded *with* an :class:`AbsentClassWarning`
    (``warn=False`` where the caller reports the classes present itself)."""
    rec = per_class_recall(y_true, y_pred, labels)
    absent = [k for k, v in rec.items() if np.isnan(v)]
    if absent and warn:
        warnings.warn(f"UA: no test example of {absent}; UA is averaged over the other "
                      f"{len(rec) - len(absent)} classes", AbsentClassWarning, stacklevel=2)
    vals = [v for v in rec.values() if not np.isnan(v)]
    return float(np.mean(vals)) if vals else float("nan")


def weighted_accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    from sklearn.metrics import accuracy_score  # imported when used: scikit-learn takes seconds to import

    return float(accuracy_score(y_true, y_pred))


def scores(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> dict:
    """UA, WA, per-class recall (``recall_<label>``) and the number of test items."""
    out = {"ua": unweighted_accuracy(y_true, y_pred, labels), "wa": weighted_accuracy(y_true, y_pred),
           "n": int(len(y_true))}
    out.update({f"recall_{k}": v for k, v in per_class_recall(y_true, y_pred, labels).items()})
    return out


def speaker_scores(y_true: Sequence, y_pred: Sequence, speakers: Sequence, labels: Sequence) -> pd.DataFrame:
    """UA, WA and size per test speaker: the independent units of the book's claims.

    A class a speaker never expresses has no recall; that speaker's UA is the mean over the
    classes present, and ``classes`` says how many there were (no warning per speaker: the
    chapter states it once)."""
    y_true, y_pred, speakers = np.asarray(y_true), np.asarray(y_pred), np.asarray(speakers)
    rows = []
    for spk in pd.unique(speakers):
        m = speakers == spk
        ua = unweighted_accuracy(y_true[m], y_pred[m], labels, warn=False)
        rows.append({"speaker": str(spk), "ua": ua, "wa": weighted_accuracy(y_true[m], y_pred[m]), "n": int(m.sum()),
                     "classes": int(len(set(y_true[m].tolist()) & set(labels)))})
    return pd.DataFrame(rows)


def confusion(y_true: Sequence, y_pred: Sequence, labels: Sequence, normalize: bool = True) -> pd.DataFrame:
    """Row-normalised confusion matrix (rows: true label) as a labelled DataFrame."""
    from sklearn.metrics import confusion_matrix

    m = confusion_matrix(y_true, y_pred, labels=list(labels)).astype(float)
    if normalize:
        m = m / np.maximum(m.sum(1, keepdims=True), 1)
    return pd.DataFrame(m, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="predicted"))


def aggregate(rows: pd.DataFrame, by: Sequence[str], metrics: Sequence[str] = ("ua", "wa"),
              fold: str = "fold", seed: str = "seed") -> pd.DataFrame:
    """Mean over folds within each seed, then mean ± std over seeds (std = 0 for one seed)."""
    per_seed = rows.groupby([*by, seed], dropna=False)[list(metrics)].mean()
    g = per_seed.groupby(level=list(range(len(by))), dropna=False)
    out = g.mean().add_suffix("_mean").join(g.std(ddof=1).fillna(0.0).add_suffix("_std"))
    out["seeds"] = g.size()
    return out


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' κ for items × categories vote counts (a varying number of raters per item is
    allowed: each item's agreement uses its own rater count)."""
    counts = np.asarray(counts, float)
    counts = counts[counts.sum(1) >= 2]
    n = counts.sum(1)
    p_item = (counts * (counts - 1)).sum(1) / (n * (n - 1))
    p_cat = counts.sum(0) / counts.sum()
    p_e = (p_cat**2).sum()
    return float((p_item.mean() - p_e) / (1 - p_e))
