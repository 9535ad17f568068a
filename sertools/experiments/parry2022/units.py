"""Parry et al. (2022): the data and one unit of work: inputs, items, training and scoring, and the jobs that
store each unit."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ... import features, protocols, reference
from ...config import Params, resolve_device, seed_everything, training_budget
from ...metrics import unweighted_accuracy
from ...models.cnn_lstm import AttributeSER
from ...provenance import stable_hash
from ...results import Experiment
from ...train import ItemDataset, TrainConfig, class_weights, fit, predict
from ..common import history_arrays, load_corpus, per_process
from .registration import CLASSES, DEFAULT_ALPHA, LETTERS, OOD, POOL, headline_seeds, parameters


def language(code: str) -> str:
    return str(code).split("-")[0]


def cap_speakers(u: pd.DataFrame, cap: int | None, seed: int = 0) -> pd.DataFrame:
    """At most ``cap`` utterances of a corpus, the same number from every speaker (random)."""
    if cap is None or len(u) <= cap:
        return u
    per = max(1, cap // u.speaker.nunique())
    rng = np.random.default_rng(seed)
    keep = [k for _, g in u.groupby("speaker") for k in rng.permutation(g.index.to_numpy())[:per]]
    return u.loc[sorted(keep)]


@dataclass
class Data:
    pool: pd.DataFrame        # the aggregated training pool (polarity labels, prefixed ids and speakers)
    ood: pd.DataFrame         # TESS and CREMA-D
    splits: dict[int, protocols.Folds]
    experiment: Experiment

    def split(self, seed: int) -> protocols.Fold:
        return self.splits[seed][0]


def data(P: Params) -> Data:
    """The pool of six corpora and the two out-of-domain corpora; one 80/10/10 speaker-disjoint
    split inside each corpus **per seed**, so that every seed trains on its own training set."""
    def build():
        frames, ids = [], []
        for name in POOL + OOD:
            c = load_corpus(name, P)
            ids.append(c.fingerprint())
            u = protocols.polarity(c.utterances)
            if name in POOL:
                u = cap_speakers(u, P.pool_cap)
            frames.append(u.assign(speaker=name + ":" + u.speaker.astype(str), language=u.language.map(language))
                          .set_index(name + ":" + u.index.astype(str)))
        allu = pd.concat(frames)
        pool, ood = allu[allu.corpus.isin(POOL)], allu[allu.corpus.isin(OOD)]
        splits = {s: protocols.speaker_disjoint_split(pool, (0.8, 0.1, 0.1), within="corpus", seed=s) for s in [*P.seeds, *headline_seeds(P)]}
        # the splits' recipe, not the seeds': a unit's seed names its split, and a unit is reused
        # whatever list of seeds it was asked for in
        split_hash = stable_hash({"split": "speaker_disjoint_split", "fractions": (0.8, 0.1, 0.1), "within": "corpus",
                                  "pool": list(pool.index)})
        return Data(pool, ood, splits, Experiment("parry2022", P.unit_hash, stable_hash(ids), split_hash))
    return per_process(("parry2022-data", P.hash, str(P.data_root)), build)


def inputs(u: pd.DataFrame, frame_step: int = 1, per_utterance: bool = True) -> dict[str, np.ndarray]:
    """40 log-Mel (25 ms / 10 ms), every ``frame_step`` frames averaged, each utterance normalised
    to zero mean and unit variance (one mean and deviation over all its values: a per-band
    z-score would erase the spectral tilt); ``per_utterance=False``: the log-Mel as it is."""
    arrays = features.extract(list(u.path), features.LogMel(n_mels=40, win_ms=25, hop_ms=10), progress=False)
    pooled = (features.mean_pool(x, frame_step) for x in arrays)
    return {k: features.zscore(x, per_dimension=False) if per_utterance else x.astype(np.float32)
            for k, x in zip(u.index, pooled)}


def training_scale(X: Mapping[str, np.ndarray], train_ids) -> tuple[float, float]:
    """One mean and one deviation over every value of the training utterances (``normalise="training"``)."""
    values = np.concatenate([X[u].ravel() for u in train_ids]).astype(np.float64)
    return float(values.mean()), max(float(values.std()), 1e-8)


def attribute_codes(pool: pd.DataFrame, train_ids) -> dict[str, dict]:
    """Attribute name → value → class index (speakers: the training speakers only)."""
    tr = pool.loc[list(train_ids)]
    return {a: {v: i for i, v in enumerate(sorted(tr[a].astype(str).unique()))} for a in LETTERS.values()}


def train_config(P: Params) -> TrainConfig:
    """SGD with momentum 0.9; the epoch with the best validation UA is kept."""
    return TrainConfig(**training_budget(P, P.epochs), batch_size=32, lr=P.lr, optimizer="sgd", momentum=0.9,
                       patience=None if P.profile != "full" else 15, monitor="val_ua")


@dataclass
class UnitItems:
    """One split's standardised items: ``train`` (with the attribute labels), ``val``, the test
    sets (``in-domain``, ``tess``, ``crema-d``: ids and their table), the attribute ``sizes``
    and the utterance ``index`` that orders predictions."""

    train: ItemDataset
    val: ItemDataset
    tests: dict
    sizes: dict[str, int]
    index: dict[str, int]
    make: object


def unit_items(P: Params, d: Data, attrs: str, seed: int) -> UnitItems:
    """The items of seed ``seed``'s split for an attribute set (``C+G``, ``none``, ...)."""
    pool, ood, fold = d.pool, d.ood, d.split(seed)
    per_utt = P.normalise == "utterance"
    X = per_process(("parry2022-inputs", P.hash, str(P.data_root)),
                    lambda: {**inputs(pool, P.frame_step, per_utt), **inputs(ood, P.frame_step, per_utt)})
    mu, sd = (0.0, 1.0) if per_utt else training_scale(X, fold.train)
    names = [LETTERS[k] for k in attrs.split("+")] if attrs != "none" else []
    codes = attribute_codes(pool, fold.train)
    cls = {c: i for i, c in enumerate(CLASSES)}
    index = {u: i for i, u in enumerate(list(pool.index) + list(ood.index))}

    def items(ids, frame, with_attrs):
        out = []
        for u in ids:
            it = {"x": (X[u] - mu) / sd if not per_utt else X[u], "y": cls[frame.polarity[u]], "utt": index[u]}
            if with_attrs:
                it.update({a: codes[a][str(frame[a][u])] for a in names})
            out.append(it)
        return ItemDataset(out)

    tests = {"in-domain": (list(fold.test), pool), **{c: (list(ood.index[ood.corpus == c]), ood) for c in OOD}}
    return UnitItems(items(fold.train, pool, True), items(fold.val, pool, False), tests,
                     {a: len(codes[a]) for a in names}, index, items)


