"""Mechanism meters: for each simulator knob (:mod:`sertools.data.synth.knobs`), one measurement on
a generated corpus that says how strongly the cause is present, in seconds.

Audio meters read per-utterance functionals of cached log-Mel spectrograms (:func:`functionals`)
and score linear probes on speakers they never saw; table meters read the labels and ratings
only. Each meter returns a dict whose ``value`` is the number that moves with its knob (the
direction from the knob's absent to its strong dose is in :data:`METERS`), with the quantities
behind it.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from . import features
from .data import Corpus
from .protocols import AMBIGUOUS_POLARITY, FOUR_CLASSES, POLARITY_MAP

FUNCTIONALS_NOTE = ("mean and SD of 40 log-Mel bands (25 ms, 0–8 kHz), frame energy mean, SD, 10th/90th "
                    "percentiles and mean |Δ|, and the slope of the mean spectrum over the bands")


def functionals(paths: Sequence[str]) -> np.ndarray:
    """``[N, 86]`` utterance functionals from cached 40-band log-Mel spectrograms."""
    out = []
    for x in features.extract(list(paths), features.LogMel(), progress=False):
        x = x.astype(np.float64)
        energy = np.log(np.exp(x).sum(1) + 1e-9)
        slope = np.polyfit(np.arange(x.shape[1]), x.mean(0), 1)[0]
        out.append(np.concatenate([x.mean(0), x.std(0), [energy.mean(), energy.std(), *np.percentile(energy, [10, 90]),
                                                         np.abs(np.diff(energy)).mean(), slope]]))
    return np.array(out)


def level_db(paths: Sequence[str]) -> np.ndarray:
    """Each utterance's level: the mean frame energy (dB) of its louder half of frames."""
    out = []
    for x in features.extract(list(paths), features.LogMel(), progress=False):
        e = 10 / np.log(10) * np.log(np.exp(x.astype(np.float64)).sum(1) + 1e-9)
        out.append(e[e >= np.median(e)].mean())
    return np.array(out)


def _probe(X: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float = 0.1, k: int = 5) -> float:
    """Unweighted accuracy of a standardised, class-balanced logistic regression on groups (speakers)
    it never saw (``k`` group folds, at most one per group)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .metrics import unweighted_accuracy

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=3000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = cross_val_predict(clf, X, y, groups=groups, cv=GroupKFold(min(k, len(np.unique(groups)))))
    return float(unweighted_accuracy(y, pred, sorted(np.unique(y)), warn=False))


def four_class(corpus: Corpus) -> pd.DataFrame:
    """The corpus's utterances with a four-class label (excited merged into happy)."""
    u = corpus.utterances
    e = u.emotion.astype("object").replace("excited", "happy")
    return u.assign(emotion=e)[e.isin(FOUR_CLASSES)]


def cramers_v(a: Sequence, b: Sequence) -> float:
    """Cramér's V of the contingency table of ``a`` × ``b`` (0: independent, 1: one determines the other)."""
    t = pd.crosstab(pd.Series(list(a), name="a"), pd.Series(list(b), name="b")).to_numpy(float)
    n = t.sum()
    expected = t.sum(1, keepdims=True) * t.sum(0, keepdims=True) / n
    chi2 = ((t - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / n / max(1, min(t.shape) - 1)))


# --------------------------------------------------------------------------- the meters
def level_cue(corpus: Corpus) -> dict:
    """``gain_db``: how much of the utterances' absolute level the emotion explains (η², the
    between-class share of the level's variance, four classes); recording gain adds variance that
    has nothing to do with emotion. Beside it, the UA of a probe on level alone (unseen speakers)."""
    u = four_class(corpus)
    lv = level_db(u.path)
    y = u.emotion.to_numpy()
    means = pd.Series(lv).groupby(y).transform("mean").to_numpy()
    eta2 = float(((means - lv.mean()) ** 2).sum() / ((lv - lv.mean()) ** 2).sum())
    return {"value": eta2, "UA from level alone": _probe(lv[:, None], y, u.speaker.to_numpy(), c=1.0),
            "level SD (dB)": float(lv.std()), "utterances": len(u)}


