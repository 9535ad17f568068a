"""Li et al. (2020): the data and one unit of work: inputs, items, training and scoring, and the jobs that
store each unit."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, protocols, reference
from ...config import Params, resolve_device, seed_everything, training_budget
from ...data import Corpus
from ...metrics import speaker_scores
from ...models.menan import SpeakerInvariantSER
from ...results import Experiment
from ...train import ItemDataset, TrainConfig, class_weights, fit, predict
from ..common import history_arrays, load_corpus, per_process
from .registration import EMOTIONS, LABELS, MOSEI_CLASSES, parameters


@dataclass
class Data:
    """Everything a run needs: the corpora, the 4-class utterance table and the folds."""

    corpus: Corpus
    utts: pd.DataFrame
    folds: protocols.Folds
    mosei: Corpus
    experiment: Experiment


def data(P: Params) -> Data:
    """IEMOCAP (4 classes, excited merged), its ten leave-one-speaker-out folds (the held-out
    session's other speaker validates), and the MOSEI-like test corpus."""
    def build():
        corpus = load_corpus("iemocap", P)
        utts = protocols.four_class(corpus.utterances)
        folds = protocols.leave_one_speaker_out(utts, val="partner")
        mosei = load_corpus("mosei", P)
        exp = Experiment("li2020", P.unit_hash, corpus.fingerprint() + mosei.fingerprint(), folds.hash)
        return Data(corpus, utts, folds, mosei, exp)
    return per_process(("li2020-data", P.hash, str(P.data_root)), build)


def extractor(speed: float = 1.0) -> features.LogMel:
    """40 log-Mel (40 ms / 10 ms) + NCCF and F0 (Kaldi's raw pitch pair) + log energy = 43 dims."""
    return features.LogMel(n_mels=40, win_ms=40, hop_ms=10, pitch="raw", energy=True, speed=speed)


def inputs(corpus: Corpus, ids, P: Params, speed: float = 1.0) -> dict[str, np.ndarray]:
    """Features of ``ids``, middle-cropped or cycle-repeated to ``crop_seconds``, then every
    ``frame_step`` frames averaged into one input step."""
    u = corpus.utterances.loc[list(ids)]
    arrays = features.extract(list(u.path), extractor(speed), progress=False)
    target = int(round(P.crop_seconds * 100))
    return {utt: features.mean_pool(features.crop_or_repeat(x, target), P.frame_step) for utt, x in zip(u.index, arrays)}


def standardiser(X: dict[str, np.ndarray], ids) -> tuple[np.ndarray, np.ndarray]:
    """Mean and deviation of every input dimension over the training utterances (one global
    standardisation: no per-speaker or per-utterance statistics)."""
    frames = np.concatenate([X[u] for u in ids])
    return frames.mean(0), frames.std(0) + 1e-5


def train_config(P: Params) -> TrainConfig:
    """Adam with polynomial decay; the epoch with the best validation UA is kept."""
    return TrainConfig(**training_budget(P, P.epochs), batch_size=16 if P.profile == "full" else 64,
                       lr=1e-3 if P.profile == "full" else 3e-3, optimizer="adam", schedule="poly", monitor="val_ua")


@dataclass
class FoldItems:
    """A fold's standardised inputs: ``train`` (with speed-perturbed copies and the training
    speakers' indices for SC), ``train_plain`` (no copies), ``val``, ``test``, the
    standardisation ``norm`` and the training ``speakers`` in SC's order."""

    train: ItemDataset
    train_plain: ItemDataset
    val: ItemDataset
    test: ItemDataset
    norm: tuple[np.ndarray, np.ndarray]
    speakers: list[str]


def fold_items(P: Params, d: Data, fold: protocols.Fold) -> FoldItems:
    """The items of one fold, standardised with its training utterances' statistics."""
    utts = d.utts
    emo = {e: i for i, e in enumerate(EMOTIONS)}
    speakers = sorted(utts.speaker.loc[list(fold.train)].unique())
    spk = {s: i for i, s in enumerate(speakers)}
    index = {u: i for i, u in enumerate(utts.index)}
    X = per_process(("li2020-inputs", P.hash, str(P.data_root), 1.0), lambda: inputs(d.corpus, utts.index, P))
    mu, sd = standardiser(X, fold.train)

    def items(ids, feats, with_speaker=True, offset=0):
        return ItemDataset([{"x": (feats[u] - mu) / sd, "y": emo[utts.emotion[u]], "utt": index[u] + offset,
                             **({"speaker": spk[utts.speaker[u]]} if with_speaker else {})} for u in ids])

    train = items(fold.train, X)
    for k, factor in enumerate(P.speed_factors, 1):  # perturbed copies are extra training items
        Xs = per_process(("li2020-inputs", P.hash, str(P.data_root), factor),
                         lambda: inputs(d.corpus, utts.index, P, factor))
        train.items += items(fold.train, Xs, offset=k * len(utts)).items
    return FoldItems(train, items(fold.train, X), items(fold.val, X, False), items(fold.test, X, False), (mu, sd),
                     speakers)


def unit_key(system: str, fold: str, seed: int) -> dict:
    """The key of one unit in the chapter's result store."""
    return dict(system=system, fold=fold, seed=seed)


def run_unit(P: Params, d: Data, fold: protocols.Fold, system: str, seed: int):
    """One unit of work: train ``system`` on one fold with one seed, then score it."""
    items = fold_items(P, d, fold)  # standardised 43-d inputs of the fold
    seed_everything(seed)
    model = SpeakerInvariantSER(len(EMOTIONS), len(items.speakers), system, P.lambda_)
    if P.class_weighted:  # inverse class frequency (see deviations)
        ys = [item["y"] for item in items.train.items]
        model.set_class_weights(class_weights(ys, len(EMOTIONS)))
    hist = fit(
        model,
        items.train,
        train_config(P),
        items.val,
        seed=seed,
        device=resolve_device(P.device),
        labels=LABELS,
        checkpoint=d.experiment.checkpoint(unit_key(system, fold.name, seed)),
    )
    return score_unit(P, d, fold, system, seed, model, hist, items)


def trained_model(P: Params, d: Data, system: str, fold: str, seed: int) -> SpeakerInvariantSER:
    """The trained model of a finished unit (system, fold name, seed), from the result store."""
    from ...results import load_model

    f = next(f for f in d.folds if f.name == fold)
    n_speakers = d.utts.speaker.loc[list(f.train)].nunique()
    model = SpeakerInvariantSER(len(EMOTIONS), n_speakers, system, P.lambda_)
    return load_model(d.experiment, unit_key(system, fold, seed), model)


def score_unit(P: Params, d: Data, fold: protocols.Fold, system: str, seed: int, model: SpeakerInvariantSER,
               hist, items: FoldItems) -> tuple[list[dict], dict]:
    """A trained unit's row and arrays: UA and WA of the unseen validation and test speakers,
    Δ, the speaker probe of its embedding, MOSEI accuracy, predictions and learning curves."""
    utts, device = d.utts, resolve_device(P.device)
    parts = {"val": items.val, "test": items.test}
    preds = {part: predict(model, ds, device=device) for part, ds in parts.items()}
    ys = {part: np.array([it["y"] for it in ds.items]) for part, ds in parts.items()}
    (val_row,) = speaker_scores(ys["val"], preds["val"].pred, utts.speaker.loc[list(fold.val)], LABELS).to_dict("records")
    (row,) = speaker_scores(ys["test"], preds["test"].pred, utts.speaker.loc[list(fold.test)], LABELS).to_dict("records")
    val_ua = val_row["ua"]
    row = {"session": fold.name[:5], **row, "val_ua": val_ua}  # ua, wa: the test speaker's
    row["ua_delta"] = row["ua"] - val_ua  # signed, as the paper's Δ
    train_emb = predict(model, items.train_plain, device=device).embedding
    row["speaker_probe"], row["speaker_chance"] = speaker_probe(train_emb, utts.speaker.loc[list(fold.train)].to_numpy(),
                                                                seed)
    # Table 3 has no multi-task row: MOSEI is scored for the other three systems
    row["mosei_acc"] = mosei_accuracy(model, d.mosei, P, device, items.norm) if system != "multitask" else np.nan
    row.update(seconds_per_epoch=hist.seconds_per_epoch, best_epoch=hist.best_epoch)
    arrays = {**history_arrays(hist)}
    for part in ("val", "test"):
        arrays.update({f"{part}_emb": preds[part].embedding, f"{part}_pred": preds[part].pred, f"{part}_y": ys[part],
                       f"{part}_prob": preds[part].probs,
                       f"{part}_spk": utts.speaker.loc[list(getattr(fold, part))].to_numpy().astype(str),
                       f"{part}_utt": np.asarray(list(getattr(fold, part))).astype(str)})
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


def mosei_accuracy(model, mosei: Corpus, P: Params, device, norm: tuple[np.ndarray, np.ndarray]) -> float:
    """Table 3: a prediction is correct when the predicted emotion has a positive rating
    (neutral: when no emotion has one)."""
    u = mosei_subset(mosei)
    X = per_process(("li2020-mosei", P.hash, str(P.data_root)), lambda: inputs(mosei, u.index, P))
    mu, sd = norm
    ds = ItemDataset([{"x": (X[k] - mu) / sd, "y": 0, "utt": i} for i, k in enumerate(u.index)])
    pred = predict(model, ds, device=device).pred
    present = u[[c for c in u.columns if c.startswith("p_")]].sum(axis=1) == 0
    correct = [bool(present.iloc[i]) if EMOTIONS[p] == "neutral" else bool(u[MOSEI_CLASSES[EMOTIONS[p]]].iloc[i] > 0)
               for i, p in enumerate(pred)]
    return float(np.mean(correct))


def mosei_label(u: pd.DataFrame) -> pd.Series:
    """The MOSEI subset's label for display: the emotions with positive ratings, or neutral."""
    cols = {"p_happy": "happy", "p_sad": "sad", "p_angry": "angry"}
    return u.apply(lambda r: "+".join(v for k, v in cols.items() if r[k] > 0) or "neutral", axis=1)


def unit_job(values: dict, system: str, fold_name: str, seed: int) -> tuple[list[dict], dict]:
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    return d.experiment.unit(unit_key(system, fold_name, seed), lambda: run_unit(P, d, fold, system, seed))


def reference_job(values: dict, fold_name: str) -> tuple[list[dict], dict]:
    """The signal reference (eGeMAPS + LR) on one of the same folds, stored like a unit."""
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    y = d.utts.emotion.map({e: i for i, e in enumerate(EMOTIONS)})
    return d.experiment.unit(dict(system=reference.NAME, fold=fold_name, seed=0),
                             lambda: reference.unit_records(d.utts, y, [fold], LABELS))
