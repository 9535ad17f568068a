"""Chapter 5: Fan et al. (2020), adaptive domain-aware representation learning (ADARL)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything
from ..metrics import confusion, scores
from ..models.adarl import ADARL, POOLS, SYSTEMS
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, fit, predict
from .common import load_corpus

CLASSES = ["angry", "happy", "sad", "neutral"]  # the order of the paper's Fig. 4
NAMES = {"backbone": "Backbone", "domain_invariant": "Domain-invariant Model", "adarl": "ADARL"}

PARAMS = {
    "systems": Param(None, "backbone | domain_invariant | adarl", choices=SYSTEMS, many=True),
    "gammas": Param(None, "γ1 (domain), γ2 (emotion), γ3 (center loss); paper: 1, 1, 0.5", many=True),
    "folds": Param(None, "number of leave-one-speaker-out folds (10 = all)",
                   check=lambda v: None if isinstance(v, int) and 1 <= v <= 10 else "an int from 1 to 10"),
    "epochs": Param(None, "epochs (paper: 50; lr 0.2 × 0.7 per epoch)"),
    "image": Param(None, "[frequency bins, frames] of a 3 s segment (paper: [400, 300])", many=True,
                   check=lambda v: None if len(v) == 2 and 400 % v[0] == 0 else "[bins dividing 400, frames]"),
}
PROFILES = {
    "smoke": dict(seeds=[0], systems=["backbone", "adarl"], gammas=[1.0, 1.0, 0.5], folds=1, epochs=1,
                  image=[40, 24]),
    "book": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), gammas=[1.0, 1.0, 0.5], folds=4, epochs=12,
                 image=[40, 24]),
    "full": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), gammas=[1.0, 1.0, 0.5], folds=10, epochs=50,
                 image=[400, 300]),
}
PAPER_TABLE2 = pd.DataFrame([["FCN + Attention Model (2018)", 70.4, 63.9], ["Fixed-Length Model (2018)", 68.86, 57.45],
                             ["Variable-Length Model (2018)", 71.45, 64.22], ["SegCNN-ELM (2019)", 62.34, 64.53],
                             ["audio-BRE (2019)", 64.60, 65.20], ["Fusion Model (2020)", 72.34, 58.31],
                             ["ADARL (Fan et al.)", 73.02, 65.86]], columns=["model", "WA", "UA"])
PAPER_TABLE3 = pd.DataFrame([[69.96, 56.78], [71.47, 61.91], [73.02, 65.86]], index=list(SYSTEMS), columns=["WA", "UA"])
PAPER_TABLE4 = pd.DataFrame([[11.58, 9.16, 8.61, 10.14], [np.nan] * 4, [6.32, 3.23, 5.41, 4.66]], index=list(SYSTEMS),
                            columns=CLASSES)
PAPER_FIG4 = {"backbone": [[61.77, 0, 0.91, 37.32], [17.35, 2.20, 8.31, 72.14], [0.19, 0.27, 83.28, 16.26],
                           [4.08, 1.74, 14.29, 79.88]],
              "adarl": [[64.83, 6.62, 2.61, 25.94], [13.54, 38.55, 3.37, 44.53], [1.69, 1.72, 83.68, 12.91],
                        [6.42, 6.92, 10.30, 76.36]]}


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("fan2020", namespace, PARAMS, PROFILES)


def extractor(P: Params) -> features.MultiWindowLogSTFT:
    """Log STFT with 20/30/40 ms windows, 0–4 kHz in ``image[0]`` bins, ``image[1]`` frames per 3 s."""
    n_bins, frames = P.image
    return features.MultiWindowLogSTFT(wins_ms=(20.0, 30.0, 40.0), hop_ms=3000 / frames, n_fft=1600, fmax=4000,
                                       out_bins=None if n_bins == 400 else n_bins)


def data(P: Params):
    corpus = load_corpus("iemocap", P)
    u = protocols.four_class(protocols.improvised_only(corpus.utterances), merge_excited=False)
    return corpus, u, protocols.leave_one_speaker_out(u, val="partner")


def segments(u: pd.DataFrame, ids, P: Params, index: dict) -> ItemDataset:
    """3 s non-overlapping segments, the last zero-padded: items ``[T, 3, F]``."""
    frames = P.image[1]
    sub = u.loc[list(ids)]
    arrays = features.extract(list(sub.path), extractor(P), progress=False)
    return ItemDataset([{"x": s.astype(np.float32), "y": CLASSES.index(e), "gender": int(g == "M"), "utt": index[k]}
                        for k, e, g, x in zip(sub.index, sub.emotion, sub.gender, arrays)
                        for s in features.chunks(x, frames, frames)])


def run_unit(P: Params, exp: Experiment, u: pd.DataFrame, fold: protocols.Fold, system: str, seed: int):
    index = {k: i for i, k in enumerate(u.index)}
    train = segments(u, fold.train, P, index)
    seed_everything(seed)
    model = ADARL(4, 2, system, tuple(P.image), tuple(P.gammas))
    cfg = TrainConfig(epochs=P.epochs, batch_size=32, lr=0.2, optimizer="sgd", momentum=0.9, weight_decay=4e-5,
                      schedule="exp", gamma=0.7, monitor=None, bucket=False, grad_clip=5.0)
    device = resolve_device(P.device)
    hist = fit(model, train, cfg, seed=seed, device=device, desc=f"{system} {fold.name}",
               checkpoint=exp.checkpoint(dict(system=system, fold=fold.name, seed=seed)))
    row, arrays = {"seconds_per_epoch": hist.seconds_per_epoch}, {}
    for part in ("test", "val"):
        ids = getattr(fold, part)
        pred = predict(model, segments(u, ids, P, index), device=device)
        y = np.array([CLASSES.index(e) for e in u.emotion.loc[sorted(ids, key=index.get)]])
        if part == "test":
            s = scores(y, pred.pred, list(range(4)))
            row.update(ua=s["ua"], wa=s["wa"], **{f"recall_{CLASSES[i]}": s[f"recall_{i}"] for i in range(4)})
        g = u.gender.loc[sorted(ids, key=index.get)].to_numpy().astype(str)
        arrays.update({f"{part}_emb": pred.embedding, f"{part}_y": y, f"{part}_pred": pred.pred, f"{part}_gender": g})
    return [row], arrays


def experiment(P: Params) -> Experiment:
    corpus, u, folds = data(P)
    return Experiment("fan2020", P.hash, corpus.fingerprint(), folds.hash)


def unit_job(values: dict, system: str, fold_name: str, seed: int):
    P = parameters(values)
    _, u, folds = data(P)
    fold = next(f for f in folds if f.name == fold_name)
    exp = experiment(P)
    return exp.unit(dict(system=system, fold=fold_name, seed=seed), lambda: run_unit(P, exp, u, fold, system, seed))


def run_all(P: Params, workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    from ..parallel import map_units
    from ..results import stored_units

    if P.results_from:
        return stored_units(P.results_from, "fan2020", ("system", "fold", "seed"))
    if tuple(P.image) not in POOLS:
        raise ValueError(f"image {P.image} has no pooling plan; use one of {[list(k) for k in POOLS]}")
    _, u, folds = data(P)
    features.extract(list(u.path), extractor(P))
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(folds)[: P.folds] for s in P.systems]
    out = map_units(unit_job, jobs, workers)
    rows = pd.DataFrame([r for rs, _ in out for r in rs])
    experiment(P).write(rows)
    return rows, {(j[1], j[2], j[3]): a for j, (_, a) in zip(jobs, out)}


def mean_confusion(arrays: dict, system: str) -> pd.DataFrame:
    """Fig. 4: the confusion matrix of every fold (and seed), averaged."""
    mats = [confusion(a["test_y"], a["test_pred"], list(range(4))).to_numpy()
            for (s, _, _), a in arrays.items() if s == system]
    m = np.mean(mats, axis=0)
    return pd.DataFrame(m, index=pd.Index(CLASSES, name="true"), columns=pd.Index(CLASSES, name="predicted"))


def gender_center_distance(arrays: dict, system: str) -> pd.Series:
    """Table 4: per emotion, the L2 distance between the male and female centres of the
    (standardised) 64-d features of the held-out session's two speakers, averaged over folds."""
    out = []
    for (s, _, _), a in arrays.items():
        if s != system:
            continue
        emb = np.concatenate([a["test_emb"], a["val_emb"]])
        emb = (emb - emb.mean(0)) / (emb.std(0) + 1e-8)
        y = np.concatenate([a["test_y"], a["val_y"]])
        g = np.concatenate([a["test_gender"], a["val_gender"]])
        d = {}
        for i, c in enumerate(CLASSES):
            m, f = emb[(y == i) & (g == "M")], emb[(y == i) & (g == "F")]
            d[c] = float(np.linalg.norm(m.mean(0) - f.mean(0))) if len(m) and len(f) else np.nan
        out.append(d)
    return pd.DataFrame(out).mean()