def speaker_label_association(corpus: Corpus) -> dict:
    """``li_confound``: Cramér's V between speaker and four-class label."""
    u = four_class(corpus)
    return {"value": cramers_v(u.speaker, u.emotion), "utterances": len(u)}


def style_consistency(corpus: Corpus) -> dict:
    """``li_style``: how alike speakers express emotion: the mean cosine similarity, between pairs of
    speakers, of their emotion directions (class mean − the speaker's neutral mean of per-speaker
    z-scored functionals), averaged over the three emotions; lower with speaker-specific styles."""
    u = four_class(corpus)
    X = functionals(u.path)
    sims = []
    for emo in ("happy", "angry", "sad"):
        dirs = []
        for _, idx in u.groupby("speaker").indices.items():
            Xs, ys = X[idx], u.emotion.to_numpy()[idx]
            Z = (Xs - Xs.mean(0)) / (Xs.std(0) + 1e-6)
            if (ys == emo).sum() and (ys == "neutral").sum():
                d = Z[ys == emo].mean(0) - Z[ys == "neutral"].mean(0)
                dirs.append(d / (np.linalg.norm(d) + 1e-9))
        D = np.array(dirs)
        if len(D) > 1:
            S = D @ D.T
            sims.append(S[np.triu_indices(len(D), 1)].mean())
    return {"value": float(np.mean(sims)), "speakers": int(u.speaker.nunique())}


def _levels(x: pd.Series) -> pd.Series:
    """1–5 ratings → low (≤ 2.5) / mid / high (> 3.5), as :func:`sertools.protocols.bin3`."""
    return pd.cut(x.astype(float), [-np.inf, 2.5, 3.5, np.inf], labels=[0, 1, 2]).astype(int)


def _dimensional(corpus: Corpus, dimension: str) -> pd.DataFrame:
    r = corpus.ratings
    return r[(r.scheme == "dimensional") & ~r.is_self.astype(bool) & r[dimension].notna()]


def corater_agreement(corpus: Corpus, dimension: str = "valence", targets: int = 4) -> dict:
    """``chou_rater_angle``: how well co-raters predict a target rater: for each of the ``targets``
    most active raters, the UAR with which the co-raters' mean rating (in three levels) predicts
    the target's own level on the utterances both rated; the mean over targets."""
    from .metrics import unweighted_accuracy

    r = _dimensional(corpus, dimension)
    wide = r.pivot_table(index="utterance", columns="rater", values=dimension, aggfunc="mean")
    out = {}
    for t in r.rater.value_counts().index[:targets]:
        both = wide[wide[t].notna() & wide.drop(columns=t).notna().any(axis=1)]
        own, others = _levels(both[t]), _levels(both.drop(columns=t).mean(axis=1))
        out[t] = unweighted_accuracy(own.to_numpy(), others.to_numpy(), [0, 1, 2], warn=False)
    return {"value": float(np.mean(list(out.values()))), **{f"UAR {k}": v for k, v in out.items()}}


def rater_bias_spread(corpus: Corpus, dimension: str = "valence") -> dict:
    """``chou_rater_bias``: the SD across raters of each rater's mean offset from the mean of its
    co-raters on the same utterances (scale points)."""
    r = _dimensional(corpus, dimension)
    wide = r.pivot_table(index="utterance", columns="rater", values=dimension, aggfunc="mean")
    offsets = {}
    for t in wide.columns:
        both = wide[wide[t].notna() & wide.drop(columns=t).notna().any(axis=1)]
        if len(both) >= 20:
            offsets[t] = float((both[t] - both.drop(columns=t).mean(axis=1)).mean())
    return {"value": float(np.std(list(offsets.values()), ddof=1)), "raters": len(offsets)}


