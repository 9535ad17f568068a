"""Chapter 6: all five papers' emotion models on one corpus, one protocol, the same seeds."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything
from ..metrics import bootstrap_ci, scores
from ..models.adarl import ADARL
from ..models.blstm_attention import BLSTMAttention
from ..models.cnn_lstm import AttributeSER
from ..models.menan import SpeakerInvariantSER
from ..models.resnet_adapters import adapt
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, fit, predict
from . import xi2019
from .common import load_corpus, per_process

CLASSES = list(protocols.FOUR_CLASSES)
MODELS = {
    "blstm_attention": "BLSTM-attention (Chou & Lee)",
    "ec_only": "CNN-GRU, EC only (Li et al.)",
    "menan": "CNN-GRU + MEnAN (Li et al.)",
    "cnn_lstm_gr": "CNN-LSTM + GR on speaker (Parry et al.)",
    "resnet_adapter": "ResNet20 + residual adapters (Xi et al.)",
    "adarl": "ADARL (Fan et al.)",
}
SIZES = {  # per profile: the knobs that make CPU budgets
    "smoke": dict(blstm=[16, 8, 16], pool=10, crop=2.0, cnn=[16, 16], resnet=4, bins=50, hop=40, image=[40, 24],
                  pretrain=8),
    "book": dict(blstm=[64, 32, 64], pool=10, crop=3.0, cnn=[64, 80], resnet=8, bins=50, hop=40, image=[40, 24],
                 pretrain=50),
    "full": dict(blstm=[256, 128, 256], pool=3, crop=14.0, cnn=[256, 320], resnet=32, bins=400, hop=10,
                 image=[400, 300], pretrain=50),
}
PARAMS = {
    "models": Param(None, "models to compare", choices=tuple(MODELS), many=True),
    "epochs": Param(None, "epochs per model (the same for all)"),
}
PROFILES = {
    "smoke": dict(seeds=[0], models=list(MODELS), epochs=1),
    "book": dict(seeds=[0, 1, 2], models=list(MODELS), epochs=8),
    "full": dict(seeds=[0, 1, 2, 3, 4], models=list(MODELS), epochs=50),
}


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("scoreboard", namespace, PARAMS, PROFILES)


def data(P: Params):
    """IEMOCAP 4-class (excited merged), leave-one-session-out, the held-out partner validates."""
    corpus = load_corpus("iemocap", P)
    u = protocols.four_class(corpus.utterances)
    return corpus, u, protocols.leave_one_session_out(u, val="partner")


def _xi_params(P: Params) -> Params:
    s = SIZES[P.profile]
    return xi2019.parameters({"profile": P.profile, "data_root": P.data_root, "device": P.device,
                              "width": s["resnet"], "bins": s["bins"], "hop_ms": s["hop"], "epochs": P.epochs})


def items(model: str, P: Params, corpus, u: pd.DataFrame, ids, speakers: dict) -> ItemDataset:
    """The model's own input for ``ids``: each paper's features, with the shared 4-class labels."""
    s, sub = SIZES[P.profile], u.loc[list(ids)]
    index = {k: i for i, k in enumerate(u.index)}
    y = {k: CLASSES.index(e) for k, e in sub.emotion.items()}
    extra = lambda k: {"speaker": speakers.get(u.speaker[k], 0), "gender": int(u.gender[k] == "M")}  # noqa: E731
    if model == "blstm_attention":  # per-speaker z-scores need the whole corpus: computed once per process
        def build():
            raw = features.extract(list(u.path), features.Emobase45(), progress=False)
            normed = features.zscore_by_group([features.drop_unvoiced(x) for x in raw], list(u.speaker))
            return {k: features.mean_pool(x, s["pool"]) for k, x in zip(u.index, normed)}
        X = per_process(("scoreboard-blstm", P.hash, str(P.data_root)), build)
        return ItemDataset([{"x": X[k], "y": y[k], "utt": index[k]} for k in sub.index])
    if model in ("ec_only", "menan"):
        arr = features.extract(list(sub.path), features.LogMel(n_mels=40, win_ms=40, hop_ms=10, pitch=True), progress=False)
        return ItemDataset([{"x": features.crop_or_repeat(x, int(s["crop"] * 100)), "y": y[k], "utt": index[k],
                             **extra(k)} for k, x in zip(sub.index, arr)])
    if model == "cnn_lstm_gr":
        arr = features.extract(list(sub.path), features.LogMel(n_mels=40, win_ms=25, hop_ms=10), progress=False)
        return ItemDataset([{"x": features.zscore(x, per_dimension=False), "y": y[k], "utt": index[k], **extra(k)}
                            for k, x in zip(sub.index, arr)])
    if model == "resnet_adapter":
        Px = _xi_params(P)
        size, hop = xi2019.chunk_frames(Px)
        arr = features.extract(list(sub.path), xi2019.extractor(Px), progress=False)
        return ItemDataset([{"x": c.astype(np.float32), "y": y[k], "utt": index[k]}
                            for k, x in zip(sub.index, arr) for c in features.chunks(x, size, hop)])
    if model == "adarl":
        bins, frames = s["image"]
        ex = features.MultiWindowLogSTFT(hop_ms=3000 / frames, n_fft=1600, out_bins=None if bins == 400 else bins)
        arr = features.extract(list(sub.path), ex, progress=False)
        return ItemDataset([{"x": c.astype(np.float32), "y": y[k], "utt": index[k], **extra(k)}
                            for k, x in zip(sub.index, arr) for c in features.chunks(x, frames, frames)])
    raise ValueError(f"unknown model {model!r}; models: {', '.join(MODELS)}")


def build(model: str, P: Params, n_speakers: int, seed: int):
    """The model and its paper's optimiser settings (epochs shared)."""
    s, E = SIZES[P.profile], P.epochs
    seed_everything(seed)
    if model == "blstm_attention":
        return BLSTMAttention(45, *s["blstm"], n_classes=4), TrainConfig(E, 32, 3e-3, "adamax")
    if model in ("ec_only", "menan"):
        return (SpeakerInvariantSER(4, n_speakers, "ec" if model == "ec_only" else "menan", 0.5),
                TrainConfig(E, 16, 1e-3, "adam", schedule="poly"))
    if model == "cnn_lstm_gr":
        return (AttributeSER(4, {"speaker": n_speakers}, "gr", 0.5, channels=s["cnn"][0], hidden=s["cnn"][1]),
                TrainConfig(E, 32, 0.01 if P.profile != "full" else 0.002, "sgd"))
    if model == "resnet_adapter":
        net = adapt(xi2019.pretrain(_xi_params(P), s["pretrain"], True, seed), "residual_adapter", 4)
        return net, TrainConfig(E, 32, 0.01, "sgd", nesterov=True, weight_decay=0.005, schedule="step",
                                milestones=(max(1, E // 3), max(2, 2 * E // 3)), bucket=False)
    if model == "adarl":
        return (ADARL(4, 2, "adarl", tuple(s["image"])),
                TrainConfig(E, 32, 0.2, "sgd", weight_decay=4e-5, schedule="exp", gamma=0.7, bucket=False,
                            grad_clip=5.0))
    raise ValueError(model)


def run_unit(P: Params, exp: Experiment, model: str, fold: protocols.Fold, seed: int):
    corpus, u, _ = data(P)
    speakers = {s: i for i, s in enumerate(sorted(u.speaker.loc[list(fold.train)].unique()))}
    train, val, test = (items(model, P, corpus, u, getattr(fold, p), speakers) for p in ("train", "val", "test"))
    net, cfg = build(model, P, len(speakers), seed)
    device = resolve_device(P.device)
    hist = fit(net, train, cfg, val, seed=seed, device=device, labels=list(range(4)), desc=model,
               checkpoint=exp.checkpoint(dict(model=model, fold=fold.name, seed=seed)))
    pred = predict(net, test, device=device)
    index = {k: i for i, k in enumerate(u.index)}
    y = np.array([CLASSES.index(u.emotion[k]) for k in sorted(fold.test, key=index.get)])
    s = scores(y, pred.pred, list(range(4)))
    row = {"ua": s["ua"], "wa": s["wa"], "parameters": sum(p.numel() for p in net.parameters()),
           "trainable": sum(p.numel() for p in net.parameters() if p.requires_grad),
           "seconds_per_epoch": hist.seconds_per_epoch, "ms_per_utterance": 1000 * pred.seconds_per_utt}
    return [row], {"y": y, "pred": pred.pred}


def experiment(P: Params) -> Experiment:
    corpus, u, folds = data(P)
    return Experiment("scoreboard", P.hash, corpus.fingerprint(), folds.hash)


def unit_job(values: dict, model: str, fold_name: str, seed: int):
    P = parameters(values)
    folds = data(P)[2]
    exp = experiment(P)
    fold = next(f for f in folds if f.name == fold_name)
    return exp.unit(dict(model=model, fold=fold_name, seed=seed), lambda: run_unit(P, exp, model, fold, seed))


def run_all(P: Params, workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    from ..parallel import map_units
    from ..results import stored_units

    if P.results_from:
        return stored_units(P.results_from, "scoreboard", ("model", "fold", "seed"))
    corpus, u, folds = data(P)
    for m in P.models:  # features and the speaker network, once, here
        items(m, P, corpus, u, u.index, {})
    if "resnet_adapter" in P.models:
        map_units(xi2019.pretrain_job, [(_xi_params(P).as_dict(), SIZES[P.profile]["pretrain"], True, s)
                                        for s in P.seeds], workers)
    jobs = [(P.as_dict(), m, f.name, s) for s in P.seeds for f in folds for m in P.models]
    out = map_units(unit_job, jobs, workers)
    rows = pd.DataFrame([r for rs, _ in out for r in rs])
    experiment(P).write(rows)
    return rows, {(j[1], j[2], j[3]): a for j, (_, a) in zip(jobs, out)}


def board(rows: pd.DataFrame, arrays: dict, seed: int = 0) -> pd.DataFrame:
    """One row per model: UA and WA (mean over seeds of pooled-over-folds scores) with 95 %
    bootstrap CIs on the pooled predictions of all seeds, sizes and speeds."""
    out = []
    for m in [k for k in MODELS if k in set(rows.model)]:
        ys = [a["y"] for (mm, _, _), a in sorted(arrays.items()) if mm == m]
        ps = [a["pred"] for (mm, _, _), a in sorted(arrays.items()) if mm == m]
        y, p = np.concatenate(ys), np.concatenate(ps)
        s = scores(y, p, list(range(4)))
        ua_lo, ua_hi = bootstrap_ci(y, p, list(range(4)), "ua", seed=seed)
        wa_lo, wa_hi = bootstrap_ci(y, p, list(range(4)), "wa", seed=seed)
        r = rows[rows.model == m]
        out.append({"model": MODELS[m], "UA": s["ua"], "UA low": ua_lo, "UA high": ua_hi, "WA": s["wa"],
                    "WA low": wa_lo, "WA high": wa_hi, "parameters": int(r.parameters.iloc[0]),
                    "trainable": int(r.trainable.iloc[0]), "s / epoch": r.seconds_per_epoch.mean(),
                    "ms / utterance": r.ms_per_utterance.mean(), "fold-seed units": len(r)})
    return pd.DataFrame(out).set_index("model")


def significance(rows: pd.DataFrame) -> pd.DataFrame:
    """Each model against the best one (by mean UA): paired over (fold, seed)."""
    from ..results import verdict

    w = rows.pivot_table(index=["fold", "seed"], columns="model", values="ua")
    best = w.mean().idxmax()
    out = [{"model": MODELS[m], "vs": MODELS[best], **verdict(w[best], w[m])} for m in w.columns if m != best]
    t = pd.DataFrame(out)
    if len(t):
        t["significantly worse than the best"] = t.verdict == "holds"
    return t


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["model"])[["ua", "wa"]].mean().round(4)

