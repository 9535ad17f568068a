"""Chapter 6: all five papers' emotion models on one corpus, one protocol, the same seeds.

The protocol is Xi et al.'s: IEMOCAP improvised, 4 classes, five sessions, both speakers of
the held-out session tested, no validation set (every model keeps its last epoch). Each model
comes with its own chapter's `book` (or `full`) recipe: features, optimiser, epochs, sizes.
No input uses statistics of the test speakers: per-speaker z-scores (Chou & Lee's
preprocessing) are replaced by a global standardisation with the training set's statistics
for this comparison; Parry's and Fan's inputs are scaled with the training speakers' statistics,
as in their chapters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .. import features, protocols, reference
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything
from ..metrics import speaker_scores
from ..models.adarl import ADARL
from ..models.blstm_attention import BLSTMAttention
from ..models.cnn_lstm import AttributeSER
from ..models.menan import SpeakerInvariantSER
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, class_weights, fit, predict
from . import chou2020, fan2020, li2020, parry2022, xi2019
from .common import ChapterResults, folds_to_run, gather, history_arrays, per_process

CLASSES = xi2019.IEMOCAP_CLASSES
LABELS = list(range(len(CLASSES)))
CHANCE = 1 / len(CLASSES)
MODELS = {
    "blstm_attention": "BLSTM-attention (Chou & Lee)",
    "ec_only": "CNN-GRU, EC only (Li et al.)",
    "menan": "CNN-GRU + MEnAN (Li et al.)",
    "cnn_lstm_gr": "CNN-LSTM + GR on speaker (Parry et al.)",
    "resnet_adapter": "ResNet20 + residual adapters (Xi et al.)",
    "adarl": "ADARL (Fan et al.)",
    reference.NAME: f"{reference.NAME} (signal reference)",
}
SEQUENCE_MODELS = ("blstm_attention", "ec_only", "menan", "cnn_lstm_gr")
NAMES = MODELS  # every chapter's display names
PARAMS = {"systems": Param(None, "models to compare", choices=tuple(m for m in MODELS if m != reference.NAME),
                           many=True, selects=True, aliases=("models",)),
          "inputs": Param("own", "each model's input: 'own' (its paper's features) or 'log-mel' (the same 40 log-Mel "
                          "sequence, Parry et al.'s, for the four sequence models; the ResNet20 and ADARL keep their "
                          "spectrogram images)", choices=("own", "log-mel"))}
PROFILES = {
    "smoke": dict(seeds=[0], systems=[m for m in MODELS if m != reference.NAME]),  # every model's code path
    "book": dict(seeds=[0, 1], systems=[m for m in MODELS if m != reference.NAME]),
    "full": dict(seeds=[0, 1, 2, 3, 4], systems=[m for m in MODELS if m != reference.NAME]),
}

DEVIATIONS = [
    ("each paper's own protocol, corpus split and label set", "Xi et al.'s protocol for every model: IEMOCAP "
     "improvised, 4 classes, five sessions, both speakers of the held-out session tested, no validation set (the "
     "last epoch is kept)", "one protocol, so that the models can be compared at all", "not applicable"),
    ("Chou & Lee: per-speaker z-scores of the frame features", "one global standardisation with the training set's "
     "statistics", "a per-speaker z-score uses the test speaker's statistics", "not measured"),
    ("each paper's own epochs and sizes", "each chapter's `book` (or `full`) recipe", "CPU minutes; the models that "
     "need many epochs or large inputs (the ResNet20, ADARL) are handicapped most", "not measured"),
]


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("scoreboard", namespace, PARAMS, PROFILES)


def recipe(chapter, P: Params) -> Params:
    """A chapter's parameters at this page's profile, corpus (and simulator knobs), device and seeds."""
    return chapter.parameters({"profile": P.profile, "data_root": P.data_root, "device": P.device,
                               "seeds": list(P.seeds), "dry_run": P.dry_run, "knobs": dict(P.knobs)})


@dataclass
class Data:
    xi: xi2019.CorpusData
    experiment: Experiment

    @property
    def utts(self) -> pd.DataFrame:
        return self.xi.utts

    @property
    def folds(self) -> protocols.Folds:
        return self.xi.folds


def data(P: Params) -> Data:
    def build():
        d = xi2019.corpus_data(recipe(xi2019, P), "iemocap")
        return Data(d, Experiment("scoreboard", P.unit_hash, d.corpus.fingerprint(), d.folds.hash))
    return per_process(("scoreboard-data", P.hash, str(P.data_root)), build)


def _standardised(X: dict[str, np.ndarray], train_ids) -> dict[str, np.ndarray]:
    frames = np.concatenate([X[u] for u in train_ids])
    mu, sd = frames.mean(0), frames.std(0) + 1e-5
    return {u: (x - mu) / sd for u, x in X.items()}


def items(model: str, P: Params, d: Data, fold: protocols.Fold, speakers: dict) -> tuple[ItemDataset, ItemDataset]:
    """(train, test) items in the model's own input, with the shared labels."""
    u, index = d.utts, {k: i for i, k in enumerate(d.utts.index)}
    y = {k: CLASSES.index(e) for k, e in u.emotion.items()}
    extra = {k: {"speaker": speakers.get(s, 0), "gender": int(g == "M")} for k, s, g in zip(u.index, u.speaker, u.gender)}

    def per_utt(X: dict, ids, with_extra=False):
        return ItemDataset([{"x": X[k], "y": y[k], "utt": index[k], **(extra[k] if with_extra else {})} for k in ids])

    if model in SEQUENCE_MODELS and P.inputs == "log-mel":
        Pp = recipe(parry2022, P)
        raw = per_process(("sb-parry-raw", P.hash), lambda: parry2022.inputs(u, Pp.frame_step, False))
        X = _standardised(raw, fold.train)
        return per_utt(X, fold.train, True), per_utt(X, fold.test, True)
    if model == "blstm_attention":
        Pc = recipe(chou2020, P)
        raw = per_process(("sb-emobase", P.hash), lambda: dict(zip(u.index, [
            features.mean_pool(features.drop_unvoiced(x), Pc.pool_step)
            for x in features.extract(list(u.path), features.Emobase45(), progress=False)])))
        X = _standardised(raw, fold.train)
        return per_utt(X, fold.train), per_utt(X, fold.test)
    if model in ("ec_only", "menan"):
        Pl = recipe(li2020, P)
        raw = per_process(("sb-li", P.hash), lambda: li2020.inputs(d.xi.corpus, u.index, Pl))
        X = _standardised(raw, fold.train)
        return per_utt(X, fold.train, True), per_utt(X, fold.test, True)
    if model == "cnn_lstm_gr":
        Pp = recipe(parry2022, P)
        own = Pp.normalise == "utterance"
        X = per_process(("sb-parry", P.hash), lambda: parry2022.inputs(u, Pp.frame_step, own))
        if not own:
            mu, sd = parry2022.training_scale(X, fold.train)
            X = {k: (x - mu) / sd for k, x in X.items()}
        return per_utt(X, fold.train, True), per_utt(X, fold.test, True)
    if model == "adarl":  # Fan's segments carry Fan's class order: map them onto this page's
        Pf = recipe(fan2020, P)
        to_ours = {i: CLASSES.index(c) for i, c in enumerate(fan2020.CLASSES)}
        out, stats = [], fan2020.input_stats(u, fold.train, Pf)
        for ids in (fold.train, fold.test):
            ds = fan2020.segments(u, ids, Pf, index, stats)
            ds.items = [{**it, "y": to_ours[it["y"]]} for it in ds.items]
            out.append(ds)
        return tuple(out)
    raise ValueError(f"unknown model {model!r}; models: {', '.join(MODELS)}")


