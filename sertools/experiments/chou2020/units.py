"""Chou & Lee (2020): the data and one unit of work: inputs, items, training and scoring, and the jobs that
store each unit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import features, protocols, reference
from ...config import Params, resolve_device, seed_everything, training_budget
from ...data import Corpus
from ...metrics import speaker_scores
from ...models.blstm_attention import BLSTMAttention, FusionHead
from ...results import Experiment
from ...train import ItemDataset, TrainConfig, class_weights, fit, predict
from ..common import history_arrays, load_corpus, per_process
from .registration import PAPER_LR, PAPER_SIZES, TASKS, parameters


def target_raters(corpus: Corpus, P: Params) -> list[str]:
    """The external dimensional raters with the most annotations (paper: IEMOCAP E1–E4)."""
    r = corpus.ratings
    counts = r[(r.scheme == "dimensional") & ~r.is_self.astype(bool)].rater.value_counts()
    if isinstance(P.target_raters, int):
        return sorted(counts.index[: P.target_raters])
    unknown = set(P.target_raters) - set(counts.index)
    if unknown:
        raise ValueError(f"{corpus.name} has no dimensional rater {sorted(unknown)}; raters: {sorted(counts.index)}")
    return list(P.target_raters)


def sequences(corpus: Corpus, step: int) -> dict[str, np.ndarray]:
    """45-dim emobase LLDs → unvoiced frames dropped → per-speaker z-score → ``step``-frame means."""
    u = corpus.utterances
    raw = features.extract(list(u.path), features.Emobase45())
    voiced = [features.drop_unvoiced(x) for x in raw]
    normed = features.zscore_by_group(voiced, list(u.speaker))
    return {utt: features.mean_pool(x, step, max_frames=2500) for utt, x in zip(u.index, normed)}


def folds_for(corpus: Corpus, seed: int = 0) -> protocols.Folds:
    u = corpus.utterances
    if corpus.name == "iemocap":
        return protocols.leave_one_session_out(u, val="random", val_fraction=0.1, seed=seed)
    return protocols.group_kfold(u, "session", k=5, val_fraction=0.1, seed=seed)


def _items(ids, X: dict[str, np.ndarray], y: pd.Series | pd.DataFrame, index: dict[str, int]) -> ItemDataset:
    soft = isinstance(y, pd.DataFrame)
    return ItemDataset([{"x": X[u], "utt": index[u],
                         "y": (y.loc[u].to_numpy(np.float32) if soft else int(y.loc[u]))} for u in ids if u in y.index])


def train_config(P: Params, corpus: str) -> tuple[list[int], TrainConfig]:
    """Sub-model sizes and Adamax with early stopping on ``P.stop_on`` (the validation loss or UAR)."""
    sizes = P.sizes or PAPER_SIZES[corpus]
    lr = P.lr or PAPER_LR[corpus]
    return sizes, TrainConfig(**training_budget(P, P.epochs), batch_size=P.batch_size, lr=lr, optimizer="adamax",
                              patience=2 if P.profile != "full" else 10, monitor=P.stop_on)


@dataclass
class UnitData:
    """What one unit trains on: the inputs ``X``, the target's own labels (``own``;
    ``half`` of its training utterances for the 50 % systems), the co-raters' ``hard``
    and ``soft`` labels, and the items of the target's training, validation and test
    utterances."""

    X: dict
    index: dict
    own: pd.Series
    hard: pd.Series
    soft: pd.DataFrame
    own_train: list
    half: list
    train_own: ItemDataset
    val: ItemDataset
    test: ItemDataset


def unit_data(corpus: Corpus, X: dict[str, np.ndarray], fold: protocols.Fold, task: str, rater: str,
              seed: int) -> UnitData:
    """The labels and items of one (task, fold, target rater, seed)."""
    dim, ratings = TASKS[task], corpus.ratings
    index = {u: i for i, u in enumerate(corpus.utterances.index)}
    own = protocols.rater_labels(ratings, dim, rater)
    own_train = [u for u in fold.train if u in own.index]
    rng = np.random.default_rng([seed, 7])
    half = sorted(rng.choice(own_train, size=len(own_train) // 2, replace=False).tolist())
    return UnitData(X, index, own, protocols.majority_vote(ratings, dim, exclude=rater, min_raters=2),
                    protocols.soft_labels(ratings, dim, exclude=rater, min_raters=2), own_train, half,
                    _items(own_train, X, own, index), _items(fold.val, X, own, index),
                    _items(fold.test, X, own, index))


def run_unit(
    P: Params,
    exp: Experiment,
    corpus: Corpus,
    X: dict[str, np.ndarray],
    fold: protocols.Fold,
    task: str,
    rater: str,
    seed: int,
    device: str,
):
    """One unit of work: all ten systems of Table 1 for one (task, fold, target rater,
    seed)."""
    data = unit_data(corpus, X, fold, task, rater, seed)
    key = dict(corpus=corpus.name, task=task, fold=fold.name, rater=rater, seed=seed)
    targets = {
        "Rater*@100": (data.own, data.own_train),
        "Rater*@50": (data.own, data.half),
    }
    if P.label_type in ("hard", "both"):  # the co-raters' majority vote
        targets["Others_H"] = (data.hard, fold.train)
    if P.label_type in ("soft", "both"):  # the co-raters' vote distribution
        targets["Others_S"] = (data.soft, fold.train)
    subs, histories = {}, {}
    for name, (y, ids) in targets.items():  # sub-models, trained one by one
        subs[name], histories[name] = train_submodel(
            P, exp, key, name, data, y, ids, fold, device
        )
    reps, probs = frozen_outputs(
        subs, data, device
    )  # each alone, and its last hidden layer
    for frac in P.target_fractions:  # fusions on the target's labels only
        for combo in (["Others_H"], ["Others_S"], ["Others_H", "Others_S"]):
            if all(c in subs for c in combo):
                name = "Others_H-S" if len(combo) == 2 else combo[0]
                probs[f"{name}@{int(frac * 100)}"] = train_fusion(
                    P, exp, key, combo, frac, data, reps, device
                )
    return score_unit(corpus, fold, data, probs, histories)


def train_submodel(P: Params, exp: Experiment, key: dict, name: str, data: UnitData, y, train_ids,
                   fold: protocols.Fold, device: str):
    """One BLSTM-DNN sub-model on ``y`` (hard labels, or a distribution for ``Others_S``) →
    (model, history)."""
    sizes, cfg = train_config(P, key["corpus"])
    seed_everything(key["seed"])
    model = BLSTMAttention(45, *sizes, n_classes=3, soft=name == "Others_S")
    if P.class_weighted:
        model.set_class_weights(class_weights(y.loc[[u for u in train_ids if u in y.index]].to_numpy(), 3))
    hist = fit(model, _items(train_ids, data.X, y, data.index), cfg, _items(fold.val, data.X, y, data.index),
               seed=key["seed"], device=device, checkpoint=exp.checkpoint({**key, "model": name}), labels=[0, 1, 2],
               desc=name)
    return model, hist


def frozen_outputs(subs: dict, data: UnitData, device: str) -> tuple[dict, dict]:
    """Each sub-model's last hidden layer on the target's training, validation and test
    items (the fusions' inputs), and its own test posteriors (the ``@0`` and ``Rater*``
    systems)."""
    reps, probs = {}, {}
    parts = (("train", data.train_own), ("val", data.val), ("test", data.test))
    for name, model in subs.items():
        out = {part: predict(model, ds, device=device) for part, ds in parts}
        for part, ds in parts:  # outputs come sorted by utt
            assert np.array_equal(out[part].utt, [it["utt"] for it in ds.items])
        reps[name] = {part: o.embedding for part, o in out.items()}
        probs[name if name.startswith("Rater*") else f"{name}@0"] = out["test"].probs
    return reps, probs


def train_fusion(P: Params, exp: Experiment, key: dict, combo: list[str], frac: float, data: UnitData,
                 reps: dict, device: str) -> np.ndarray:
    """The fusion head on the frozen representations of ``combo`` and ``Rater*@<frac>``,
    trained on that fraction of the target's labels → its test posteriors."""
    sizes, cfg = train_config(P, key["corpus"])
    pct = int(frac * 100)
    chosen = data.own_train if frac == 1.0 else data.half
    parts = combo + [f"Rater*@{pct}"]
    cat = {p: np.concatenate([reps[s][p] for s in parts], axis=1) for p in ("train", "val", "test")}
    seed_everything(key["seed"])
    head = FusionHead(cat["train"].shape[1], sizes, 3)
    if P.class_weighted:
        head.set_class_weights(class_weights(data.own.loc[chosen].to_numpy(), 3))
    pos = {u: i for i, u in enumerate(data.own_train)}
    tr = _vectors(cat["train"], [pos[u] for u in chosen], [int(data.own.loc[u]) for u in chosen])
    va = _vectors(cat["val"], range(len(data.val)), [it["y"] for it in data.val.items])
    te = _vectors(cat["test"], range(len(data.test)), [it["y"] for it in data.test.items])
    fit(head, tr, cfg, va, seed=key["seed"], device=device, labels=[0, 1, 2], desc="fusion",
        checkpoint=exp.checkpoint({**key, "model": "fusion-" + "+".join(parts)}))
    return predict(head, te, device=device).probs