def _polarity(u: pd.DataFrame) -> pd.DataFrame:
    p = u.emotion.astype("object").map({**POLARITY_MAP, **AMBIGUOUS_POLARITY})
    return u.assign(polarity=p)[p.notna()]


def channel_shift(corpus: Corpus, clean: Corpus) -> dict:
    """``parry_channel``: how far the out-of-domain channels move each recording: the mean distance,
    in standard deviations of the clean recordings' functionals (per dimension, root mean square),
    between an utterance recorded through ``corpus``'s channels and the same utterance in ``clean``
    (severity 0). Beside it: the UA a polarity probe trained on half the speakers' clean recordings
    loses on the other half's recordings through the channel (the out-of-domain gap), and how well a
    probe tells the channel's recordings from the clean ones (channel identity)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .metrics import unweighted_accuracy

    u = _polarity(clean.utterances)
    dose = corpus.utterances.loc[u.index]
    Xc, Xd = functionals(u.path), functionals(dose.path)
    sd = Xc.std(0) + 1e-9
    shift = float(np.sqrt((((Xd - Xc) / sd) ** 2).mean(1)).mean())
    spk = np.array(sorted(u.speaker.unique()))
    test = u.speaker.isin(spk[1::2]).to_numpy()
    y, labels = u.polarity.to_numpy(), sorted(set(u.polarity))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=3000))
        clf.fit(Xc[~test], y[~test])
        ua_clean = unweighted_accuracy(y[test], clf.predict(Xc[test]), labels, warn=False)
        ua_dose = unweighted_accuracy(y[test], clf.predict(Xd[test]), labels, warn=False)
    identity = _probe(np.vstack([Xc, Xd]), np.r_[np.zeros(len(u)), np.ones(len(u))],
                      np.r_[u.speaker.to_numpy(), u.speaker.to_numpy()], c=1.0)
    return {"value": shift, "out-of-domain gap (UA)": float(ua_clean - ua_dose), "UA clean": ua_clean,
            "UA through the channel": ua_dose, "channel identity UA": identity}


def corpus_label_association(corpora: Sequence[Corpus]) -> dict:
    """``parry_label_skew``: Cramér's V between corpus and polarity label over ``corpora``."""
    u = pd.concat([_polarity(c.utterances.assign(corpus=c.name)) for c in corpora])
    return {"value": cramers_v(u.corpus, u.polarity), "corpora": len(corpora), "utterances": len(u)}


