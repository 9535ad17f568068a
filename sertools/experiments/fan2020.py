"""Chapter 5: Fan et al. (2020), adaptive domain-aware representation learning (ADARL)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols, reference
from ..claims import Claim
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything, training_budget
from ..data import Corpus
from ..metrics import confusion, per_class_recall, speaker_scores
from ..models.adarl import ADARL, POOLS, SYSTEMS
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, class_weights, fit, predict
from .common import history_arrays, load_corpus, per_process, run_grid

CLASSES = ["angry", "happy", "sad", "neutral"]  # the order of the paper's Fig. 4
LABELS = list(range(len(CLASSES)))
CHANCE = 1 / len(CLASSES)
NAMES = {"backbone": "Backbone", "domain_invariant": "Domain-invariant Model", "adarl": "ADARL",
         reference.NAME: reference.NAME}

PARAMS = {
    "systems": Param(None, "systems to train: backbone | domain_invariant | adarl", choices=SYSTEMS, many=True,
                     selects=True),
    "gammas": Param(None, "γ1 (domain), γ2 (emotion), γ3 (center loss); paper: 1, 1, 0.5", many=True, kind=float,
                    low=0.0, unique=False, check=lambda v: None if len(v) == 3 else "three weights"),
    "folds": Param(None, "leave-one-speaker-out folds, 1-10 (10 = every speaker tested once)", kind=int, low=1,
                   high=10, selects=True),
    "epochs": Param(None, "epochs (paper: 50; lr 0.2 × 0.7 per epoch)", kind=int, low=1),
    "image": Param(None, "[frequency bins, frames] of a 3 s segment (paper: [400, 300])", many=True, kind=int, low=1,
                   unique=False, check=lambda v: None if tuple(v) in POOLS else f"one of {[list(k) for k in POOLS]}"),
    "momentum": Param(None, "SGD momentum (the paper gives none: 0)", kind=float, low=0.0, high=0.99),
    "batch_size": Param(None, "mini-batch size (paper: 32)", kind=int, low=2),
    "class_weighted": Param(True, "weight the emotion loss by inverse class frequency (not in the paper)",
                            choices=(True, False)),
    "normalise": Param("training", "z-score of the log spectrogram: with the training speakers' per-channel mean "
                       "and deviation (training) or per utterance (utterance: drops the voice's level); the paper "
                       "says “z-score normalization” without its scope", choices=("training", "utterance")),
}
PROFILES = {
    "smoke": dict(seeds=[0], systems=["backbone", "adarl"], gammas=[1.0, 1.0, 0.5], folds=2, epochs=1,
                  image=[40, 24], momentum=0.0, batch_size=8),
    "book": dict(seeds=[0, 1], systems=list(SYSTEMS), gammas=[1.0, 1.0, 0.5], folds=10, epochs=5,
                 image=[40, 24], momentum=0.0, batch_size=8),
    "full": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), gammas=[1.0, 1.0, 0.5], folds=10, epochs=50,
                 image=[400, 300], momentum=0.0, batch_size=32),
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
# The paper's tables in the long form of our unit table (fractions; Table 4 distances as they are).
PAPER = pd.DataFrame({"system": list(SYSTEMS), "ua": PAPER_TABLE3.UA.to_numpy() / 100,
                      "recall_happy": [PAPER_FIG4["backbone"][1][1] / 100, np.nan, PAPER_FIG4["adarl"][1][1] / 100],
                      "gender_distance": PAPER_TABLE4.mean(axis=1).to_numpy()})

CLAIMS = [
    Claim("ADARL beats the backbone", "“With the domain-aware attention, the performance of the model is further "
          "improved significantly” (§4.3, Table 3: UA 65.86 vs 56.78)", "§4.3, Table 3", "adarl", "backbone", "ua",
          headline=True),
    Claim("ADARL beats the domain-invariant model", "Table 3: UA 65.86 vs 61.91", "§4.3, Table 3", "adarl",
          "domain_invariant", "ua"),
    Claim("The domain-invariant model beats the backbone", "“The domain-invariant model with adversarial multitask "
          "training … has achieved good results” (Table 3: 61.91 vs 56.78)", "§4.3, Table 3", "domain_invariant",
          "backbone", "ua"),
    Claim("ADARL recognises happy better", "“after the domain-aware attention, our performance has been significantly "
          "improved, especially for ‘happy’ samples” (Fig. 4: recall 38.55 vs 2.20)", "§4.4, Fig. 4", "adarl",
          "backbone", "recall_happy"),
    Claim("Male and female class centres move closer with ADARL", "Table 4: mean distance 4.91 vs 9.87 between the "
          "male and female centres of each emotion", "§4.4, Table 4", "adarl", "backbone", "gender_distance",
          unit="fold", lower_is_better=True, scale=1.0),
]


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("fan2020", namespace, PARAMS, PROFILES)


@dataclass
class Data:
    corpus: Corpus
    utts: pd.DataFrame
    folds: protocols.Folds
    experiment: Experiment


def data(P: Params) -> Data:
    """IEMOCAP improvised, 4 classes (happy without excited), leave one speaker out: the other
    nine speakers train; no validation set (the paper selects no epoch)."""
    def build():
        corpus = load_corpus("iemocap", P)
        u = protocols.four_class(protocols.improvised_only(corpus.utterances), merge_excited=False)
        folds = protocols.leave_one_speaker_out(u, val="none")
        return Data(corpus, u, folds, Experiment("fan2020", P.unit_hash, corpus.fingerprint(), folds.hash))
    return per_process(("fan2020-data", P.hash, str(P.data_root)), build)


def extractor(P: Params) -> features.MultiWindowLogSTFT:
    """Log STFT with 20/30/40 ms windows, 0–4 kHz in ``image[0]`` bins; ``image[1]`` frames per
    3 s, each the average of ``300 / image[1]`` (rounded) frames of a ~10 ms hop."""
    n_bins, frames = P.image
    pool = max(1, round(300 / frames))
    return features.MultiWindowLogSTFT(wins_ms=(20.0, 30.0, 40.0), hop_ms=3000 / (frames * pool), n_fft=1600,
                                       fmax=4000, out_bins=None if n_bins == 400 else n_bins, time_pool=pool,
                                       normalise="none" if P.normalise == "training" else "utterance")


Stats = tuple[np.ndarray, np.ndarray]


def input_stats(u: pd.DataFrame, ids, P: Params) -> Stats | None:
    """Per-channel mean and deviation of the log magnitudes of the utterances ``ids`` (the
    training speakers), for ``normalise="training"``; ``None`` for per-utterance z-scores."""
    if P.normalise != "training":
        return None
    n, total, squares = 0, 0.0, 0.0
    for x in features.extract(list(u.loc[list(ids)].path), extractor(P), progress=False):
        x = x.astype(np.float64)
        n, total, squares = n + x.shape[0] * x.shape[2], total + x.sum((0, 2)), squares + (x ** 2).sum((0, 2))
    mean = total / n
    return mean, np.sqrt(np.maximum(squares / n - mean ** 2, 1e-12))


def segments(u: pd.DataFrame, ids, P: Params, index: dict, stats: Stats | None = None) -> ItemDataset:
    """3 s non-overlapping segments, the last zero-padded (after standardising with ``stats``,
    so padding is the training mean): items ``[T, 3, F]``."""
    frames = P.image[1]
    sub = u.loc[list(ids)]
    arrays = features.extract(list(sub.path), extractor(P), progress=False)
    if stats is not None:
        mean, std = (s.astype(np.float32)[None, :, None] for s in stats)
        arrays = [(x.astype(np.float32) - mean) / std for x in arrays]
    return ItemDataset([{"x": s.astype(np.float32), "y": CLASSES.index(e), "gender": int(g == "M"), "utt": index[k]}
                        for k, e, g, x in zip(sub.index, sub.emotion, sub.gender, arrays)
                        for s in features.chunks(x, frames, frames)])


def train_config(P: Params) -> TrainConfig:
    """SGD at lr 0.2, × 0.7 after every epoch, weight decay 4e-5 (paper: batch 32); no epoch selection."""
    return TrainConfig(**training_budget(P, P.epochs), batch_size=P.batch_size, lr=0.2, optimizer="sgd",
                       momentum=P.momentum, weight_decay=4e-5, schedule="exp", gamma=0.7, monitor=None, bucket=False)


def run_unit(P: Params, d: Data, fold: protocols.Fold, system: str, seed: int) -> tuple[list[dict], dict]:
    """One unit of work: train ``system`` on nine speakers with one seed, score the held-out
    speaker, and measure how far apart the male and female class centres lie."""
    u, device = d.utts, resolve_device(P.device)
    index = {k: i for i, k in enumerate(u.index)}
    stats = input_stats(u, fold.train, P)
    train, test = segments(u, fold.train, P, index, stats), segments(u, fold.test, P, index, stats)
    seed_everything(seed)
    model = ADARL(len(CLASSES), 2, system, tuple(P.image), tuple(P.gammas))
    if P.class_weighted:
        model.set_class_weights(class_weights([it["y"] for it in train.items], len(CLASSES)))
    cfg = train_config(P)
    key = dict(system=system, fold=fold.name, seed=seed)
    hist = fit(model, train, cfg, seed=seed, device=device, labels=LABELS, track=test,
               checkpoint=d.experiment.checkpoint(key), desc=f"{system} {fold.name}")
    pred = predict(model, test, device=device)
    order = sorted(fold.test, key=index.get)
    y = np.array([CLASSES.index(e) for e in u.emotion.loc[order]])
    (row,) = speaker_scores(y, pred.pred, u.speaker.loc[order], LABELS).to_dict("records")
    row.update({f"recall_{CLASSES[k]}": v for k, v in per_class_recall(y, pred.pred, LABELS).items()})
    train_pred = predict(model, train, device=device)
    train_order = sorted(fold.train, key=index.get)
    row["gender_distance"] = gender_center_distance(
        train_pred.embedding, np.array([CLASSES.index(e) for e in u.emotion.loc[train_order]]),
        u.gender.loc[train_order].to_numpy().astype(str)).mean()
    row.update(session=fold.name[:5], seconds_per_epoch=hist.seconds_per_epoch)
    partner = sorted((k for k in fold.train if u.session[k] == u.session[fold.test[0]]), key=index.get)
    partner_pred = predict(model, segments(u, partner, P, index, stats), device=device)
    arrays = {**history_arrays(hist), "test_y": y, "test_pred": pred.pred, "test_prob": pred.probs,
              "test_utt": np.asarray(order).astype(str), "test_emb": pred.embedding,
              "test_gender": u.gender.loc[order].to_numpy().astype(str), "partner_emb": partner_pred.embedding,
              "partner_y": np.array([CLASSES.index(e) for e in u.emotion.loc[partner]]),
              "partner_gender": u.gender.loc[partner].to_numpy().astype(str)}
    return [row], arrays


def gender_center_distance(emb: np.ndarray, y: np.ndarray, gender: np.ndarray) -> pd.Series:
    """Table 4: per emotion, the L2 distance between the male and female centres of the
    standardised 64-d features (here: of the fold's nine training speakers)."""
    emb = (emb - emb.mean(0)) / (emb.std(0) + 1e-8)
    out = {}
    for i, c in enumerate(CLASSES):
        m, f = emb[(y == i) & (gender == "M")], emb[(y == i) & (gender == "F")]
        out[c] = float(np.linalg.norm(m.mean(0) - f.mean(0))) if len(m) and len(f) else np.nan
    return pd.Series(out)


def unit_job(values: dict, system: str, fold_name: str, seed: int):
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    return d.experiment.unit(dict(system=system, fold=fold_name, seed=seed), lambda: run_unit(P, d, fold, system, seed))


def reference_job(values: dict) -> list[dict]:
    """The signal reference (eGeMAPS + LR) on the same folds, one stored unit per fold."""
    P = parameters(values)
    d = data(P)
    y = d.utts.emotion.map({e: i for i, e in enumerate(CLASSES)})
    return [r for fold in list(d.folds)[: P.folds] for r in d.experiment.unit(
        dict(system=reference.NAME, fold=fold.name, seed=0),
        lambda fold=fold: reference.unit_records(d.utts, y, [fold], LABELS))[0]]


@dataclass
class Results:
    units: pd.DataFrame
    arrays: dict
    reference: pd.DataFrame


def run(P: Params, d: Data, workers: int | None = None) -> Results:
    """Every (system, fold, seed) unit, spread over CPU cores, and the signal reference."""
    from ..results import stored_units

    if P.results_from:
        units, arrays = stored_units(P.results_from, "fan2020", ("system", "fold", "seed"))
        return Results(units[units.system != reference.NAME], arrays, units[units.system == reference.NAME])
    features.extract(list(d.utts.path), extractor(P))
    reference.egemaps(d.utts.path)
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(d.folds)[: P.folds] for s in P.systems]
    return Results(*run_grid(unit_job, jobs, lambda: reference_job(P.as_dict()), d.experiment, workers))


