"""Chapter 3: Parry et al. (2022), SER in the wild with multi-task and adversarial learning."""
from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols
from ..config import Param, Params, resolve_parameters, resolve_device, seed_everything
from ..metrics import scores
from ..provenance import stable_hash
from ..models.cnn_lstm import APPROACHES, AttributeSER, attribute_sets
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, fit, predict
from .common import load_corpus, per_process

POOL = ("emovo", "emodb", "iemocap", "epst", "ravdess", "savee")
OOD = ("tess", "crema-d")
CLASSES = list(protocols.POLARITY)
LETTERS = {"C": "corpus", "G": "gender", "S": "speaker", "L": "language"}
ALL_SETS = ["+".join(k for k, v in LETTERS.items() if v in s) for s in attribute_sets(tuple(LETTERS.values()))]
DEFAULT_ALPHA = {"mtl": 0.1, "gr": 0.5, "ad": 0.5}

PARAMS = {
    "approaches": Param(None, "mtl | gr | ad (the single-task baseline always runs)", choices=APPROACHES[1:], many=True),
    "attribute_sets": Param(None, "attribute combinations: C, G, S, L, C+G, ..., C+G+S+L", choices=tuple(ALL_SETS),
                            many=True),
    "alpha": Param(None, "task weight α; None: 0.1 for MTL, 0.5 for GR (ramped) and AD"),
    "epochs": Param(None, "maximum epochs (paper: 150 with early stopping)"),
    "width": Param(None, "[conv channels, LSTM units] (≈1.8 M shared parameters at [256, 320])", many=True),
    "lr": Param(None, "SGD learning rate (paper: 0.002)"),
    "class_weighted": Param(True, "weight the emotion loss by inverse class frequency (not in the paper)",
                            choices=(True, False)),
}
PROFILES = {
    "smoke": dict(seeds=[0], approaches=["gr"], attribute_sets=["C"], epochs=1, width=[16, 16], lr=0.01),
    "book": dict(seeds=[0, 1, 2], approaches=["mtl", "gr", "ad"], attribute_sets=["C", "G", "S", "L"], epochs=10,
                 width=[64, 80], lr=0.01),
    "full": dict(seeds=[0, 1, 2], approaches=["mtl", "gr", "ad"], attribute_sets=ALL_SETS, epochs=150,
                 width=[256, 320], lr=0.002),
}
PAPER_TABLE2 = {  # UA % on TESS and CREMA-D, single attributes (baseline 49.48 / 52.21)
    "tess": {"mtl": [48.90, 35.13, 52.25, 54.73], "gr": [54.71, 45.04, 55.17, 50.10], "ad": [40.73, 39.35, 36.98, 33.29]},
    "crema-d": {"mtl": [49.64, 50.13, 49.50, 50.39], "gr": [51.82, 53.99, 47.60, 53.92],
                "ad": [51.92, 53.33, 53.23, 50.89]},
}
PAPER_TABLE3 = {  # S+G, S+L, G+L, C+G+L, C+S+L, C+S+G+L
    "tess": {"mtl": [34.77, 47.42, 51.85, 52.90, 48.69, 49.17], "gr": [51.58, 55.46, 52.79, 49.40, 54.75, 51.71],
             "ad": [49.19, 50.40, 52.40, 51.92, 50.08, 52.48]},
    "crema-d": {"mtl": [52.85, 50.26, 52.26, 51.53, 48.95, 51.54], "gr": [50.36, 53.19, 52.92, 50.57, 53.71, 50.12],
                "ad": [50.11, 46.47, 49.80, 45.07, 46.32, 47.15]},
}
PAPER_BASELINE = {"tess": 49.48, "crema-d": 52.21, "in-domain": 59.32}
TABLE3_SETS = ["G+S", "S+L", "G+L", "C+G+L", "C+S+L", "C+G+S+L"]


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("parry2022", namespace, PARAMS, PROFILES)


def language(code: str) -> str:
    return str(code).split("-")[0]