def score_unit(corpus: Corpus, fold: protocols.Fold, data: UnitData, probs: dict, histories: dict
               ) -> tuple[list[dict], dict]:
    """Every system's UAR per test speaker on the target's own labels; predictions and
    curves."""
    y_test = np.array([it["y"] for it in data.test.items])
    spk_test = corpus.utterances.speaker.loc[[u for u in fold.test if u in data.own.index]].to_numpy().astype(str)
    rows = []
    for system, p in probs.items():
        for r in speaker_scores(y_test, p.argmax(1), spk_test, [0, 1, 2]).to_dict("records"):
            rows.append({"system": system, **r})
    curves = {k: v for name, hist in histories.items() for k, v in history_arrays(hist, name).items()}
    return rows, {"y": y_test, "speaker": spk_test, **{f"prob/{k}": v for k, v in probs.items()}, **curves}


def _vectors(matrix: np.ndarray, rows, targets) -> ItemDataset:
    return ItemDataset([{"x": matrix[i][None], "y": int(t), "utt": j} for j, (i, t) in enumerate(zip(rows, targets))])


def label_rmse(corpus: Corpus, task: str, rater: str) -> dict:
    """Table 3: RMSE between the target rater's one-hot labels and the co-raters' majority vote
    (one-hot) or soft label, over utterances the target and ≥ 2 co-raters rated."""
    dim = TASKS[task]
    own = protocols.rater_labels(corpus.ratings, dim, rater)
    hard = protocols.majority_vote(corpus.ratings, dim, exclude=rater, min_raters=2)
    soft = protocols.soft_labels(corpus.ratings, dim, exclude=rater, min_raters=2)
    ids_h, ids_s = own.index.intersection(hard.index), own.index.intersection(soft.index)
    onehot = np.eye(3)
    rmse_h = np.sqrt(((onehot[own.loc[ids_h]] - onehot[hard.loc[ids_h]]) ** 2).mean())
    rmse_s = np.sqrt(((onehot[own.loc[ids_s]] - soft.loc[ids_s].to_numpy()) ** 2).mean())
    return {"Others_H": rmse_h, "Others_S": rmse_s, "n_H": len(ids_h), "n_S": len(ids_s)}


