"""Xi et al. (2019): the data and one unit of work: inputs, items, training and scoring, and the jobs that
store each unit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, protocols, reference
from ...config import Params, resolve_device, seed_everything, training_budget
from ...data import Corpus
from ...metrics import speaker_scores
from ...models.resnet_adapters import ResNet20, adapt
from ...results import Experiment
from ...train import ItemDataset, TrainConfig, class_weights, fit, load_checkpoint, predict
from ..common import history_arrays, load_corpus, per_process
from .registration import CHEAVD_CLASSES, IEMOCAP_CLASSES, parameters


@dataclass
class CorpusData:
    """One emotion corpus: its utterances, folds, classes (and the label ``column``), result store."""

    name: str
    corpus: Corpus
    utts: pd.DataFrame
    folds: protocols.Folds
    classes: list[str]
    column: str
    experiment: Experiment


@dataclass
class Data:
    """Every emotion corpus of ``P.corpora`` (:class:`CorpusData` by name, ``d["iemocap"]``); the
    attributes ``corpus``, ``utts``, ``folds``, ``classes``, ``column`` and ``experiment`` are
    the first corpus's."""

    parts: dict[str, CorpusData]

    def __getitem__(self, name: str) -> CorpusData:
        return self.parts[name]

    @property
    def first(self) -> CorpusData:
        return next(iter(self.parts.values()))

    name = property(lambda self: self.first.name)
    corpus = property(lambda self: self.first.corpus)
    utts = property(lambda self: self.first.utts)
    folds = property(lambda self: self.first.folds)
    classes = property(lambda self: self.first.classes)
    column = property(lambda self: self.first.column)
    experiment = property(lambda self: self.first.experiment)


def data(P: Params) -> Data:
    """Every corpus of ``P.corpora`` (:func:`corpus_data`)."""
    return Data({name: corpus_data(P, name) for name in P.corpora})


def corpus_data(P: Params, name: str = "iemocap") -> CorpusData:
    """IEMOCAP improvised, 4 classes, five sessions: four train, both speakers of the fifth are
    tested (no validation set: the paper's step schedule runs its epochs, the last is kept);
    or CHEAVD's own train/validation split."""
    def build():
        corpus = load_corpus(name, P)
        if name == "iemocap":
            u = protocols.four_class(protocols.improvised_only(corpus.utterances), merge_excited=False)
            folds, classes, column = protocols.leave_one_session_out(u, val="none"), IEMOCAP_CLASSES, "emotion"
        else:
            u = corpus.utterances[corpus.utterances.emotion_raw.isin(CHEAVD_CLASSES)]
            folds, classes, column = protocols.predefined(u, "split", test="val"), CHEAVD_CLASSES, "emotion_raw"
        return CorpusData(name, corpus, u, folds, classes, column,
                          Experiment(f"xi2019-{name}", P.unit_hash, corpus.fingerprint(), folds.hash))
    return per_process(("xi2019-data", P.hash, str(P.data_root), name), build)


def extractor(P: Params) -> features.MuLawSpectrogram:
    """μ-law spectrogram, 40 ms windows every 10 ms, averaged over ``frame_ms`` blocks."""
    return features.MuLawSpectrogram(win_ms=40, hop_ms=10, n_fft=1600, fmax=4000,
                                     out_bins=None if P.bins == 400 else P.bins, time_pool=P.frame_ms // 10,
                                     scale="none" if P.scale == "training" else "utterance")


def training_peak(corpus: Corpus, ids, P: Params) -> float | None:
    """The largest magnitude over the utterances ``ids`` (for ``scale="training"``), else None."""
    if P.scale != "training":
        return None
    u = corpus.utterances.loc[list(ids)]
    return max(float(x.max()) for x in features.extract(list(u.path), extractor(P), progress=False))


def chunk_frames(P: Params) -> tuple[int, int]:
    """2 s chunks with 1 s overlap, in frames."""
    return int(round(2000 / P.frame_ms)), int(round(1000 / P.frame_ms))


def chunked(corpus: Corpus, ids, P: Params, targets: dict, index: dict, peak: float | None = None) -> ItemDataset:
    """Items: every 2 s chunk of every utterance (utterance score = mean over its chunks); with
    ``scale="training"``, magnitudes ÷ ``peak`` (the training maximum), then the μ-law."""
    u = corpus.utterances.loc[list(ids)]
    size, hop = chunk_frames(P)
    arrays = features.extract(list(u.path), extractor(P), progress=False)
    if P.scale == "training":
        if peak is None:
            raise ValueError("scale='training' needs the training utterances' peak (training_peak)")
        arrays = [features.mu_law(x.astype(np.float32) / peak) for x in arrays]
    return ItemDataset([{"x": c.astype(np.float32), "y": targets[k], "utt": index[k]}
                        for k, x in zip(u.index, arrays) for c in features.chunks(x, size, hop)])