def n_in(model: str, P: Params) -> int:
    """Input dimensions of a sequence model: its paper's features, or 40 log-Mel bands.
    """
    if P.inputs == "log-mel":
        return 40
    return {"blstm_attention": 45, "ec_only": 43, "menan": 43, "cnn_lstm_gr": 40}[model]


def build(model: str, P: Params, n_speakers: int, seed: int, train: ItemDataset):
    """The model and its chapter's optimiser settings (last epoch kept: no validation set)."""
    seed_everything(seed)
    if model == "blstm_attention":
        Pc = recipe(chou2020, P)
        sizes, cfg = chou2020.train_config(Pc, "iemocap")
        net = BLSTMAttention(n_in(model, P), *sizes, n_classes=len(CLASSES))
    elif model in ("ec_only", "menan"):
        Pl = recipe(li2020, P)
        net = SpeakerInvariantSER(len(CLASSES), n_speakers, "ec" if model == "ec_only" else "menan", Pl.lambda_,
                                  n_in=n_in(model, P))
        cfg = li2020.train_config(Pl)
    elif model == "cnn_lstm_gr":
        Pp = recipe(parry2022, P)
        net = AttributeSER(len(CLASSES), {"speaker": n_speakers}, "gr", parry2022.DEFAULT_ALPHA["gr"],
                           channels=Pp.width[0], hidden=Pp.width[1])
        cfg = parry2022.train_config(Pp)
    elif model == "adarl":
        Pf = recipe(fan2020, P)
        net, cfg = ADARL(len(CLASSES), 2, "adarl", tuple(Pf.image), tuple(Pf.gammas)), fan2020.train_config(Pf)
    else:
        raise ValueError(model)
    cfg.monitor, cfg.patience = None, None
    net.set_class_weights(class_weights([it["y"] for it in train.items], len(CLASSES)))
    return net, cfg


