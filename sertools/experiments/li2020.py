"""Chapter 2: Li et al. (2020), speaker-invariant representations with a max-entropy adversary."""
from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols
from ..config import Param, Params, resolve_parameters, seed_everything
from ..data import Corpus
from ..metrics import scores
from ..models.menan import SYSTEMS, SpeakerInvariantSER
from ..results import Experiment
from .common import load_corpus, per_process
from ..train import ItemDataset, TrainConfig, fit, predict

EMOTIONS = list(protocols.FOUR_CLASSES)
MOSEI_CLASSES = {"neutral": None, "happy": "p_happy", "angry": "p_angry", "sad": "p_sad"}

PARAMS = {
    "systems": Param(None, "ec | multitask | dat | menan", choices=SYSTEMS, many=True),
    "lambda_": Param(0.5, "λ in λ·L_emo − (1−λ)·H(SC)"),
    "folds": Param(None, "number of leave-one-speaker-out folds to run (10 = all)",
                   check=lambda v: None if isinstance(v, int) and 1 <= v <= 10 else "an int from 1 to 10"),
    "epochs": Param(None, "training epochs (paper: 300)"),
    "crop_seconds": Param(None, "middle-crop / cycle-repeat target duration (paper: 14 s)"),
    "speed_factors": Param(None, "speed perturbation of training data (paper: 0.8 0.9 1.1 1.2)", many=True),
}
PROFILES = {
    "smoke": dict(seeds=[0], systems=["ec", "menan"], folds=1, epochs=1, crop_seconds=2.0, speed_factors=[]),
    "book": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), folds=4, epochs=12, crop_seconds=3.0, speed_factors=[]),
    "full": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), folds=10, epochs=300, crop_seconds=14.0,
                 speed_factors=[0.8, 0.9, 1.1, 1.2]),
}
PAPER_TABLE2 = pd.DataFrame(
    [[58.50, 55.92, -2.56, 59.94, 57.45, -2.49], [59.24, 55.90, -3.34, 60.52, 57.28, -3.24],
     [58.28, 56.68, -1.60, 60.16, 58.48, -1.68], [58.85, 58.62, -0.23, 60.24, 59.91, -0.33]],
    index=list(SYSTEMS), columns=["WA val", "WA test", "WA Δ", "UA val", "UA test", "UA Δ"])
PAPER_TABLE3 = pd.DataFrame([[31.35, 27.14, 34.96], [np.nan] * 3, [32.34, 25.91, 37.85], [33.24, 28.84, 39.85]],
                            index=list(SYSTEMS), columns=["mean", "min", "max"])
NAMES = {"ec": "EC only", "multitask": "Multi-task", "dat": "DAT", "menan": "MEnAN"}


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("li2020", namespace, PARAMS, PROFILES)


def extractor(speed: float = 1.0) -> features.LogMel:
    """40 log-Mel (40 ms / 10 ms) + 3 Kaldi-style pitch features = 43 dims, no normalisation."""
    return features.LogMel(n_mels=40, win_ms=40, hop_ms=10, pitch=True, speed=speed)


def inputs(corpus: Corpus, ids, P: Params, speed: float = 1.0) -> dict[str, np.ndarray]:
    """Features of ``ids``, middle-cropped or cycle-repeated to ``crop_seconds``."""
    u = corpus.utterances.loc[list(ids)]
    arrays = features.extract(list(u.path), extractor(speed))
    target = int(round(P.crop_seconds * 100))
    return {utt: features.crop_or_repeat(x, target) for utt, x in zip(u.index, arrays)}


