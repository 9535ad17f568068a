"""Fan et al. (2020): the data and one unit of work: inputs, items, training and scoring, and the jobs that
store each unit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, protocols, reference
from ...config import Params, resolve_device, seed_everything, training_budget
from ...data import Corpus
from ...metrics import per_class_recall, speaker_scores
from ...models.adarl import ADARL
from ...results import Experiment
from ...train import ItemDataset, TrainConfig, class_weights, fit, predict
from ..common import history_arrays, load_corpus, per_process
from .registration import CLASSES, LABELS, parameters


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


def fold_items(P: Params, d: Data, fold: protocols.Fold) -> tuple[ItemDataset, ItemDataset]:
    """A fold's training and test items: 3 s three-channel segments, z-scored with the
    training speakers' statistics (or per utterance)."""
    index = {k: i for i, k in enumerate(d.utts.index)}
    stats = fold_stats(P, d, fold)
    return segments(d.utts, fold.train, P, index, stats), segments(d.utts, fold.test, P, index, stats)


def fold_stats(P: Params, d: Data, fold: protocols.Fold) -> Stats | None:
    """:func:`input_stats` of a fold's training speakers, computed once per process."""
    return per_process(("fan2020-stats", P.hash, str(P.data_root), fold.name),
                       lambda: input_stats(d.utts, fold.train, P))


def unit_key(system: str, fold: str, seed: int) -> dict:
    """The key of one unit in the chapter's result store."""
    return dict(system=system, fold=fold, seed=seed)


def run_unit(P: Params, d: Data, fold: protocols.Fold, system: str, seed: int):
    """One unit of work: train ``system`` on nine speakers with one seed, then score it.
    """
    train, test = fold_items(P, d, fold)  # 3 s segments, 3 window lengths
    seed_everything(seed)
    model = ADARL(len(CLASSES), 2, system, tuple(P.image), tuple(P.gammas))
    if P.class_weighted:  # inverse class frequency (see deviations)
        model.set_class_weights(
            class_weights([it["y"] for it in train.items], len(CLASSES))
        )
    hist = fit(
        model,
        train,
        train_config(P),
        seed=seed,
        device=resolve_device(P.device),
        labels=LABELS,
        track=test,  # tracked for the learning curves, never selected on
        checkpoint=d.experiment.checkpoint(unit_key(system, fold.name, seed)),
    )
    return score_unit(P, d, fold, model, hist, test)


def trained_model(P: Params, d: Data, system: str, fold: str, seed: int) -> ADARL:
    """The trained model of a finished unit (system, fold name, seed), from the result
    store."""
    from ...results import load_model

    model = ADARL(len(CLASSES), 2, system, tuple(P.image), tuple(P.gammas))
    return load_model(d.experiment, unit_key(system, fold, seed), model)


def score_unit(P: Params, d: Data, fold: protocols.Fold, model: ADARL, hist, test: ItemDataset
               ) -> tuple[list[dict], dict]:
    """A trained unit's row and arrays: UA, WA and recall per class of the held-out
    speaker, and how far apart the male and female class centres lie (with the session
    partner)."""
    u, device = d.utts, resolve_device(P.device)
    index = {k: i for i, k in enumerate(u.index)}
    pred = predict(model, test, device=device)
    order = sorted(fold.test, key=index.get)
    y = np.array([CLASSES.index(e) for e in u.emotion.loc[order]])
    (row,) = speaker_scores(y, pred.pred, u.speaker.loc[order], LABELS).to_dict("records")
    row.update({f"recall_{CLASSES[k]}": v for k, v in per_class_recall(y, pred.pred, LABELS).items()})
    if model.system == "adarl":  # the mechanism gate: the domain pathway tells the speaker's gender
        male = predict(model, test, device=device, head="domain_logits").probs[:, 1] > 0.5
        row["domain_acc"] = float(np.mean(male == (u.gender.loc[order].to_numpy() == "M")))
    row.update(session=fold.name[:5], seconds_per_epoch=hist.seconds_per_epoch)
    arrays = {**history_arrays(hist), "test_y": y, "test_pred": pred.pred, "test_prob": pred.probs,
              "test_utt": np.asarray(order).astype(str), "test_emb": pred.embedding,
              "test_gender": u.gender.loc[order].to_numpy().astype(str)}
    partner = sorted((k for k in fold.train if u.session[k] == u.session[fold.test[0]]), key=index.get)
    row["log_gender_separation"] = np.nan
    if partner:  # the session partner, a training speaker of the other gender: Table 4 and Fig. 5
        stats = fold_stats(P, d, fold)
        partner_pred = predict(model, segments(u, partner, P, index, stats), device=device)
        arrays.update(partner_emb=partner_pred.embedding, partner_y=np.array([CLASSES.index(e) for e in u.emotion.loc[partner]]),
                      partner_gender=u.gender.loc[partner].to_numpy().astype(str))
        row["log_gender_separation"] = float(np.log(gender_separation(
            np.concatenate([pred.embedding, partner_pred.embedding]), np.concatenate([y, arrays["partner_y"]]),
            np.concatenate([arrays["test_gender"], arrays["partner_gender"]])).mean()))
    return [row], arrays


def gender_separation(emb: np.ndarray, y: np.ndarray, gender: np.ndarray) -> pd.Series:
    """Table 4, scale-free: per emotion, the L2 distance between the male and female centres of
    the 64-d features divided by the pooled within-group spread (the root mean squared distance
    of every utterance to its emotion × gender centre). Any rescaling of the features leaves it
    unchanged, so two networks can be compared; the chapter measures it on the held-out session
    (the test speaker and the session partner: one woman, one man)."""
    centres, spread = {}, []
    for i in range(len(CLASSES)):
        for g in ("M", "F"):
            x = emb[(y == i) & (gender == g)]
            if len(x):
                centres[i, g] = x.mean(0)
                spread.append(((x - centres[i, g]) ** 2).sum(1))
    radius = float(np.sqrt(np.concatenate(spread).mean())) if spread else np.nan
    return pd.Series({c: float(np.linalg.norm(centres[i, "M"] - centres[i, "F"])) / radius
                      if (i, "M") in centres and (i, "F") in centres else np.nan for i, c in enumerate(CLASSES)})


def unit_job(values: dict, system: str, fold_name: str, seed: int):
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    return d.experiment.unit(unit_key(system, fold_name, seed), lambda: run_unit(P, d, fold, system, seed))


def reference_job(values: dict, fold_name: str) -> tuple[list[dict], dict]:
    """The signal reference (eGeMAPS + LR) on one of the same folds, stored like a unit."""
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    y = d.utts.emotion.map({e: i for i, e in enumerate(CLASSES)})
    return d.experiment.unit(dict(system=reference.NAME, fold=fold_name, seed=0),
                             lambda: reference.unit_records(d.utts, y, [fold], LABELS))