def shared_structure(pretraining: Corpus, emotion: Corpus, dims: int = 8) -> dict:
    """``xi_shared``: how much of what separates the emotions lies in what separates the pretraining
    corpus's speakers: the share of the four emotion classes' between-class scatter (class means of
    the emotion corpus's functionals, standardised on the pretraining corpus) inside the span of the
    ``dims`` most speaker-discriminant directions of the pretraining corpus (shrinkage LDA). Beside
    it, the share inside as many principal components of the same corpus (the directions of most
    variance, which need no speaker labels), and the emotion probe's UA (unseen speakers) on either
    projection."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.preprocessing import StandardScaler

    pu = pretraining.utterances
    Xp = functionals(pu.path)
    scaler = StandardScaler().fit(Xp)
    Zp = scaler.transform(Xp)
    dims = min(dims, pu.speaker.nunique() - 1)
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto", n_components=dims).fit(Zp, pu.speaker)
    pca = PCA(n_components=dims, random_state=0).fit(Zp)
    u = four_class(emotion)
    Ze = scaler.transform(functionals(u.path))
    y, g = u.emotion.to_numpy(), u.speaker.to_numpy()
    means = pd.DataFrame(Ze).groupby(y).mean().to_numpy()
    D = means - means.mean(0)

    def share(directions: np.ndarray) -> float:
        q, _ = np.linalg.qr(directions)
        return float(((D @ q) ** 2).sum() / (D ** 2).sum())

    lda_share, pca_share = share(lda.scalings_[:, :dims]), share(pca.components_.T)
    return {"value": lda_share, "emotion share, principal": pca_share, "UA speaker-discriminant": _probe(lda.transform(Ze), y, g, c=1.0),
            "UA principal components": _probe(pca.transform(Ze), y, g, c=1.0), "speakers": int(pu.speaker.nunique())}


def data_scarcity(corpus: Corpus, full: Corpus, feats: Callable | None = None) -> dict:
    """``emotion_fraction``: the four-class probe's UA on unseen speakers when it trains on the
    utterances ``corpus`` kept and is scored on every utterance of the held-out speakers in
    ``full`` (the same corpus without the selection); ``feats`` maps paths to features
    (default :func:`functionals`)."""
    from sklearn.model_selection import GroupKFold

    from .metrics import unweighted_accuracy

    feats = feats or functionals
    u = four_class(full)
    X, y, g = feats(list(u.path)), u.emotion.to_numpy(), u.speaker.to_numpy()
    kept = u.index.isin(corpus.utterances.index)
    pred = np.empty(len(u), dtype=object)
    for train, test in GroupKFold(min(5, len(set(g)))).split(X, y, g):
        train = train[kept[train]]
        pred[test] = _fit(X[train], y[train]).predict(X[test])
    return {"value": float(unweighted_accuracy(y, pred, sorted(set(y)), warn=False)),
            "training utterances": int(kept.sum() * (1 - 1 / min(5, len(set(g))))), "of": len(u)}


def _fit(X: np.ndarray, y: np.ndarray, c: float = 0.1):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=3000)).fit(X, y)


def gender_transfer(corpus: Corpus) -> dict:
    """``fan_gender_style``: how differently the genders express emotion: the UA of a four-class
    probe trained and scored within one gender (unseen speakers) minus its UA when trained on the
    other gender, with functionals z-scored within each gender (which removes the genders'
    offsets of pitch and timbre); the mean over both genders. Beside it, each gender's own UA
    (equal overall discriminability keeps these alike)."""
    from .metrics import unweighted_accuracy

    u = four_class(corpus)
    X, y, g = functionals(u.path), u.emotion.to_numpy(), u.speaker.to_numpy()
    sex = u.gender.to_numpy()
    for s in ("F", "M"):
        X[sex == s] = (X[sex == s] - X[sex == s].mean(0)) / (X[sex == s].std(0) + 1e-9)
    out = {}
    for s, other in (("F", "M"), ("M", "F")):
        m = sex == s
        out[f"UA {s} (within)"] = _probe(X[m], y[m], g[m])
        out[f"UA {s} (trained on {other})"] = float(unweighted_accuracy(
            y[m], _fit(X[sex == other], y[sex == other]).predict(X[m]), sorted(set(y)), warn=False))
    gap = np.mean([out["UA F (within)"] - out["UA F (trained on M)"], out["UA M (within)"] - out["UA M (trained on F)"]])
    return {"value": float(gap), **out}


# knob → (meter, what it reads, the direction it moves from the knob's absent to its strong dose)
METERS: dict[str, tuple[Callable, str, str]] = {
    "gain_db": (level_cue, "share of the level's variance explained by emotion (η²)", "down"),
    "li_confound": (speaker_label_association, "Cramér's V, speaker × label", "up"),
    "li_style": (style_consistency, "cosine similarity of speakers' emotion directions", "down"),
    "chou_rater_angle": (corater_agreement, "UAR of co-raters predicting a target rater (valence)", "down"),
    "chou_rater_bias": (rater_bias_spread, "SD of raters' offsets from their co-raters (valence)", "up"),
    "parry_channel": (channel_shift, "shift of each recording through the out-of-domain channel (SD)", "up"),
    "parry_label_skew": (corpus_label_association, "Cramér's V, corpus × polarity", "up"),
    "xi_shared": (shared_structure, "share of the emotion scatter in speaker-discriminant directions", "up"),
    "emotion_fraction": (data_scarcity, "probe UA trained on the utterances kept", "down"),
    "fan_gender_style": (gender_transfer, "UA lost training on the other gender", "up"),
}