def mean_confusion(arrays: dict, system: str) -> pd.DataFrame:
    """Fig. 4: the confusion matrix of every fold (and seed), averaged."""
    mats = [confusion(a["test_y"], a["test_pred"], LABELS).to_numpy()
            for (s, _, _), a in arrays.items() if s == system]
    m = np.mean(mats, axis=0)
    return pd.DataFrame(m, index=pd.Index(CLASSES, name="true"), columns=pd.Index(CLASSES, name="predicted"))


def figure5(arrays: dict, systems: list[str], fold: str, seed: int):
    """t-SNE of the features before the last layer: the held-out speaker and the session partner
    (a training speaker of the other gender), by emotion and by gender."""
    import matplotlib.pyplot as plt

    from ..plots import scatter_by, tsne

    fig, axes = plt.subplots(max(len(systems), 1), 2, figsize=(8.4, 3.6 * max(len(systems), 1)), squeeze=False)
    for row_axes, s in zip(axes, systems):
        a = arrays[(s, fold, seed)]
        xy = tsne(np.concatenate([a["test_emb"], a["partner_emb"]]), seed)
        y = np.concatenate([a["test_y"], a["partner_y"]])
        who = [f"{g} (held out)" for g in a["test_gender"]] + [f"{g} (partner, trained on)" for g in a["partner_gender"]]
        scatter_by(xy, [CLASSES[i] for i in y], f"{NAMES[s]}: emotion", row_axes[0], CLASSES)
        scatter_by(xy, who, f"{NAMES[s]}: gender", row_axes[1])
    fig.tight_layout()
    return fig


def table3(units: pd.DataFrame) -> pd.DataFrame:
    """UA and WA (%): mean over test speakers per seed, then mean ± std over seeds."""
    per_seed = units.groupby(["system", "seed"])[["wa", "ua"]].mean() * 100
    g = per_seed.groupby("system")
    out = g.mean().round(2).astype(str) + " ± " + g.std(ddof=1).fillna(0).round(2).astype(str)
    return out.rename(columns={"wa": "WA", "ua": "UA"})


def claims(res: Results):
    """Every claim on its independent units: the test speaker (seeds averaged); for the centre
    distances, the fold's training set."""
    from ..claims import evaluate, trained_systems

    return evaluate(CLAIMS, res.units, PAPER, trained_systems(res.units, CHANCE))


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 3 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["ua", "wa", "recall_happy"]].mean().round(4)
