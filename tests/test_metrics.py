"""UA/WA against scikit-learn, CIs, aggregation, agreement."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, recall_score

from sertools import metrics

LABELS = [0, 1, 2, 3]


def test_ua_wa_match_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    assert metrics.unweighted_accuracy(y, p, LABELS) == pytest.approx(balanced_accuracy_score(y, p))
    assert metrics.weighted_accuracy(y, p) == pytest.approx(accuracy_score(y, p))


def test_class_never_predicted_counts_as_zero_recall():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 300)
    p = np.where(rng.integers(0, 4, 300) == 3, 0, rng.integers(0, 3, 300))  # class 3 never predicted
    assert metrics.unweighted_accuracy(y, p, LABELS) == pytest.approx(
        recall_score(y, p, labels=LABELS, average="macro", zero_division=0))


def test_class_absent_from_test_is_excluded_loudly():
    rng = np.random.default_rng(2)
    y, p = rng.integers(0, 3, 300), rng.integers(0, 4, 300)  # class 3 absent from y_true
    with pytest.warns(metrics.AbsentClassWarning, match=r"\[3\]"):
        ua = metrics.unweighted_accuracy(y, p, LABELS)
    assert ua == pytest.approx(recall_score(y, p, labels=[0, 1, 2], average="macro"))
    assert ua != pytest.approx(recall_score(y, p, labels=LABELS, average="macro", zero_division=0))


@pytest.mark.parametrize("labels", [[0, 1, 2, 3], ["angry", "happy", "neutral", "sad"]])
def test_per_class_recall_equals_sklearn(labels):
    rng = np.random.default_rng(3)
    y = np.array(labels[:3])[rng.integers(0, 3, 400)]               # the last label never in y_true
    p = np.array(labels)[rng.integers(0, 4, 400)]
    rec = metrics.per_class_recall(y, p, labels)
    expected = recall_score(y, p, labels=labels, average=None, zero_division=0)
    assert [rec[k] for k in labels[:3]] == pytest.approx(list(expected[:3]))
    assert np.isnan(rec[labels[3]])
    with pytest.raises(ValueError, match="one length"):
        metrics.per_class_recall(y, p[:-1], labels)


def test_scores_and_confusion():
    s = metrics.scores(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert s["ua"] == pytest.approx(0.75) and s["wa"] == pytest.approx(2 / 3) and s["recall_a"] == 0.5
    cm = metrics.confusion(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert cm.loc["a", "b"] == 0.5 and cm.loc["b", "b"] == 1.0


def test_aggregate_over_folds_then_seeds():
    rows = pd.DataFrame({"system": ["x"] * 4, "seed": [0, 0, 1, 1], "fold": [1, 2, 1, 2], "ua": [0.5, 0.7, 0.6, 0.8],
                         "wa": [0.5, 0.5, 0.5, 0.5]})
    agg = metrics.aggregate(rows, ["system"])
    assert agg.loc["x", "ua_mean"] == pytest.approx(0.65)
    assert agg.loc["x", "ua_std"] == pytest.approx(np.std([0.6, 0.7], ddof=1))
    assert agg.loc["x", "seeds"] == 2


def test_fleiss_kappa_perfect_and_chance():
    assert metrics.fleiss_kappa(np.array([[3, 0], [0, 3], [3, 0]])) == pytest.approx(1.0)
    # Fleiss (1971) worked example value is 0.210 for his table; a classic smaller check:
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    assert metrics.fleiss_kappa(table) == pytest.approx(0.210, abs=1e-3)




def test_results_table_cells_show_two_decimals_and_a_dash_for_missing_values():
    import warnings

    import numpy as np
    import pandas as pd

    from sertools.experiments.common import cells

    table = pd.DataFrame({"paper": [59.0, np.nan, 57.85], "ours": ["51.0 ± 1.2", "48.3 ± 0.9", None]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # pandas warns when a float column is filled with a string
        shown = cells(table)
    assert shown.paper.tolist() == ["59.00", "–", "57.85"] and shown.ours.tolist() == ["51.0 ± 1.2", "48.3 ± 0.9", "–"]


def test_the_signal_reference_chooses_an_interior_c_and_fits_on_the_training_speakers_only():
    from unittest import mock

    from sertools import reference

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(int)     # nearly separable: wants a large C
    train, val, test = np.arange(0, 200), np.arange(200, 250), np.arange(250, 300)
    fitted_on = []
    real = reference._model

    def spy(c, seed):
        model = real(c, seed)
        fit = model.fit
        model.fit = lambda Xf, yf: (fitted_on.append((c, len(yf))), fit(Xf, yf))[1]
        return model

    with mock.patch.object(reference, "_model", spy):
        pred, c = reference.fit_predict(X, y, train, val, test, [0, 1])
    tried = sorted({k for k, _ in fitted_on})
    assert tried[0] < c < tried[-1] or c in reference.C_LIMITS      # interior (or at the hard limit)
    assert {n for _, n in fitted_on} == {len(train)}                 # never refitted on train + validation
    assert (pred == y[test]).mean() > 0.8