def unit_key(approach: str, attrs: str, seed: int) -> dict:
    """The key of one unit in the chapter's result store."""
    return dict(approach=approach, attributes=attrs, seed=seed)


def run_unit(P: Params, d: Data, approach: str, attrs: str, seed: int):
    """One unit of work: one approach with one attribute set on one seed's split."""
    items = unit_items(P, d, attrs, seed)  # standardised log-Mel, attribute labels
    seed_everything(seed)
    alpha = P.alpha if P.alpha is not None else DEFAULT_ALPHA.get(approach, 0.0)
    model = AttributeSER(
        3,
        items.sizes,
        approach,
        alpha,
        channels=P.width[0],
        hidden=P.width[1],
        disc_width=P.disc_width,
        time_mask=max(1, round(30 / P.frame_step)),  # SpecAugment: 300 ms
        ramp=P.gr_schedule == "ramp",
    )
    if P.class_weighted:  # inverse class frequency (see deviations)
        model.set_class_weights(class_weights([it["y"] for it in items.train.items], 3))
    hist = fit(
        model,
        items.train,
        train_config(P),
        items.val,
        seed=seed,
        device=resolve_device(P.device),
        labels=[0, 1, 2],
        checkpoint=d.experiment.checkpoint(unit_key(approach, attrs, seed)),
    )
    return score_unit(P, d, approach, attrs, seed, model, hist, items)


