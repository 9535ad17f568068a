"""Chapter 0: the corpora, features, protocols and metrics every other chapter uses."""
from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from ..config import Param, Params, resolve_parameters
from ..metrics import fleiss_kappa, scores
from ..protocols import LEVELS, bin3, majority_vote, soft_labels

CORPORA = ("iemocap", "crema-d", "ravdess", "tess", "emodb", "savee", "emovo", "epst", "nnime", "cheavd", "mosei",
           "voxceleb")
PARAMS = {"corpora": Param(None, "corpora to tour", choices=CORPORA, many=True, selects=True),
          "meter_size": Param(None, "size of the small corpora the mechanism meters read (smoke | meter)",
                              choices=("smoke", "meter"))}
PROFILES = {
    "smoke": {"seeds": [0], "corpora": ["iemocap", "crema-d", "tess", "nnime"], "meter_size": "smoke"},
    "book": {"seeds": [0], "corpora": list(CORPORA), "meter_size": "meter"},
    "full": {"seeds": [0], "corpora": list(CORPORA), "meter_size": "meter"},
}


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("foundations", namespace, PARAMS, PROFILES)


def rater_statistics(ratings: pd.DataFrame) -> pd.DataFrame:
    """Agreement of the categorical and dimensional raters, and how soft and hard labels differ."""
    rows = []
    cat = ratings[(ratings.scheme == "categorical") & ~ratings.is_self.astype(bool) & ratings.emotion.notna()]
    if len(cat):
        counts = pd.crosstab(cat.utterance, cat.emotion).to_numpy()
        top = counts.max(1)
        tie = (counts == top[:, None]).sum(1) > 1
        rows.append(dict(scheme="categorical", raters_per_utt=counts.sum(1).mean(), fleiss_kappa=fleiss_kappa(counts),
                         unanimous=(top == counts.sum(1)).mean(), no_majority=tie.mean()))
    for dim in ("valence", "arousal"):
        d = ratings[ratings[dim].notna() & ~ratings.is_self.astype(bool)]
        if not len(d):
            continue
        counts = pd.crosstab(d.utterance, bin3(d[dim])).reindex(columns=[0, 1, 2], fill_value=0).to_numpy()
        soft = soft_labels(ratings, dim, min_raters=2)
        hard = majority_vote(ratings, dim, min_raters=2)
        ent = -(soft.to_numpy() * np.log2(soft.to_numpy() + 1e-12)).sum(1)
        rows.append(dict(scheme=f"{dim} (3 levels)", raters_per_utt=counts.sum(1).mean(),
                         fleiss_kappa=fleiss_kappa(counts), unanimous=(counts.max(1) == counts.sum(1)).mean(),
                         no_majority=1 - len(hard) / len(soft), soft_entropy_bits=ent.mean()))
    return pd.DataFrame(rows).set_index("scheme")


def soft_vs_hard_example(ratings: pd.DataFrame, dimension: str = "valence", n: int = 6) -> pd.DataFrame:
    """A few utterances whose soft label is not one-hot, with their majority vote."""
    soft = soft_labels(ratings, dimension, min_raters=2)
    hard = majority_vote(ratings, dimension, min_raters=2)
    mixed = soft[(soft.max(1) < 1)].head(n)
    out = mixed.round(2)
    out["majority"] = [LEVELS[int(hard[u])] if u in hard.index else "(tie: none)" for u in mixed.index]
    return out


