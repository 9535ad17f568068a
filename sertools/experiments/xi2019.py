"""Chapter 4: Xi et al. (2019), speaker-to-emotion transfer with residual adapters."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything
from ..data import Corpus
from ..metrics import scores
from ..models.resnet_adapters import METHODS, ResNet20, adapt
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, fit, load_checkpoint, predict
from .common import load_corpus

IEMOCAP_CLASSES = ["neutral", "angry", "happy", "sad"]
CHEAVD_CLASSES = ["neutral", "angry", "happy", "sad", "worried", "anxious", "surprise", "disgust"]
NAMES = {"plain": "Plain", "feature_extractor": "Feature Extractor", "fine_tuning": "Fine-tuning",
         "residual_adapter": "Res. Adapter", "adapter_only": "Adapter"}

PARAMS = {
    "corpora": Param(None, "iemocap (improvised, 4 classes, 5 folds) and/or cheavd (train/val split)",
                     choices=("iemocap", "cheavd"), many=True),
    "methods": Param(None, "plain | feature_extractor | fine_tuning | residual_adapter | adapter_only",
                     choices=METHODS, many=True),
    "pretrain_speakers": Param(None, "speakers of the VoxCeleb-like corpus used for pretraining (paper: 50); "
                               "several values sweep it for the residual adapter", many=True),
    "runs": Param(None, "runs (seeds) per configuration (paper: 5); overrides seeds when set"),
    "epochs": Param(None, "epochs for emotion and speaker training (paper: 30)"),
    "width": Param(None, "channels of the first stage (paper: 32)"),
    "bins": Param(None, "frequency bins for 0-4 kHz (paper: 400, from a 1600-point FFT)",
                  check=lambda v: None if isinstance(v, int) and 400 % v == 0 else "a divisor of 400"),
    "hop_ms": Param(None, "frame shift in ms (paper: 10 → 2 s chunks of 200 frames)"),
}
PROFILES = {
    "smoke": dict(seeds=[0], corpora=["iemocap"], methods=["plain", "residual_adapter"], pretrain_speakers=[8],
                  runs=None, epochs=1, width=4, bins=50, hop_ms=40),
    "book": dict(seeds=[0, 1, 2], corpora=["iemocap"], methods=list(METHODS), pretrain_speakers=[50, 10],
                 runs=None, epochs=6, width=8, bins=50, hop_ms=40),
    "full": dict(seeds=[0, 1, 2, 3, 4], corpora=["iemocap", "cheavd"], methods=list(METHODS),
                 pretrain_speakers=[50, 10, 200, 1000], runs=5, epochs=30, width=32, bins=400, hop_ms=10),
}
PAPER_TABLE2 = pd.DataFrame(
    {("cheavd", "UA"): [32.27, 32.91, 31.23, 34.08, 32.10], ("cheavd", "WA"): [42.66, 40.39, 41.45, 43.96, 41.54],
     ("iemocap", "UA"): [59.00, 57.85, 62.83, 67.58, 57.62], ("iemocap", "WA"): [65.65, 66.52, 68.02, 72.73, 68.89]},
    index=list(METHODS))
PAPER_STD = pd.DataFrame(
    {("cheavd", "UA"): [3.60, 2.90, 3.59, 1.84, 1.25], ("cheavd", "WA"): [1.33, 0.25, 0.91, 0.54, 0.76],
     ("iemocap", "UA"): [2.53, 1.25, 1.59, 2.41, 3.27], ("iemocap", "WA"): [1.85, 0.25, 0.53, 0.58, 0.36]},
    index=list(METHODS))
PAPER_TABLE3 = pd.DataFrame([["IEMOCAP", "LSTM-ELM", 63.89, 62.85], ["IEMOCAP", "CNN-LSTM", 62.00, 67.30],
                             ["IEMOCAP", "CNN-GRU", 64.22, 71.45], ["IEMOCAP", "CNN-Att.pooling", 66.38, 70.18],
                             ["IEMOCAP", "Xi et al. (res. adapter)", 67.58, 72.73],
                             ["CHEAVD", "MEC 2017 baseline", 27.20, 39.90], ["CHEAVD", "LSTM-FCN", 31.80, 46.30],
                             ["CHEAVD", "Xi et al. (res. adapter)", 34.08, 43.96]], columns=["corpus", "model", "UA", "WA"])


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("xi2019", namespace, PARAMS, PROFILES)


def seeds(P: Params) -> list[int]:
    return list(range(P.runs)) if P.runs else list(P.seeds)


def extractor(P: Params) -> features.MuLawSpectrogram:
    return features.MuLawSpectrogram(win_ms=40, hop_ms=P.hop_ms, n_fft=1600, fmax=4000,
                                     out_bins=None if P.bins == 400 else P.bins)


def chunk_frames(P: Params) -> tuple[int, int]:
    """2 s chunks with 1 s overlap, in frames."""
    return int(round(2000 / P.hop_ms)), int(round(1000 / P.hop_ms))


def emotion_data(P: Params, name: str) -> tuple[Corpus, pd.DataFrame, protocols.Folds, list[str], str]:
    corpus = load_corpus(name, P)
    if name == "iemocap":
        u = protocols.four_class(protocols.improvised_only(corpus.utterances), merge_excited=False)
        return corpus, u, protocols.leave_one_session_out(u, val="partner"), IEMOCAP_CLASSES, "emotion"
    u = corpus.utterances[corpus.utterances.emotion_raw.isin(CHEAVD_CLASSES)]
    return corpus, u, protocols.predefined(u, "split", test="val"), CHEAVD_CLASSES, "emotion_raw"


def chunked(corpus: Corpus, ids, P: Params, targets: dict, index: dict) -> ItemDataset:
    """Items: every 2 s chunk of every utterance (utterance score = mean over its chunks)."""
    u = corpus.utterances.loc[list(ids)]
    size, hop = chunk_frames(P)
    arrays = features.extract(list(u.path), extractor(P), progress=False)
    return ItemDataset([{"x": c.astype(np.float32), "y": targets[k], "utt": index[k]}
                        for k, x in zip(u.index, arrays) for c in features.chunks(x, size, hop)])


def pretrain(P: Params, n_speakers: int, adapters: bool, seed: int) -> ResNet20:
    """Speaker classification on ``n_speakers`` random speakers of the VoxCeleb-like corpus
    (lr 0.05, ÷10 at epoch 21, weight decay 1e-4, Nesterov momentum 0.9)."""
    vox = load_corpus("voxceleb", P)
    seed_everything(seed)
    model = ResNet20(n_speakers, adapters, P.width)
    exp = Experiment("xi2019-pretrain", P.hash, vox.fingerprint(), f"{n_speakers}-{seed}")
    checkpoint = exp.checkpoint(dict(n=n_speakers, adapters=adapters, seed=seed))
    if load_checkpoint(model, checkpoint) is not None:  # every transfer unit shares it: skip building the data
        return model
    rng = np.random.default_rng([seed, n_speakers])
    spk = sorted(rng.choice(sorted(vox.utterances.speaker.unique()), size=n_speakers, replace=False))
    u = vox.utterances[vox.utterances.speaker.isin(spk)]
    index = {k: i for i, k in enumerate(u.index)}
    ds = chunked(vox, u.index, P, {k: spk.index(s) for k, s in u.speaker.items()}, index)
    cfg = TrainConfig(epochs=P.epochs, batch_size=32, lr=0.05, optimizer="sgd", nesterov=True, weight_decay=1e-4,
                      schedule="step", milestones=(int(P.epochs * 20 / 30),), monitor=None, bucket=False)
    fit(model, ds, cfg, seed=seed, device=resolve_device(P.device), desc=f"pretrain {n_speakers} spk",
        checkpoint=checkpoint)
    return model


def run_unit(P: Params, exp: Experiment, name: str, method: str, fold: protocols.Fold, seed: int,
             n_speakers: int) -> list[dict]:
    corpus, u, _, classes, column = emotion_data(P, name)
    device = resolve_device(P.device)
    targets = {k: classes.index(v) for k, v in u[column].items()}
    index = {k: i for i, k in enumerate(u.index)}
    train, val, test = (chunked(corpus, getattr(fold, p), P, targets, index) for p in ("train", "val", "test"))
    seed_everything(seed)
    if method == "plain":
        model = ResNet20(len(classes), False, P.width)
    else:
        model = adapt(pretrain(P, n_speakers, method in ("residual_adapter", "adapter_only"), seed), method,
                      len(classes))
    m1, m2 = int(round(P.epochs * 10 / 30)), int(round(P.epochs * 20 / 30))
    cfg = TrainConfig(epochs=P.epochs, batch_size=32, lr=0.01, optimizer="sgd", nesterov=True,
                      weight_decay=0.005 if name == "iemocap" else 0.001, schedule="step", milestones=(m1, m2),
                      monitor="val_ua", bucket=False)
    key = dict(corpus=name, method=method, fold=fold.name, seed=seed, pretrain_speakers=n_speakers)
    hist = fit(model, train, cfg, val, seed=seed, device=device, labels=list(range(len(classes))),
               checkpoint=exp.checkpoint(key), desc=f"{method} {fold.name}")
    pred = predict(model, test, device=device)
    y = np.array([targets[k] for k in sorted(fold.test, key=index.get)])
    s = scores(y, pred.pred, list(range(len(classes))))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return [{"ua": s["ua"], "wa": s["wa"], "trainable_params": trainable, "best_epoch": hist.best_epoch,
             "seconds_per_epoch": hist.seconds_per_epoch}]


def experiment(P: Params, name: str) -> Experiment:
    corpus, u, folds, _, _ = emotion_data(P, name)
    return Experiment(f"xi2019-{name}", P.hash, corpus.fingerprint(), folds.hash)


def pretrain_job(values: dict, n_speakers: int, adapters: bool, seed: int) -> None:
    pretrain(parameters(values), n_speakers, adapters, seed)


def unit_job(values: dict, name: str, method: str, fold_name: str, seed: int, n_speakers: int) -> list[dict]:
    P = parameters(values)
    folds = emotion_data(P, name)[2]
    fold = next(f for f in folds if f.name == fold_name)
    exp = experiment(P, name)
    key = dict(corpus=name, method=method, fold=fold_name, seed=seed, pretrain_speakers=n_speakers)
    return exp.unit(key, lambda: run_unit(P, exp, name, method, fold, seed, n_speakers))[0]


def run_all(P: Params, workers: int | None = None) -> pd.DataFrame:
    """Pretraining first (shared by the transfer methods), then every emotion unit. The first
    ``pretrain_speakers`` value is the main setting; the others are run for the residual adapter only."""
    from ..parallel import map_units
    from ..results import stored_units

    if P.results_from:
        return pd.concat([stored_units(P.results_from, f"xi2019-{n}", ("method",))[0] for n in P.corpora])
    main, *extra = P.pretrain_speakers
    for name in P.corpora:  # extract features once, here
        corpus, u, _, _, _ = emotion_data(P, name)
        features.extract(list(u.path), extractor(P))
    vox = load_corpus("voxceleb", P)
    features.extract(list(vox.utterances.path), extractor(P))
    needs = {(n, m in ("residual_adapter", "adapter_only")) for m in P.methods if m != "plain" for n in [main]}
    needs |= {(n, True) for n in extra if "residual_adapter" in P.methods}
    map_units(pretrain_job, [(P.as_dict(), n, a, s) for s in seeds(P) for n, a in sorted(needs)], workers)
    jobs = []
    for name in P.corpora:
        folds = emotion_data(P, name)[2]
        for s in seeds(P):
            for f in folds:
                jobs += [(P.as_dict(), name, m, f.name, s, main) for m in P.methods]
                if "residual_adapter" in P.methods:
                    jobs += [(P.as_dict(), name, "residual_adapter", f.name, s, n) for n in extra]
    rows = pd.DataFrame([r for rs in map_units(unit_job, jobs, workers) for r in rs])
    for name in P.corpora:
        experiment(P, name).write(rows[rows.corpus == name])
    return rows


def table2(rows: pd.DataFrame, main_speakers: int) -> pd.DataFrame:
    """UA and WA (%) ± std over runs (each run: the mean over folds)."""
    r = rows[rows.pretrain_speakers == main_speakers]
    per_run = r.groupby(["corpus", "method", "seed"])[["ua", "wa"]].mean() * 100
    g = per_run.groupby(["corpus", "method"])
    t = g.mean().round(2).astype(str) + " (± " + g.std(ddof=1).fillna(0).round(2).astype(str) + ")"
    return t.unstack("corpus").swaplevel(axis=1).sort_index(axis=1)


def claims(rows: pd.DataFrame, main_speakers: int) -> pd.DataFrame:
    """RA > FT > plain and RA > adapter-only, paired over (fold, run)."""
    from ..results import verdict

    out = []
    for name, g in rows[rows.pretrain_speakers == main_speakers].groupby("corpus"):
        w = g.pivot_table(index=["fold", "seed"], columns="method", values="ua")
        for a, b in [("residual_adapter", "fine_tuning"), ("fine_tuning", "plain"), ("residual_adapter", "plain"),
                     ("residual_adapter", "adapter_only")]:
            if a in w and b in w:
                out.append({"corpus": name, "claim": f"{NAMES[a]} > {NAMES[b]} (UA)", **verdict(w[a], w[b])})
    return pd.DataFrame(out)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: UA and WA per corpus, method and number of pretraining speakers."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["corpus", "method", "pretrain_speakers"])[["ua", "wa"]].mean().round(4)