def pooled(P: Params) -> tuple[pd.DataFrame, pd.DataFrame, protocols.Folds]:
    """The aggregated training pool (polarity labels, prefixed ids and speakers), the two
    out-of-domain corpora, and the 80/10/10 speaker-disjoint split inside each corpus."""
    frames, ids = [], []
    for name in POOL + OOD:
        c = load_corpus(name, P)
        ids.append(c.fingerprint())
        u = protocols.polarity(c.utterances)
        frames.append(u.assign(speaker=name + ":" + u.speaker.astype(str), language=u.language.map(language))
                      .set_index(name + ":" + u.index.astype(str)))
    allu = pd.concat(frames)
    pool, ood = allu[allu.corpus.isin(POOL)], allu[allu.corpus.isin(OOD)]
    pool.attrs["corpus_id"] = stable_hash(ids)
    return pool, ood, protocols.speaker_disjoint_split(pool, (0.8, 0.1, 0.1), within="corpus")


def inputs(u: pd.DataFrame) -> dict[str, np.ndarray]:
    """40 log-Mel (25 ms / 10 ms), each utterance normalised to zero mean and unit variance (one
    mean and deviation over all its values: a per-band z-score would erase the spectral tilt)."""
    arrays = features.extract(list(u.path), features.LogMel(n_mels=40, win_ms=25, hop_ms=10))
    return {k: features.zscore(x, per_dimension=False) for k, x in zip(u.index, arrays)}


def attribute_codes(pool: pd.DataFrame, train_ids) -> dict[str, dict]:
    """Attribute name → value → class index (speakers: the training speakers only)."""
    tr = pool.loc[list(train_ids)]
    return {a: {v: i for i, v in enumerate(sorted(tr[a].astype(str).unique()))} for a in LETTERS.values()}


def run_unit(P: Params, exp: Experiment, pool: pd.DataFrame, ood: pd.DataFrame, fold: protocols.Fold, X: dict,
             approach: str, attrs: str, seed: int) -> tuple[list[dict], dict]:
    names = [LETTERS[k] for k in attrs.split("+")] if attrs != "none" else []
    codes = attribute_codes(pool, fold.train)
    cls = {c: i for i, c in enumerate(CLASSES)}
    index = {u: i for i, u in enumerate(list(pool.index) + list(ood.index))}

    def items(ids, frame, with_attrs):
        out = []
        for u in ids:
            it = {"x": X[u], "y": cls[frame.polarity[u]], "utt": index[u]}
            if with_attrs:
                it.update({a: codes[a][str(frame[a][u])] for a in names})
            out.append(it)
        return ItemDataset(out)

    alpha = P.alpha if P.alpha is not None else DEFAULT_ALPHA.get(approach, 0.0)
    counts = pool.polarity.loc[list(fold.train)].map(cls).value_counts().reindex(range(3), fill_value=0).to_numpy()
    weights = (1 / np.maximum(counts, 1)) / (1 / np.maximum(counts, 1)).mean() if P.class_weighted else None
    seed_everything(seed)
    model = AttributeSER(3, {a: len(codes[a]) for a in names}, approach, alpha, channels=P.width[0], hidden=P.width[1],
                         class_weights=weights)
    cfg = TrainConfig(epochs=P.epochs, batch_size=32, lr=P.lr, optimizer="sgd", momentum=0.9,
                      patience=None if P.profile != "full" else 15, monitor="val_ua")
    device = resolve_device(P.device)
    hist = fit(model, items(fold.train, pool, True), cfg, items(fold.val, pool, False), seed=seed, device=device,
               labels=[0, 1, 2], checkpoint=exp.checkpoint(dict(approach=approach, attributes=attrs, seed=seed)),
               desc=f"{approach} {attrs}")
    row = {"seconds_per_epoch": hist.seconds_per_epoch, "best_epoch": hist.best_epoch}
    arrays = {}
    tests = {"in-domain": (list(fold.test), pool), **{c: (list(ood.index[ood.corpus == c]), ood) for c in OOD}}
    for name, (ids, frame) in tests.items():
        pred = predict(model, items(ids, frame, False), device=device)
        y = np.array([cls[frame.polarity[u]] for u in ids])
        s = scores(y, pred.pred, [0, 1, 2])
        row[f"ua_{name}"], row[f"wa_{name}"] = s["ua"], s["wa"]
        if name == "in-domain":
            arrays = {"emb": pred.embedding, "corpus": pool.corpus.loc[ids].to_numpy().astype(str)}
            row["corpus_probe"] = corpus_probe(pred.embedding, arrays["corpus"], seed)
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