def run_unit(
    P: Params, d: Data, model: str, fold: protocols.Fold, seed: int
) -> tuple[list[dict], dict]:
    """One model on one session fold with one seed; per-speaker scores of both held-out
    speakers."""
    u = d.utts
    speakers = {
        s: i for i, s in enumerate(sorted(u.speaker.loc[list(fold.train)].unique()))
    }
    train, test = items(model, P, d, fold, speakers)
    net, cfg = build(model, P, len(speakers), seed, train)
    device = resolve_device(P.device)
    hist = fit(
        net,
        train,
        cfg,
        seed=seed,
        device=device,
        labels=LABELS,
        track=test,
        desc=model,
        checkpoint=d.experiment.checkpoint(
            dict(system=model, fold=fold.name, seed=seed)
        ),
    )
    pred = predict(net, test, device=device)
    index = {k: i for i, k in enumerate(u.index)}
    order = sorted(fold.test, key=index.get)
    y = np.array([CLASSES.index(u.emotion[k]) for k in order])
    size = {
        "parameters": sum(p.numel() for p in net.parameters()),
        "trainable": sum(p.numel() for p in net.parameters() if p.requires_grad),
        "seconds_per_epoch": hist.seconds_per_epoch,
        "ms_per_utterance": 1000 * pred.seconds_per_utt,
    }
    rows = [
        {**r, **size}
        for r in speaker_scores(y, pred.pred, u.speaker.loc[order], LABELS).to_dict(
            "records"
        )
    ]
    held_out = u.speaker.loc[order].to_numpy().astype(str)
    arrays = {**history_arrays(hist), "y": y, "pred": pred.pred, "speaker": held_out}
    return rows, arrays


def unit_job(values: dict, model: str, fold_name: str, seed: int):
    P = parameters(values)
    d = data(P)
    fold = next(f for f in d.folds if f.name == fold_name)
    if model == "resnet_adapter":  # Xi's own unit, on the same folds: reused when the chapter ran
        Px = recipe(xi2019, P)
        rows, a = xi2019.unit_job(Px.as_dict(), "iemocap", "residual_adapter", fold_name, seed,
                                  Px.pretrain_speakers[0])
        index = {k: i for i, k in enumerate(d.utts.index)}
        spk = d.utts.speaker.loc[sorted(fold.test, key=index.get)].to_numpy().astype(str)
        keep = ("speaker", "ua", "wa", "n", "classes", "trainable_params", "seconds_per_epoch")
        return ([{k: r[k] for k in keep if k in r} | {"system": model, "fold": fold_name, "seed": seed} for r in rows],
                {**{k: v for k, v in a.items() if k.startswith("hist/")}, "y": a["test_y"], "pred": a["test_pred"],
                 "speaker": spk})
    return d.experiment.unit(dict(system=model, fold=fold_name, seed=seed), lambda: run_unit(P, d, model, fold, seed))


def reference_job(values: dict):
    P = parameters(values)
    d = data(P)
    y = d.utts.emotion.map({c: i for i, c in enumerate(CLASSES)})
    return d.experiment.unit(dict(system=reference.NAME, fold="all", seed=0),
                             lambda: reference.unit_records(d.utts, y, list(d.folds), LABELS))