@dataclass
class Data:
    """Per corpus: the corpus, its pooled feature sequences, folds and result store."""

    corpora: dict[str, Corpus]
    sequences: dict[str, dict[str, np.ndarray]]
    folds: dict[str, protocols.Folds]
    experiments: dict[str, Experiment]


def _context(P: Params, name: str):
    def build():
        corpus = load_corpus(name, P)
        folds = folds_for(corpus)
        return (corpus, sequences(corpus, P.pool_step), folds,
                Experiment(f"chou2020-{name}", P.unit_hash, corpus.fingerprint(), folds.hash))
    return per_process(("chou2020", P.hash, str(P.data_root), name), build)


def data(P: Params) -> Data:
    """IEMOCAP (and NNIME in ``full``): features, folds and result stores, built once per process."""
    parts = {name: _context(P, name) for name in P.corpora}
    return Data({n: c[0] for n, c in parts.items()}, {n: c[1] for n, c in parts.items()},
                {n: c[2] for n, c in parts.items()}, {n: c[3] for n, c in parts.items()})


def unit_job(values: dict, name: str, task: str, fold_name: str, rater: str, seed: int):
    """One (corpus, task, fold, target rater, seed): stored results, or train and store them."""
    P = parameters(values)
    corpus, X, folds, exp = _context(P, name)
    fold = next(f for f in folds if f.name == fold_name)
    key = dict(corpus=name, task=task, fold=fold_name, rater=rater, seed=seed)
    return exp.unit(key, lambda: run_unit(P, exp, corpus, X, fold, task, rater, seed, resolve_device(P.device)))


def reference_job(values: dict, name: str, task: str, rater: str):
    """The signal reference (eGeMAPS + LR) predicting the target rater's labels on the same folds."""
    P = parameters(values)
    corpus, _, folds, exp = _context(P, name)
    own = protocols.rater_labels(corpus.ratings, TASKS[task], rater)
    u = corpus.utterances.loc[[k for k in corpus.utterances.index if k in own.index]]
    key = dict(corpus=name, task=task, fold="all", rater=rater, seed=0, system=reference.NAME)

    def compute():
        X = reference.egemaps(corpus.utterances.path)
        pos = [corpus.utterances.index.get_loc(k) for k in u.index]
        rows, arrays = reference.reference_units(u, own, folds, [0, 1, 2], X=X[pos])
        return rows.to_dict("records"), arrays
    return exp.unit(key, compute)