def run_fold(P: Params, exp: Experiment, corpus: Corpus, utts: pd.DataFrame, fold: protocols.Fold, system: str,
             seed: int, device, mosei: Corpus | None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Train one system on one fold; scores on validation, test and (optionally) MOSEI."""
    emo = {e: i for i, e in enumerate(EMOTIONS)}
    train_spk = sorted(utts.speaker.loc[list(fold.train)].unique())
    spk = {s: i for i, s in enumerate(train_spk)}
    index = {u: i for i, u in enumerate(utts.index)}

    def items(ids, X, with_speaker=True, offset=0):
        return [{"x": X[u], "y": emo[utts.emotion[u]], "utt": index[u] + offset,
                 **({"speaker": spk[utts.speaker[u]]} if with_speaker else {})} for u in ids]

    def cropped(speed: float) -> dict[str, np.ndarray]:  # the same for every unit: once per process
        return per_process(("li2020-inputs", P.hash, str(P.data_root), speed),
                           lambda: inputs(corpus, utts.index, P, speed))

    X = cropped(1.0)
    train = items(fold.train, X)
    for k, factor in enumerate(P.speed_factors, 1):  # perturbed copies count as extra training items
        train += items(fold.train, cropped(factor), offset=k * len(utts))
    seed_everything(seed)
    model = SpeakerInvariantSER(len(EMOTIONS), len(train_spk), system, P.lambda_)
    cfg = TrainConfig(epochs=P.epochs, batch_size=16, lr=1e-3, optimizer="adam", schedule="poly", monitor="val_ua",
                      patience=None)
    key = dict(system=system, fold=fold.name, seed=seed)
    val, test = ItemDataset(items(fold.val, X, False)), ItemDataset(items(fold.test, X, False))
    hist = fit(model, ItemDataset(train), cfg, val, seed=seed, device=device, labels=list(range(4)),
               checkpoint=exp.checkpoint(key), desc=f"{system} {fold.name}")
    row = {"seconds_per_epoch": hist.seconds_per_epoch, "best_epoch": hist.best_epoch}
    arrays = {}
    for part, ds in (("val", val), ("test", test)):
        pred = predict(model, ds, device=device)
        y = np.array([it["y"] for it in ds.items])
        s = scores(y, pred.pred, list(range(4)))
        row.update({f"{part}_ua": s["ua"], f"{part}_wa": s["wa"]})
        arrays.update({f"{part}_emb": pred.embedding, f"{part}_pred": pred.pred, f"{part}_y": y,
                       f"{part}_spk": utts.speaker.loc[list(getattr(fold, part))].to_numpy().astype(str)})
    train_pred = predict(model, ItemDataset(items(fold.train, X)), device=device)
    row["speaker_probe"], row["speaker_chance"] = speaker_probe(train_pred.embedding,
                                                                utts.speaker.loc[list(fold.train)].to_numpy(), seed)
    if mosei is not None:
        row["mosei_acc"] = mosei_accuracy(model, mosei, P, device)
    return [row], arrays


def speaker_probe(embeddings: np.ndarray, speakers: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """How much speaker identity a frozen embedding carries: 4-fold accuracy of a linear
    (logistic-regression) speaker classifier on training-speaker utterances, and chance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    k = int(max(2, min(4, pd.Series(speakers).value_counts().min())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = cross_val_score(clf, embeddings, speakers, cv=StratifiedKFold(k, shuffle=True, random_state=seed)).mean()
    return float(acc), float(pd.Series(speakers).value_counts(normalize=True).max())


def mosei_subset(mosei: Corpus) -> pd.DataFrame:
    """Samples with a positive happy/sad/anger rating, or no emotion at all ("neutral")."""
    u = mosei.utterances
    p = u[[c for c in u.columns if c.startswith("p_")]]
    keep = (u[["p_happy", "p_sad", "p_angry"]] > 0).any(axis=1) | (p.sum(axis=1) == 0)
    return u[keep]


def mosei_accuracy(model, mosei: Corpus, P: Params, device) -> float:
    """Table 3: a prediction is correct when the predicted emotion has a positive rating
    (neutral: when no emotion has one)."""
    u = mosei_subset(mosei)
    X = inputs(mosei, u.index, P)
    ds = ItemDataset([{"x": X[k], "y": 0, "utt": i} for i, k in enumerate(u.index)])
    pred = predict(model, ds, device=device).pred
    present = u[[c for c in u.columns if c.startswith("p_")]].sum(axis=1) == 0
    correct = [bool(present.iloc[i]) if EMOTIONS[p] == "neutral" else bool(u[MOSEI_CLASSES[EMOTIONS[p]]].iloc[i] > 0)
               for i, p in enumerate(pred)]
    return float(np.mean(correct))


def table2(rows: pd.DataFrame) -> pd.DataFrame:
    """WA and UA on validation and test and their Δ (mean over folds, then over seeds)."""
    per_seed = rows.groupby(["system", "seed"])[["val_wa", "test_wa", "val_ua", "test_ua"]].mean() * 100
    per_seed["wa_delta"] = per_seed.test_wa - per_seed.val_wa
    per_seed["ua_delta"] = per_seed.test_ua - per_seed.val_ua
    g = per_seed.groupby("system")
    return g.mean().round(2).astype(str) + " ± " + g.std(ddof=1).fillna(0).round(2).astype(str)


def data(P: Params) -> tuple[Corpus, pd.DataFrame, protocols.Folds]:
    """IEMOCAP (4 classes, excited merged) and its ten leave-one-speaker-out folds."""
    corpus = load_corpus("iemocap", P)
    utts = protocols.four_class(corpus.utterances)
    return corpus, utts, protocols.leave_one_speaker_out(utts, val="partner")


def mosei_label(u: pd.DataFrame) -> pd.Series:
    """The MOSEI subset's label for display: the emotions with positive ratings, or neutral."""
    cols = {"p_happy": "happy", "p_sad": "sad", "p_angry": "angry"}
    return u.apply(lambda r: "+".join(v for k, v in cols.items() if r[k] > 0) or "neutral", axis=1)


def experiment(P: Params, corpus: Corpus, folds: protocols.Folds) -> Experiment:
    return Experiment("li2020", P.hash, corpus.fingerprint(), folds.hash)


def unit_job(values: dict, system: str, fold_name: str, seed: int) -> tuple[list[dict], dict]:
    from ..config import resolve_device

    P = parameters(values)
    corpus, utts, folds = data(P)
    mosei = load_corpus("mosei", P)
    exp = experiment(P, corpus, folds)
    fold = next(f for f in folds if f.name == fold_name)
    key = dict(system=system, fold=fold_name, seed=seed)
    return exp.unit(key, lambda: run_fold(P, exp, corpus, utts, fold, system, seed, resolve_device(P.device), mosei))


def run_all(P: Params, corpus: Corpus, utts: pd.DataFrame, folds: protocols.Folds, mosei: Corpus | None,
            workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    """All (system, fold, seed) units, spread over CPU cores."""
    from ..parallel import map_units
    from ..results import stored_units

    if P.results_from:
        return stored_units(P.results_from, "li2020", ("system", "fold", "seed"))
    inputs(corpus, utts.index, P)                      # extract (or read) features once, here
    for f in P.speed_factors:
        inputs(corpus, utts.index, P, f)
    if mosei is not None:
        inputs(mosei, mosei_subset(mosei).index, P)
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(folds)[: P.folds] for s in P.systems]
    out = map_units(unit_job, jobs, workers)
    rows = pd.DataFrame([r for rs, _ in out for r in rs])
    arrays = {(j[1], j[2], j[3]): a for j, (_, a) in zip(jobs, out)}
    experiment(P, corpus, folds).write(rows)
    return rows, arrays


def figure2(arrays: dict, systems: list[str], fold: str, seed: int):
    """t-SNE of the unseen speakers' embeddings (validation + test speaker), by emotion and speaker."""
    import matplotlib.pyplot as plt

    from ..plots import scatter_by, tsne

    if not systems:
        return None
    fig, axes = plt.subplots(len(systems), 2, figsize=(8.4, 3.6 * len(systems)), squeeze=False)
    for row, system in zip(axes, systems):
        a = arrays[(system, fold, seed)]
        emb = np.concatenate([a["val_emb"], a["test_emb"]])
        xy = tsne(emb, seed)
        y = np.concatenate([a["val_y"], a["test_y"]])
        spk = np.concatenate([a["val_spk"], a["test_spk"]])
        scatter_by(xy, [EMOTIONS[i] for i in y], f"{NAMES[system]}: emotion", row[0], EMOTIONS)
        scatter_by(xy, spk, f"{NAMES[system]}: speaker", row[1])
    fig.tight_layout()
    return fig


def claims(rows: pd.DataFrame) -> pd.DataFrame:
    """The four claims on paired (fold, seed) units."""
    from ..results import verdict

    w = rows.pivot_table(index=["fold", "seed"], columns="system",
                         values=["test_ua", "val_ua", "speaker_probe", "mosei_acc"])
    out = []
    if "menan" not in set(rows.system):
        return pd.DataFrame()
    for other in [s for s in SYSTEMS if s != "menan" and s in set(rows.system)]:
        out.append({"claim": f"MEnAN test UA > {NAMES[other]}",
                    **verdict(w["test_ua"]["menan"], w["test_ua"][other])})
        drop = lambda s: -(w["test_ua"][s] - w["val_ua"][s]).abs()  # noqa: E731  (smaller |Δ| is better)
        out.append({"claim": f"MEnAN |val→test drop| < {NAMES[other]}", **verdict(drop("menan"), drop(other))})
        out.append({"claim": f"MEnAN speaker probe < {NAMES[other]}",
                    **verdict(-w["speaker_probe"]["menan"], -w["speaker_probe"][other])})
        if "mosei_acc" in w:
            out.append({"claim": f"MEnAN MOSEI accuracy > {NAMES[other]}",
                        **verdict(w["mosei_acc"]["menan"], w["mosei_acc"][other])})
    return pd.DataFrame(out)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 2 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["val_ua", "test_ua", "speaker_probe", "mosei_acc"]].mean().round(4)