def claims(rows: pd.DataFrame, arrays: dict) -> pd.DataFrame:
    from ..results import verdict

    def wide(value: str) -> pd.DataFrame:
        return rows.pivot_table(index=["fold", "seed"], columns="system", values=value, dropna=False)

    ua, happy = wide("ua"), wide("recall_happy")
    out = []
    for a, b in [("adarl", "domain_invariant"), ("domain_invariant", "backbone"), ("adarl", "backbone")]:
        if a in ua and b in ua:
            out.append({"claim": f"{NAMES[a]} UA > {NAMES[b]}", **verdict(ua[a], ua[b])})
    if {"adarl", "backbone"} <= set(ua.columns):
        if {"adarl", "backbone"} <= set(happy.columns):  # test speakers without happy give NaN
            out.append({"claim": "ADARL happy recall > Backbone", **verdict(happy["adarl"], happy["backbone"])})
        per = {s: [] for s in ("adarl", "backbone")}
        for (s, fold, seed) in arrays:
            if s in per:
                per[s].append(gender_center_distance({(s, fold, seed): arrays[(s, fold, seed)]}, s).mean())
        out.append({"claim": "male/female class centres closer with ADARL",
                    **verdict(-np.array(per["adarl"]), -np.array(per["backbone"]))})
    return pd.DataFrame(out)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 3 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["ua", "wa", "recall_happy"]].mean().round(4)