def sanity_classifier(X: np.ndarray, y: np.ndarray, speakers: np.ndarray, labels: list[str],
                      seed: int = 0) -> dict:
    """Logistic regression on utterance functionals: emotion across unseen speakers
    (speaker-grouped 5-fold) and speaker identity (stratified 4-fold over utterances). Stored like
    a unit, keyed by the inputs' content and the code: a rebuild reads it."""
    import hashlib

    from ..results import Experiment

    h = hashlib.sha256()
    for a in (np.asarray(X, np.float64), np.asarray(y).astype(str), np.asarray(speakers).astype(str),
              np.asarray(labels).astype(str)):
        h.update(str(a.shape).encode() + a.tobytes())
    exp = Experiment("foundations-sanity", h.hexdigest()[:12], "", "")

    def compute():
        out = _sanity_classifier(X, y, speakers, labels, seed)
        pred = out.pop("emotion_pred")
        return out, {"emotion_pred": np.asarray(pred).astype(str)}

    (row,), arrays = exp.unit({"seed": seed}, compute)
    keys = ("emotion UA (unseen speakers)", "emotion chance", "speaker accuracy", "speaker chance")
    return {**{k: row[k] for k in keys}, "emotion_pred": arrays["emotion_pred"].astype(np.asarray(y).dtype)}


def _sanity_classifier(X: np.ndarray, y: np.ndarray, speakers: np.ndarray, labels: list[str], seed: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.nan_to_num(X)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = min(5, len(np.unique(speakers)))
        emo = cross_val_predict(clf, X, y, groups=speakers, cv=GroupKFold(k))
        spk_k = max(2, min(4, pd.Series(speakers).value_counts().min()))
        spk = cross_val_predict(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0)), X, speakers,
                                cv=StratifiedKFold(spk_k, shuffle=True, random_state=seed))
    e = scores(y, emo, labels)
    return {"emotion UA (unseen speakers)": e["ua"], "emotion chance": 1 / len(labels),
            "speaker accuracy": float((spk == speakers).mean()), "speaker chance": 1 / len(np.unique(speakers)),
            "emotion_pred": emo}


# Calibration targets of the signal reference (eGeMAPS + LR, speaker-independent, 4 classes): the band
# and its sources are in sertools.calibration. Only the IEMOCAP-like corpus is calibrated, at the book size.
CALIBRATION = {"iemocap": (0.50, 0.60, "IEMOCAP 4-class, speaker-independent: 50–60 % UA")}


def _reference_utterances(name: str, c) -> pd.DataFrame | None:
    """The utterances the corpus's reference is scored on (classes with ≥ 10 utterances), or None."""
    from .. import protocols

    u = c.utterances[c.utterances.emotion.notna()]
    if name == "iemocap":
        u = protocols.four_class(u)
    u = u[u.emotion.isin(u.emotion.value_counts()[lambda s: s >= 10].index)]
    return None if u.empty or u.speaker.nunique() < 3 or u.emotion.nunique() < 2 else u


def corpus_reference(name: str, fingerprint: str, u: pd.DataFrame, seed: int = 0) -> dict:
    """One corpus's row of :func:`reference_by_corpus`, stored like a unit (keyed by the corpus's
    content, the seed and the code): a rebuild reads it instead of refitting."""
    from .. import reference
    from ..protocols import Fold, Folds
    from ..results import Experiment

    def compute() -> dict:
        classes = sorted(u.emotion.unique())
        y = u.emotion.map({e: i for i, e in enumerate(classes)})
        spk = np.array(sorted(u.speaker.unique()))
        groups = [spk[i::min(5, len(spk))] for i in range(min(10, len(spk)) if len(spk) <= 10 else 5)]
        folds = Folds("speaker groups", [Fold(f"G{i}", tuple(u.index[~u.speaker.isin(g)]), (),
                                              tuple(u.index[u.speaker.isin(g)])) for i, g in enumerate(groups)])
        units, _ = reference.reference_units(u, y, folds, list(range(len(classes))), seed)
        lo, hi, what = CALIBRATION.get(name, (np.nan, np.nan, ""))
        return {"classes": len(classes), "speakers": len(spk), "utterances": len(u),
                "chance UA": 1 / len(classes), "reference UA": units.ua.mean(),
                "speaker sd": units.ua.std(ddof=1), "calibration target": what,
                "within target": bool(lo <= units.ua.mean() <= hi) if what else None}

    exp = Experiment("foundations-reference", f"seed{seed}", fingerprint, "speaker groups")
    (row,), _ = exp.unit({"corpus": name}, compute)
    return row