def score_unit(P: Params, d: Data, approach: str, attrs: str, seed: int, model: AttributeSER, hist,
               items: UnitItems) -> tuple[list[dict], dict]:
    """A trained unit's row and arrays: UA in domain, on TESS and on CREMA-D, and how strongly
    the representation clusters by corpus."""
    device = resolve_device(P.device)
    cls = {c: i for i, c in enumerate(CLASSES)}
    row = {"system": f"{approach}:{attrs}", "split": seed, "seconds_per_epoch": hist.seconds_per_epoch,
           "best_epoch": hist.best_epoch}
    arrays = history_arrays(hist)
    for name, (ids, frame) in items.tests.items():
        pred = predict(model, items.make(ids, frame, False), device=device)
        order = sorted(ids, key=items.index.get)
        y = np.array([cls[frame.polarity[u]] for u in order])
        row[f"ua_{name}"] = unweighted_accuracy(y, pred.pred, [0, 1, 2], warn=False)
        arrays.update({f"{name}/y": y, f"{name}/pred": pred.pred, f"{name}/utt": np.asarray(order).astype(str)})
        if name == "in-domain":
            arrays.update({"emb": pred.embedding, "corpus": d.pool.corpus.loc[order].to_numpy().astype(str)})
            row["corpus_probe"] = corpus_probe(pred.embedding, arrays["corpus"], seed)
    row["ua_ood"] = (row["ua_tess"] + row["ua_crema-d"]) / 2
    row["ua"] = row["ua_in-domain"]  # the protocol's score: the split's own test speakers
    return [row], arrays


def corpus_probe(embeddings: np.ndarray, corpus: np.ndarray, seed: int = 0) -> float:
    """How strongly a representation clusters by corpus: 5-NN corpus accuracy (cross-validated)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    k = int(max(2, min(5, pd.Series(corpus).value_counts().min())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = StandardScaler().fit_transform(embeddings)
        return float(cross_val_score(KNeighborsClassifier(5), z, corpus,
                                     cv=StratifiedKFold(k, shuffle=True, random_state=seed)).mean())


def grid(P: Params) -> list[tuple[str, str]]:
    return [("baseline", "none")] + [(a, s) for s in P.attribute_sets for a in P.systems]


def unit_job(values: dict, approach: str, attrs: str, seed: int):
    P = parameters(values)
    d = data(P)
    return d.experiment.unit(unit_key(approach, attrs, seed), lambda: run_unit(P, d, approach, attrs, seed))


def reference_job(values: dict, seed: int):
    """The signal reference trained on the seed's pool split, tested in domain and out of domain."""
    P = parameters(values)
    d = data(P)

    def compute():
        fold = d.split(seed)
        allu = pd.concat([d.pool, d.ood])
        X = reference.egemaps(allu.path)
        pos = {k: i for i, k in enumerate(allu.index)}
        y = allu.polarity.map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
        idx = {p: np.array([pos[k] for k in getattr(fold, p)], int) for p in ("train", "val", "test")}
        row = {"system": reference.NAME, "approach": reference.NAME, "attributes": "none", "split": seed, "seed": seed}
        tests = {"in-domain": idx["test"], **{c: np.array([pos[k] for k in d.ood.index[d.ood.corpus == c]]) for c in OOD}}
        pred, _ = reference.fit_predict(X, y, idx["train"], idx["val"], np.concatenate(list(tests.values())), [0, 1, 2])
        ends = np.cumsum([len(te) for te in tests.values()])   # one model, fitted once, predicts every test set
        for (name, te), p in zip(tests.items(), np.split(pred, ends[:-1])):
            row[f"ua_{name}"] = unweighted_accuracy(y[te], p, [0, 1, 2], warn=False)
        row["ua_ood"] = (row["ua_tess"] + row["ua_crema-d"]) / 2
        row["ua"] = row["ua_in-domain"]
        return [row], {}
    return d.experiment.unit(dict(approach=reference.NAME, attributes="none", seed=seed), compute)