@dataclass
class Results(ChapterResults):
    """``units``: one row per model (``system``) × fold × seed × test speaker (``ua``, ``wa``,
    sizes and times), the signal reference's rows among them (it is on the board);
    ``reference``: those rows alone."""


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """Xi's pretraining (when the chapter has not run), then every (model, fold, seed) unit. The
    scoreboard has no positive control: ``control=True`` is an error."""
    from ..parallel import map_units
    from ..results import stored_units
    from .common import run_units

    if control:
        raise ValueError("the scoreboard has no positive control (its comparisons claim no mechanism); each "
                         "paper chapter runs its own")
    if P.results_from:
        units, arrays = stored_units(P.results_from, "scoreboard", ("system", "fold", "seed"), P)
        return Results(units, arrays, units[units.system == reference.NAME])
    if "resnet_adapter" in P.systems:
        Px = recipe(xi2019, P)
        features.extract(list(d.utts.path), xi2019.extractor(Px))
        map_units(xi2019.pretrain_job, [(Px.as_dict(), Px.pretrain_speakers[0], True, s) for s in P.seeds], workers)
    reference.egemaps(d.utts.path)
    for m in P.systems:  # features once, here
        if m != "resnet_adapter":
            items(m, P, d, d.folds[0], {})
    jobs = [(P.as_dict(), m, f.name, s) for s in P.seeds for f in folds_to_run(P, d.folds) for m in P.systems]
    outputs, ((ref_rows, ref_arrays),) = run_units(unit_job, jobs, reference_job, [(P.as_dict(),)], workers)
    units, arrays = gather(outputs, [j[1:] for j in jobs])
    units = pd.concat([units, pd.DataFrame(ref_rows).assign(system=reference.NAME, seed=0)], ignore_index=True)
    arrays[(reference.NAME, "all", 0)] = ref_arrays
    d.experiment.write(units)
    return Results(units, arrays, units[units.system == reference.NAME])


def board(res: Results, seed: int = 0) -> pd.DataFrame:
    """One row per model: UA and WA, the mean over test speakers of their seed-averaged scores,
    with 95 % bootstrap CIs that resample test speakers (all seeds of a speaker together)."""
    out = []
    for m in [k for k in MODELS if k in set(res.units.system)]:
        per_speaker = res.units[res.units.system == m].groupby("speaker")[["ua", "wa"]].mean()
        ua_lo, ua_hi = speaker_bootstrap_ci(per_speaker.ua.to_numpy(), seed)
        wa_lo, wa_hi = speaker_bootstrap_ci(per_speaker.wa.to_numpy(), seed)
        r = res.units[res.units.system == m]
        out.append({"system": MODELS[m], "UA": per_speaker.ua.mean(), "UA low": ua_lo, "UA high": ua_hi,
                    "WA": per_speaker.wa.mean(), "WA low": wa_lo, "WA high": wa_hi,
                    "trainable": (r["trainable"] if "trainable" in r and r["trainable"].notna().any()
                                  else r.get("trainable_params", pd.Series([np.nan]))).dropna().iloc[0]
                    if r.filter(like="trainable").notna().any().any() else np.nan,
                    "s / epoch": r.seconds_per_epoch.mean() if "seconds_per_epoch" in r else np.nan,
                    "test speakers": per_speaker.shape[0], "seeds": r.seed.nunique()})
    return pd.DataFrame(out).set_index("system")


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results table: ``board`` (:func:`board`; no paper reports these comparisons)."""
    return {"board": board(res)}


def speaker_bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean over units (test speakers)."""
    from scipy.stats import bootstrap

    if len(values) < 2:
        return float("nan"), float("nan")
    ci = bootstrap((values,), np.mean, n_resamples=2000, method="percentile", random_state=seed).confidence_interval
    return float(ci.low), float(ci.high)


def registered_claims(models: list[str]) -> list:
    """The comparisons, fixed by the parameters before any result exists: every model against the
    signal reference, and every pair of models. No direction is claimed (``directed=False``): the
    verdict says which of the two is higher, or that no difference was shown."""
    from itertools import combinations

    from ..claims import Claim

    order = [m for m in MODELS if m in models]
    against_ref = [Claim(f"{MODELS[m]} vs the signal reference", "(no paper claim: a network against eGeMAPS + LR)",
                         "—", m, reference.NAME, directed=False) for m in order]
    pairs = [Claim(f"{MODELS[a]} vs {MODELS[b]}", "(no paper claim: a comparison across papers)", "—", a, b,
                   directed=False) for a, b in combinations(order, 2)]
    return against_ref + pairs


def claims(res: Results, P: Params):
    """The pre-registered comparisons (:func:`registered_claims`) on test-speaker units, one Holm
    family: the scoreboard's comparisons use the book's one claim protocol."""
    from ..claims import evaluate

    return evaluate(registered_claims(list(P.systems)), res.units, {}, chance=CHANCE)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["ua", "wa"]].mean().round(4)