REFERENCE_COLUMNS = ["classes", "speakers", "utterances", "chance UA", "reference UA", "speaker sd",
                     "calibration target", "within target"]


def reference_by_corpus(corpora: dict, seed: int = 0, workers: int | None = None) -> pd.DataFrame:
    """The signal reference on every corpus with emotion labels: eGeMAPS + LR, scored on unseen
    speakers (leave-one-speaker-out for ≤ 10 speakers, else five speaker-grouped folds), beside
    chance and, where the corpus is calibrated, the target range. The corpora's fits run side by
    side in worker processes, each stored (:func:`corpus_reference`)."""
    from .. import reference
    from ..parallel import map_units

    jobs = []
    for name, c in corpora.items():
        u = _reference_utterances(name, c)
        if u is not None:
            reference.egemaps(u.path)  # features here, over every core; the fits below read them
            jobs.append((name, c.fingerprint(), u, seed))
    rows = map_units(corpus_reference, jobs, workers, desc="references")
    return pd.DataFrame([{"corpus": j[0], **{k: r[k] for k in REFERENCE_COLUMNS}} for j, r in zip(jobs, rows)]
                        ).set_index("corpus")


def calibration_sentence(ref_table: pd.DataFrame, record: dict | None, P: Params) -> str:
    """The calibration paragraph, written from the measured numbers: this page's IEMOCAP-like
    reference and the stored ``make calibration`` record (whether it is current, in band)."""
    from ..calibration import BAND

    lo, hi = (100 * b for b in BAND)
    band = f"{lo:.0f}–{hi:.0f} %"
    out = []
    if "iemocap" in ref_table.index and not P.knobs:
        ua = 100 * ref_table.loc["iemocap", "reference UA"]
        where = "inside" if lo <= ua <= hi else "outside"
        if P.profile == "book" and not P.dry_run:
            out.append(f"On this page's IEMOCAP-like corpus (corpus seed 0, `book` size) the reference reaches "
                       f"**{ua:.1f} % UA**, {where} the {band} band.")
        else:
            out.append(f"On this page's `{'dryrun' if P.dry_run else P.profile}`-size IEMOCAP-like corpus the reference "
                       f"reaches {ua:.1f} % UA; the band applies at the `book` size, which this run does not use.")
    elif P.knobs:
        out.append("This page runs with non-default mechanism knobs, so its corpora are not the calibrated ones.")
    if record is None:
        out.append("No calibration has been stored yet: run `make calibration`.")
        return " ".join(out)
    per_seed = ", ".join(f"{100 * v['reference UA']:.1f}" for v in record["seeds"].values())
    ok = lo <= 100 * record["mean"] <= hi and all(lo <= 100 * v["reference UA"] <= hi for v in record["seeds"].values())
    out.append(f"`make calibration` measured {per_seed} % UA on corpus seeds {', '.join(record['seeds'])} (mean "
               f"**{100 * record['mean']:.1f} %**, IEMOCAP expressiveness gain {record['iemocap_gain']:g}, "
               f"{record['measured']}): {'every seed and the mean inside' if ok else 'NOT inside'} the band.")
    if not record["current"]:
        out.append("**That record was measured with another version of the generator**: the corpora on this page "
                   "differ from it, and `make calibration` must be run again.")
    elif P.profile == "book" and not P.dry_run and not P.knobs and "iemocap" in ref_table.index:
        live = ref_table.loc["iemocap", "reference UA"]
        stored = record["seeds"].get("0", {}).get("reference UA")
        if stored is not None:
            out.append("This page's number is the record's seed 0." if abs(live - stored) < 1e-9 else
                       f"This page's number differs from the record's seed 0 ({100 * stored:.1f} %): another machine "
                       "rounds the features and the classifier differently.")
    return " ".join(out)


