"""Chapter 2: Li et al. (2020), speaker-invariant representations with a max-entropy adversary."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .. import controls, features, protocols, reference
from ..claims import Claim, differences
from ..config import Param, Params, resolve_device, resolve_parameters, seed_everything, training_budget
from ..data import Corpus
from ..metrics import speaker_scores
from ..models.menan import SYSTEMS, SpeakerInvariantSER
from ..results import Experiment
from ..train import ItemDataset, TrainConfig, class_weights, fit, predict
from .common import ChapterResults, frame_rows, history_arrays, load_corpus, mean_std, per_process, run_grid

EMOTIONS = list(protocols.FOUR_CLASSES)
LABELS = list(range(len(EMOTIONS)))
CHANCE = 1 / len(EMOTIONS)
MOSEI_CLASSES = {"neutral": None, "happy": "p_happy", "angry": "p_angry", "sad": "p_sad"}
NAMES = {"ec": "EC only", "multitask": "Multi-task", "dat": "DAT", "menan": "MEnAN", reference.NAME: reference.NAME}

PARAMS = {
    "systems": Param(None, "systems to train: ec | multitask | dat | menan", choices=SYSTEMS, many=True,
                     selects=True),
    "lambda_": Param(0.5, "λ in λ·L_emo − (1−λ)·H(SC), between 0 and 1", kind=float, low=0.0, high=1.0),
    "folds": Param(None, "leave-one-speaker-out folds to run, 1-10 (10 = every speaker tested once)", kind=int,
                   low=1, high=10, selects=True),
    "epochs": Param(None, "training epochs (paper: 300)", kind=int, low=1),
    "crop_seconds": Param(None, "middle-crop / cycle-repeat target duration in s (paper: 14)", kind=float, low=0.5),
    "frame_step": Param(None, "average this many 10 ms frames into one input step (paper: 1)", kind=int, low=1),
    "speed_factors": Param(None, "speed perturbation of the training data (paper: 0.8 0.9 1.1 1.2)", many=True,
                           kind=float, low=0.5, high=2.0, unique=True, empty=True),
    "class_weighted": Param(True, "weight the emotion loss by inverse class frequency (not in the paper)",
                            choices=(True, False)),
}
PROFILES = {
    "smoke": dict(seeds=[0], systems=["ec", "menan"], folds=2, epochs=1, crop_seconds=2.0, frame_step=2,
                  speed_factors=[]),
    "book": dict(seeds=[0, 1], systems=list(SYSTEMS), folds=10, epochs=6, crop_seconds=3.0, frame_step=2,
                 speed_factors=[]),
    "full": dict(seeds=[0, 1, 2], systems=list(SYSTEMS), folds=10, epochs=300, crop_seconds=14.0, frame_step=1,
                 speed_factors=[0.8, 0.9, 1.1, 1.2]),
}
PAPER_TABLE2 = pd.DataFrame(
    [[58.50, 55.92, -2.56, 59.94, 57.45, -2.49], [59.24, 55.90, -3.34, 60.52, 57.28, -3.24],
     [58.28, 56.68, -1.60, 60.16, 58.48, -1.68], [58.85, 58.62, -0.23, 60.24, 59.91, -0.33]],
    index=list(SYSTEMS), columns=["WA val", "WA test", "WA Δ", "UA val", "UA test", "UA Δ"])
PAPER_TABLE3 = pd.DataFrame([[31.35, 27.14, 34.96], [np.nan] * 3, [32.34, 25.91, 37.85], [33.24, 28.84, 39.85]],
                            index=list(SYSTEMS), columns=["mean", "min", "max"])
# The paper's tables in the long form of our unit table (fractions), for the claims' effects.
# Δ is signed (test − validation UA): a smaller gap is a larger (less negative) Δ.
PAPER = pd.DataFrame({"system": list(SYSTEMS), "ua": PAPER_TABLE2["UA test"].to_numpy() / 100,
                      "ua_delta": PAPER_TABLE2["UA Δ"].to_numpy() / 100,
                      "mosei_acc": PAPER_TABLE3["mean"].to_numpy() / 100})
GAP = "“with smaller Δ … our embedding has better generalization ability and is more robust to unseen speakers” " \
      "(§6, Table 2); Δ = test − validation UA, signed, per training set (the session's two folds)"


def _gap(other: str) -> Claim:
    return Claim(f"MEnAN's validation→test drop is smaller than {NAMES[other]}'s", GAP, "§6, Table 2", "menan", other,
                 "ua_delta", unit="session", gate="ua")


CLAIMS = [
    Claim("MEnAN beats EC only", "“our model achieves the best classification accuracy in the test case among all "
          "models” (§6, Table 2: test UA 59.91 vs 57.45)", "§6, Table 2", "menan", "ec", headline=True),
    Claim("MEnAN beats DAT", "“Compared with DAT model, our MEnAN model gains better classification accuracy” (§6)",
          "§6, Table 2", "menan", "dat"),
    Claim("MEnAN beats multi-task", "“the best classification accuracy in the test case among all models” (§6)",
          "§6, Table 2", "menan", "multitask"),
    *(_gap(o) for o in ("dat", "ec", "multitask")),
    Claim("MEnAN's embedding carries less speaker identity than EC only's", "“speaker-invariant representation” "
          "(§1, Fig. 2, shown by t-SNE only; measured here by a linear speaker probe)", "Fig. 2", "menan", "ec",
          "speaker_probe", unit="session", lower_is_better=True, gate="ua"),
    Claim("MEnAN's embedding carries less speaker identity than DAT's", "“DAT … the encoder may map a speaker onto "
          "another one; MEnAN makes the speaker classifier maximally uncertain” (§3.2; measured by the speaker probe)",
          "§3.2", "menan", "dat", "speaker_probe", unit="session", lower_is_better=True, gate="ua"),
    Claim("MEnAN transfers better to MOSEI than EC only", "Table 3: mean accuracy 33.24 vs 31.35 on CMU-MOSEI",
          "§6, Table 3", "menan", "ec", "mosei_acc", unit="session", gate="ua"),
    Claim("MEnAN transfers better to MOSEI than DAT", "Table 3: mean accuracy 33.24 vs 32.34 on CMU-MOSEI",
          "§6, Table 3", "menan", "dat", "mosei_acc", unit="session", gate="ua"),
]

# Positive control (issue 34): a speaker–label confound is the cause MEnAN removes; speaker-specific
# expression style is a negative control (per-speaker normalisation would gain from it, invariance not).
CONTROL = controls.Control(
    "li_confound", CLAIMS[0], "up", label="positive control",
    if_holds="When who speaks predicts what is said, an encoder that drops the speaker pays, as the paper argues; "
             "the headline on real IEMOCAP then depends on how strongly its speakers' label mixes differ, which this "
             "page does not measure.",
    if_not="Even with the confound in the data, MEnAN as trained here does not gain over EC only, so this page's "
           "headline verdict cannot tell a method that fails from a corpus without the cause: it says nothing about "
           "real IEMOCAP either way.")
NEGATIVE = controls.Control(
    "li_style", CLAIMS[0], "flat", doses=(0.0, 1.5), label="negative control", small=("iemocap",),
    if_holds="Speaker-specific styles alone give the adversary nothing to remove that misleads the classifier.",
    if_not="The gain moves with speaker-specific style, which the paper's argument does not predict: part of what "
           "MEnAN gains (or loses) here is not the speaker–label confound.")
CONTROL_SYSTEMS = ["ec", "menan"]

DEVIATIONS = [
    ("40 log-Mel filterbank energies, pitch (NCCF and f0, Kaldi [28]) and energy, 40 ms / 10 ms (§5)",
     "the same 43 dimensions: 40 log-Mel, NCCF and F0 of an NCCF tracker (`sertools.features.pitch.raw_pitch`), "
     "log frame energy", "Kaldi is not on PyPI; its tracker picks the lag by a Viterbi search, ours the shortest lag "
     "within 85 % of the best NCCF peak, median-smoothed", "not measured"),
    ("no per-speaker or per-sample normalisation (§5)", "every input dimension standardised with the training "
     "utterances' mean and deviation (one global transform)", "the network needs inputs near unit scale; no statistic "
     "of a test speaker or utterance is used", "not measured"),
    ("cross-entropy (eq. 4)", "class-weighted cross-entropy (`class_weighted`)", "the paper reports UA on "
     "imbalanced classes and does not mention weighting", "not measured"),
    ("polynomial learning-rate decay", "power 0.9 per step", "the paper gives no power", "not measured"),
    ("an unseen validation speaker", "the epoch with the best validation UA is kept", "the paper does not say "
     "how the validation speaker is used", "not measured"),
    ("300 epochs, batch 16, learning rate 10⁻³, 14 s inputs at 10 ms, speed perturbation 0.8-1.2 (§5)",
     "`book`: 6 epochs, batch 64, 3·10⁻³, 3 s inputs, two 10 ms frames averaged per step, no perturbation, two "
     "seeds; `full` restores the paper's", "CPU minutes for the rendered book",
     "batch 64 vs 32 (ten folds, one seed): EC only 60.1 vs 60.4, MEnAN 63.1 vs 61.9 % test UA"),
    ("CMU-MOSEI as an unseen corpus (§6, Table 3)", "a MOSEI-like simulated corpus, the paper's selection rule",
     "no corpus can be downloaded here; `data_root` takes the real one", "not applicable"),
    ("Table 2: mean over ten folds", "the claims test the ten test speakers as units; the speaker probe, the gap and "
     "MOSEI (training-side) have five units, one per training set", "the two folds of a session share their "
     "training speakers", "with five units no exact test reaches α = 0.05: those claims read *too few units*"),
]


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("li2020", namespace, PARAMS, PROFILES)


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
    from ..results import load_model

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


@dataclass
class Results(ChapterResults):
    """A run's results: ``units`` (one row per system × fold × seed, the test speaker's scores:
    ``ua``, ``wa``, ``val_ua``, ``ua_delta``, ``speaker_probe``, ``mosei_acc``), ``arrays``
    (predictions, embeddings, learning curves per unit) and the signal reference."""


def run(P: Params, d: Data, workers: int | None = None, control: bool = False) -> Results:
    """All (system, fold, seed) units, spread over CPU cores, plus the signal reference (not for
    a positive ``control``'s run, which compares two networks and leaves the results table alone)."""
    from ..results import stored_units

    if P.results_from:
        units, arrays = stored_units(P.results_from, "li2020", ("system", "fold", "seed"), P)
        ref = units[units.system == reference.NAME]
        return Results(units[units.system != reference.NAME], arrays, ref)
    inputs(d.corpus, d.utts.index, P)                          # extract (or read) features once, here
    if not control:
        reference.egemaps(d.utts.path)
    jobs = [(P.as_dict(), s, f.name, seed) for seed in P.seeds for f in list(d.folds)[: P.folds] for s in P.systems]
    refs = [(P.as_dict(), f.name) for f in list(d.folds)[: P.folds]]
    return Results(*run_grid(unit_job, jobs, reference_job, refs, d.experiment, workers, control))


def table2(units: pd.DataFrame) -> pd.DataFrame:
    """WA and UA on validation and test and their Δ: mean over folds, then mean ± std over seeds."""
    u = units.assign(val_wa=np.nan) if "val_wa" not in units else units
    per_seed = u.groupby(["system", "seed"])[["val_ua", "ua"]].mean() * 100
    per_seed["ua_delta"] = per_seed.ua - per_seed.val_ua
    g = per_seed.groupby("system")
    return mean_std(g.mean(), g.std(ddof=1))


TABLE2_COLUMNS = {"val_ua": "UA val", "ua": "UA test", "ua_delta": "UA Δ"}


def tables(res: Results) -> dict[str, pd.DataFrame]:
    """The results tables, the paper's beside ours (column level ``paper`` / ``ours``, rows the
    systems that ran): ``table2``, UA (%) on the validation and the test speaker and Δ (with chance
    and the signal reference); ``table3``, accuracy (%) on the MOSEI-like corpus (mean, min, max)."""
    systems = [s for s in SYSTEMS if s in set(res.units.system)]
    cols = list(TABLE2_COLUMNS.values())
    ours = table2(res.units).reindex(systems).rename(columns=TABLE2_COLUMNS)[cols]
    ref_ua = res.reference.ua.mean() if len(res.reference) else np.nan
    ours = pd.concat([ours, frame_rows(ref_ua, CHANCE, "UA test")])
    t2 = pd.concat({"paper": PAPER_TABLE2.reindex(ours.index)[cols], "ours": ours}, axis=1)
    mosei = res.units.groupby("system").mosei_acc.agg(["mean", "min", "max"]) * 100
    t3 = pd.concat({"paper": PAPER_TABLE3.reindex(systems), "ours": mosei.reindex(systems)}, axis=1)
    return {"table2": t2, "table3": t3}


def figure2(arrays: dict, systems: list[str], fold: str, seed: int):
    """t-SNE of the unseen speakers' embeddings (validation + test speaker), by emotion and speaker."""
    import matplotlib.pyplot as plt

    from ..plots import scatter_by, tsne

    if not systems:
        return None
    fig, axes = plt.subplots(len(systems), 2, figsize=(8.4, 3.6 * len(systems)), squeeze=False)
    for row, system in zip(axes, systems):
        a = arrays[(system, fold, seed)]
        emb = np.concatenate([a["val_emb"], a["test_emb"]])
        xy = tsne(emb, seed)
        y = np.concatenate([a["val_y"], a["test_y"]])
        spk = np.concatenate([a["val_spk"], a["test_spk"]])
        scatter_by(xy, [EMOTIONS[i] for i in y], f"{NAMES[system]}: emotion", row[0], EMOTIONS)
        scatter_by(xy, spk, f"{NAMES[system]}: speaker", row[1])
    fig.tight_layout()
    return fig


PROBE = CLAIMS[6]  # MEnAN's embedding carries less speaker identity than EC only's


def gate(units: pd.DataFrame) -> tuple[bool, str] | None:
    """The pre-registered mechanism check: MEnAN's embedding carries less speaker identity than
    EC only's (the linear speaker probe on the training speakers: the paper's Fig. 2 made a
    number), lower in a one-sided exact test over the training sets. None when either did not run."""
    if not {"ec", "menan"} <= set(units.system):
        return None
    return controls.gate(differences(units, PROBE), "EC only's speaker probe − MEnAN's (points)", PROBE.unit)


def mechanism(units: pd.DataFrame) -> dict[str, tuple[bool, str]]:
    """The gate for every claim about what MEnAN gains (the probe claims are the measurement
    itself and are not gated)."""
    check = gate(units)
    return {} if check is None else {c.name: check for c in CLAIMS if c.better == "menan"
                                     and c.metric != "speaker_probe"}


def claims(res: Results, P: Params | None = None):
    """Every claim of the paper on its independent units (test speakers; training sets for the
    speaker probe and MOSEI), with the paper's effects computed from its tables, gated by
    :func:`mechanism`."""
    from ..claims import evaluate

    return evaluate(CLAIMS, res.units, PAPER, chance=CHANCE, engaged=mechanism(res.units))


def control_units(P: Params, knobs: dict, control: controls.Control = CONTROL) -> pd.DataFrame:
    """A control's units at one knob setting: EC only and MEnAN, the first seed, every fold of the
    profile, through :func:`run` (the positive control's default setting is the main run's; the
    negative control re-renders the IEMOCAP-like corpus, at the meter size outside smoke)."""
    controls.simulated(P)
    Q = parameters({**P.as_dict(), "knobs": knobs, "seeds": list(P.seeds[:1]), "systems": CONTROL_SYSTEMS,
                    "meter_corpora": controls.meter_corpora(control, P)})
    d = data(Q)
    return run(Q, d, control=True).units.assign(utterances=len(d.utts))


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Sweep summary: Table 2 per point."""
    cols = [c for c in rows.columns if c.startswith("param_")]
    return rows.groupby(cols + ["system"])[["val_ua", "ua", "speaker_probe", "mosei_acc"]].mean().round(4)