def pretrain(P: Params, n_speakers: int, adapters: bool, seed: int) -> ResNet20:
    """Speaker classification on ``n_speakers`` random speakers of the VoxCeleb-like corpus
    (lr 0.05, ÷10 after two thirds of the epochs, weight decay 1e-4, Nesterov momentum 0.9)."""
    vox = load_corpus("voxceleb", P)
    seed_everything(seed)
    model = ResNet20(n_speakers, adapters, P.width)
    exp = Experiment("xi2019-pretrain", P.unit_hash, vox.fingerprint(), f"{n_speakers}-{seed}")
    checkpoint = exp.checkpoint(dict(n=n_speakers, adapters=adapters, seed=seed))
    if load_checkpoint(model, checkpoint) is not None:  # every transfer unit shares it
        return model
    rng = np.random.default_rng([seed, n_speakers])
    spk = sorted(rng.choice(sorted(vox.utterances.speaker.unique()), size=n_speakers, replace=False))
    u = vox.utterances[vox.utterances.speaker.isin(spk)]
    index = {k: i for i, k in enumerate(u.index)}
    ds = chunked(vox, u.index, P, {k: spk.index(s) for k, s in u.speaker.items()}, index,
                 training_peak(vox, u.index, P))
    cfg = TrainConfig(**training_budget(P, P.epochs), batch_size=32, lr=0.05, optimizer="sgd", nesterov=True,
                      weight_decay=1e-4, schedule="step", milestones=(int(P.epochs * 20 / 30),), monitor=None, bucket=False)
    fit(model, ds, cfg, seed=seed, device=resolve_device(P.device), desc=f"pretrain {n_speakers} spk",
        checkpoint=checkpoint)
    return model


def fold_items(P: Params, d: CorpusData, fold: protocols.Fold) -> tuple[ItemDataset, ItemDataset]:
    """A fold's training and test items: 2 s μ-law chunks, magnitudes scaled by the training peak."""
    targets = {k: d.classes.index(v) for k, v in d.utts[d.column].items()}
    index = {k: i for i, k in enumerate(d.utts.index)}
    peak = training_peak(d.corpus, fold.train, P)
    return tuple(chunked(d.corpus, getattr(fold, p), P, targets, index, peak) for p in ("train", "test"))


def unit_key(name: str, system: str, fold: str, seed: int, n_speakers: int) -> dict:
    """The key of one unit in the chapter's result store."""
    return dict(corpus=name, system=system, fold=fold, seed=seed, pretrain_speakers=n_speakers)


def run_unit(
    P: Params,
    d: CorpusData,
    system: str,
    fold: protocols.Fold,
    seed: int,
    n_speakers: int,
):
    """One unit of work: adapt (or train) one method on one fold with one seed."""
    train, test = fold_items(P, d, fold)  # 2 s μ-law chunks of the fold
    seed_everything(seed)
    if system == "plain":
        model = ResNet20(len(d.classes), False, P.width)
    else:  # the speaker network, pretrained once per seed
        adapters = system in ("residual_adapter", "adapter_only")
        model = adapt(pretrain(P, n_speakers, adapters, seed), system, len(d.classes))
    key = unit_key(d.name, system, fold.name, seed, n_speakers)
    return train_and_score(P, d, fold, model, train, test, seed, key)


def train_and_score(P: Params, d: CorpusData, fold: protocols.Fold, model: ResNet20, train: ItemDataset,
                    test: ItemDataset, seed: int, key: dict | None = None) -> tuple[list[dict], dict]:
    """Train ``model`` on emotion (the paper's step schedule, every epoch run, no selection) and score
    each held-out speaker; ``key`` names the unit's checkpoint (None: not stored)."""
    device, u = resolve_device(P.device), d.utts
    targets = {k: d.classes.index(v) for k, v in u[d.column].items()}
    index = {k: i for i, k in enumerate(u.index)}
    if P.class_weighted:
        model.set_class_weights(class_weights([it["y"] for it in train.items], len(d.classes)))
    m1, m2 = int(round(P.epochs * 10 / 30)), int(round(P.epochs * 20 / 30))
    cfg = TrainConfig(**training_budget(P, P.epochs), batch_size=32, lr=0.01, optimizer="sgd", nesterov=True,
                      weight_decay=0.005 if d.name == "iemocap" else 0.001, schedule="step", milestones=(m1, m2),
                      monitor=None, bucket=False)
    hist = fit(model, train, cfg, seed=seed, device=device, labels=list(range(len(d.classes))), track=test,
               checkpoint=d.experiment.checkpoint(key) if key else None,
               desc=f"{key['system'] if key else 'model'} {fold.name}")
    pred = predict(model, test, device=device)
    order = sorted(fold.test, key=index.get)
    y = np.array([targets[k] for k in order])
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows = [{**r, "trainable_params": trainable, "seconds_per_epoch": hist.seconds_per_epoch}
            for r in speaker_scores(y, pred.pred, u.speaker.loc[order], list(range(len(d.classes)))).to_dict("records")]
    return rows, {**history_arrays(hist), "test_y": y, "test_pred": pred.pred, "test_prob": pred.probs,
                  "test_utt": np.asarray(order).astype(str)}


def pretrain_job(values: dict, n_speakers: int, adapters: bool, seed: int) -> None:
    pretrain(parameters(values), n_speakers, adapters, seed)


def unit_job(values: dict, name: str, system: str, fold_name: str, seed: int, n_speakers: int):
    P = parameters(values)
    d = corpus_data(P, name)
    fold = next(f for f in d.folds if f.name == fold_name)
    return d.experiment.unit(unit_key(name, system, fold_name, seed, n_speakers),
                             lambda: run_unit(P, d, system, fold, seed, n_speakers))


def reference_job(values: dict, name: str):
    P = parameters(values)
    d = corpus_data(P, name)
    y = d.utts[d.column].map({c: i for i, c in enumerate(d.classes)})
    key = dict(corpus=name, system=reference.NAME, fold="all", seed=0, pretrain_speakers=0)

    def compute():
        rows, arrays = reference.reference_units(d.utts, y, list(d.folds), list(range(len(d.classes))))
        return rows.assign(corpus=name).to_dict("records"), arrays
    return d.experiment.unit(key, compute)