# --------------------------------------------------------------------------- mechanism knobs and meters
def dose_roles(knob: str) -> list[str]:
    """What each of a knob's three doses is: absent, the book's default (or a middle dose), strong."""
    from ..data.synth.knobs import KNOBS

    k = KNOBS[knob]
    roles = ["absent", "default" if k.doses[1] == k.default else "middle", "strong"]
    return [r + (" = default" if d == k.default and r != "default" else "") for r, d in zip(roles, k.doses)]


def measure_meter(knob: str, dose: float, P: Params, base: dict | None = None) -> dict:
    """The meter of ``knob`` on corpora generated at ``dose`` (other knobs at ``base``): the audio and
    ratings meters read small dedicated corpora (``P.meter_size``), the selection meters the page's
    own corpora (whose features are cached)."""
    from .. import mechanisms, reference
    from ..data import embedded

    fn = mechanisms.METERS[knob][0]
    knobs = {**(base or {}), knob: dose}
    small = "smoke" if P.dry_run else P.meter_size
    page = "dryrun" if P.dry_run else P.profile

    def get(name: str, k: dict, size: str = small):
        return embedded(name, size=size, seed=0, knobs=k, progress=False)

    if knob == "parry_channel":
        return fn(get("crema-d", knobs), get("crema-d", {**knobs, knob: 0.0}))
    if knob == "parry_label_skew":
        from ..data.synth.knobs import PARRY_CORPORA

        return fn([get(n, knobs, page) for n in P.corpora if n in PARRY_CORPORA])
    if knob == "xi_shared":
        return fn(get("voxceleb", knobs), get("iemocap", base or {}))
    if knob == "emotion_fraction":
        return fn(get("iemocap", knobs, page), get("iemocap", base or {}, page), feats=reference.egemaps)
    return fn(get("iemocap", knobs))


def meter_table(P: Params) -> pd.DataFrame:
    """Every knob's meter at its three doses (long form: knob, dose, role, value, details)."""
    import time

    from ..data.synth.knobs import KNOBS
    from ..mechanisms import METERS

    rows = []
    for knob, (_, what, direction) in METERS.items():
        for dose, role in zip(KNOBS[knob].doses, dose_roles(knob)):
            t0 = time.perf_counter()
            out = measure_meter(knob, dose, P, dict(P.knobs))
            rows.append({"knob": knob, "paper": KNOBS[knob].paper, "meter": what, "moves": direction, "dose": dose,
                         "role": role, "value": out.pop("value"), "seconds": time.perf_counter() - t0,
                         "details": "; ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in out.items())})
    return pd.DataFrame(rows)


def meter_summary(long: pd.DataFrame) -> pd.DataFrame:
    """One row per knob: the meter at its three doses and whether it moved as intended (strong vs absent)."""
    rows = []
    for knob, g in long.groupby("knob", sort=False):
        v = g.value.to_numpy()
        up = g.moves.iloc[0] == "up"
        rows.append({"knob": knob, "paper": g.paper.iloc[0], "meter": g.meter.iloc[0],
                     "doses": " / ".join(f"{d:g}" for d in g.dose), "absent": v[0], "default or middle": v[1],
                     "strong": v[-1], "should": "rise" if up else "fall",
                     "as intended": bool(v[-1] > v[0]) if up else bool(v[-1] < v[0])})
    return pd.DataFrame(rows).set_index("knob")


def meter_exceptions(summary: pd.DataFrame) -> str:
    """A sentence naming the meters that did not move as intended (empty when all did)."""
    bad = summary[~summary["as intended"]]
    if bad.empty:
        return ""
    names = ", ".join(f"`{k}` (should {r.should}: {r.absent:.3g} at the absent dose, {r.strong:.3g} at the strong one)"
                      for k, r in bad.iterrows())
    return (f"Not as intended: {names}. A meter on a small corpus is one draw; a cause it does not show is not "
            "shown to be present.")