def context(P: Params):
    """(pool, out-of-domain corpora, split, features, experiment), built once per process."""
    def build():
        pool, ood, folds = pooled(P)
        X = {**inputs(pool), **inputs(ood)}
        return pool, ood, folds, X, Experiment("parry2022", P.hash, pool.attrs["corpus_id"], folds.hash)
    return per_process(("parry2022", P.hash, str(P.data_root)), build)


def grid(P: Params) -> list[tuple[str, str]]:
    return [("baseline", "none")] + [(a, s) for s in P.attribute_sets for a in P.approaches]


def unit_job(values: dict, approach: str, attrs: str, seed: int):
    P = parameters(values)
    pool, ood, folds, X, exp = context(P)
    key = dict(approach=approach, attributes=attrs, seed=seed)
    return exp.unit(key, lambda: run_unit(P, exp, pool, ood, folds[0], X, approach, attrs, seed))


def run_all(P: Params, workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    from ..parallel import map_units
    from ..results import stored_units

    if P.results_from:
        return stored_units(P.results_from, "parry2022", ("approach", "attributes", "seed"))
    context(P)
    jobs = [(P.as_dict(), a, s, seed) for seed in P.seeds for a, s in grid(P)]
    out = map_units(unit_job, jobs, workers)
    rows = pd.DataFrame([r for rs, _ in out for r in rs])
    context(P)[4].write(rows)
    return rows, {(j[1], j[2], j[3]): a for j, (_, a) in zip(jobs, out)}


def ua_table(rows: pd.DataFrame, test: str, sets: list[str]) -> pd.DataFrame:
    """Mean ± std over seeds of UA (%) on ``test``, approaches × attribute sets, with the baseline."""
    g = rows.groupby(["approach", "attributes"])[f"ua_{test}"]
    cell = (g.mean() * 100).round(2).astype(str) + " ± " + (g.std(ddof=1).fillna(0) * 100).round(2).astype(str)
    t = cell.unstack("attributes")
    return t.reindex(index=[a for a in ("baseline", "mtl", "gr", "ad") if a in t.index],
                     columns=[s for s in ["none", *sets] if s in t.columns])


def claims(rows: pd.DataFrame) -> pd.DataFrame:
    """Consistency: in how many attribute sets does each approach beat the baseline on both OOD
    corpora (mean over seeds); in-domain cost of attributes; corpus clustering (5-NN probe)."""
    from ..results import verdict

    m = rows.groupby(["approach", "attributes"])[["ua_tess", "ua_crema-d", "ua_in-domain", "corpus_probe"]].mean()
    base = m.loc[("baseline", "none")]
    out = []
    for a in [x for x in ("mtl", "gr", "ad") if x in m.index.get_level_values(0)]:
        sub = m.loc[a]
        both = ((sub["ua_tess"] > base["ua_tess"]) & (sub["ua_crema-d"] > base["ua_crema-d"])).sum()
        either = ((sub["ua_tess"] > base["ua_tess"]) ^ (sub["ua_crema-d"] > base["ua_crema-d"])).sum()
        out.append({"approach": a, "attribute sets": len(sub), "better than baseline on both OOD sets": int(both),
                    "better on one only (inconsistent)": int(either),
                    "mean in-domain UA − baseline": float((sub["ua_in-domain"] - base["ua_in-domain"]).mean()),
                    "corpus 5-NN probe (C)": float(sub["corpus_probe"].get("C", np.nan))})
    table = pd.DataFrame(out).set_index("approach")
    table.loc["baseline", "corpus 5-NN probe (C)"] = float(base["corpus_probe"])
    att = rows[rows.approach != "baseline"].groupby("seed")["ua_in-domain"].mean()
    bas = rows[rows.approach == "baseline"].set_index("seed")["ua_in-domain"]
    table.attrs["in-domain verdict"] = verdict(bas.loc[att.index], att)
    return table


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: UA per approach and attribute set on each test set."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["approach", "attributes"])[["ua_in-domain", "ua_tess", "ua_crema-d"]].mean().round(4)
