"""Xi et al. (2019): the paper's numbers and what the chapter registers before any run: its parameters and
profiles, the paper's tables, the claims and the deviations."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ... import reference
from ...claims import Claim, key
from ...config import Param, Params, resolve_parameters
from ...models.resnet_adapters import METHODS


IEMOCAP_CLASSES = ["neutral", "angry", "happy", "sad"]
CHEAVD_CLASSES = ["neutral", "angry", "happy", "sad", "worried", "anxious", "surprise", "disgust"]
NAMES = {"plain": "Plain", "feature_extractor": "Feature Extractor", "fine_tuning": "Fine-tuning",
         "residual_adapter": "Res. Adapter", "adapter_only": "Adapter", reference.NAME: reference.NAME}

PARAMS = {
    "corpora": Param(None, "iemocap (improvised, 4 classes, 5 sessions) and/or cheavd (train/val split)",
                     choices=("iemocap", "cheavd"), many=True, selects=True),
    "systems": Param(None, "plain | feature_extractor | fine_tuning | residual_adapter | adapter_only",
                     choices=METHODS, many=True, selects=True, aliases=("methods",)),
    "pretrain_speakers": Param(None, "speakers of the VoxCeleb-like corpus for pretraining (paper: 50); further "
                               "values are run for the residual adapter", many=True, kind=int, low=2,
                               selects=True),
    "epochs": Param(None, "epochs for emotion and speaker training (paper: 30)", kind=int, low=1),
    "width": Param(None, "channels of the first stage (paper: 32)", kind=int, low=1),
    "bins": Param(None, "frequency bins for 0-4 kHz (paper: 400, from a 1600-point FFT)", kind=int, low=1,
                  check=lambda v: None if 400 % v == 0 else "a divisor of 400"),
    "frame_ms": Param(None, "input frame step in ms: 10 ms frames averaged in blocks (paper: 10)", kind=int,
                      low=10, check=lambda v: None if v % 10 == 0 else "a multiple of 10"),
    "class_weighted": Param(True, "weight the emotion loss by inverse class frequency (not in the paper)",
                            choices=(True, False)),
    "scale": Param("training", "magnitudes scaled to [0, 1] before the μ-law by each utterance's maximum "
                   "(utterance) or by the training utterances' maximum (training: keeps the voice's level); the "
                   "paper does not say", choices=("utterance", "training")),
}
PROFILES = {
    "smoke": dict(seeds=[0], corpora=["iemocap"], systems=["plain", "residual_adapter"], pretrain_speakers=[8],
                  epochs=1, width=4, bins=40, frame_ms=80),
    "book": dict(seeds=[0, 1], corpora=["iemocap"], systems=list(METHODS), pretrain_speakers=[50, 120],
                 epochs=6, width=8, bins=40, frame_ms=80),
    "full": dict(seeds=[0, 1, 2, 3, 4], corpora=["iemocap", "cheavd"], systems=list(METHODS),
                 pretrain_speakers=[50, 200, 1000], epochs=30, width=32, bins=400, frame_ms=10),
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
# Table II in the long form of our unit table (fractions): one row per corpus and method.
PAPER = pd.DataFrame([{"corpus": c, "system": m, "ua": PAPER_TABLE2.loc[m, (c, "UA")] / 100}
                      for c in ("iemocap", "cheavd") for m in METHODS])


def _claims(corpus: str, headline: bool) -> list[Claim]:
    w = {"corpus": corpus}
    return [
        Claim("Residual adapters beat the plain ResNet20", "“The result significantly outperforms the baseline "
              "system, especially for IEMOCAP” (§IV-C, Table II)", "§IV-C, Table II", "residual_adapter", "plain",
              where=w, headline=headline),
        Claim("Residual adapters beat fine-tuning", "the proposed method against “the common practice of transfer "
              "learning” (§IV-C, Table II)", "§IV-C, Table II", "residual_adapter", "fine_tuning", where=w),
        Claim("Residual adapters beat the feature extractor", "the proposed method against the frozen speaker "
              "network (§IV-C, Table II)", "§IV-C, Table II", "residual_adapter", "feature_extractor", where=w),
        Claim("Fine-tuning is not better than the plain ResNet20", "“The result is not significantly better than "
              "baseline” (§IV-C); tested as non-superiority with a margin of 5 UA points (the paper's own difference "
              "is +3.83; the adapters' +8.58)", "§IV-C, Table II", "fine_tuning", "plain", where=w,
              kind="non-superiority", margin=5.0),
        Claim("The feature extractor is worse than fine-tuning", "“The performance is worse than the fine-tuning "
              "method” (§IV-C)", "§IV-C, Table II", "fine_tuning", "feature_extractor", where=w),
        Claim("Zeroing the pretrained filters costs accuracy", "“the accuracy significantly drops, which proves the "
              "necessity of domain-agnostic parameters” (§IV-C)", "§IV-C, Table II", "residual_adapter",
              "adapter_only", where=w),
    ]


CLAIMS = _claims("iemocap", True) + _claims("cheavd", False)
MORE_SPEAKERS = "residual_adapter@more"


def speaker_claim(main: int, more: int) -> Claim:
    """§IV-C's sweep, pre-registered as non-superiority (margin 3 UA points) of more pretraining speakers."""
    return Claim("More pretraining speakers do not help", f"“We attempted to increase the number of speakers during "
                 f"residual adapter training, but the performance did not benefit from this” (§IV-C); here {more} vs "
                 f"{main} speakers, non-superiority with a margin of 3 UA points", "§IV-C", MORE_SPEAKERS,
                 "residual_adapter", where={"corpus": "iemocap"}, kind="non-superiority", margin=3.0)


def paper_spread(claims: list[Claim]) -> dict[str, tuple[float, int]]:
    """Table II's standard deviations as the spread of each claim's paper effect: the sd of a
    difference of two independent runs, √(sd_a² + sd_b²), over the paper's five runs ("all
    experiments are run 5 times", §IV-B; the ± may also include the folds)."""
    out = {}
    for c in claims:
        corpus = c.where.get("corpus")
        if c.better in PAPER_STD.index and c.worse in PAPER_STD.index:
            sd = PAPER_STD[(corpus, "UA")]
            out[key(c)] = (float(np.hypot(sd[c.better], sd[c.worse])), 5)
    return out


DEVIATIONS = [
    ("“a μ-law expansion” of each spectrogram; how magnitudes reach [0, 1] is not said", "divided by the largest "
     "magnitude of the training utterances (`scale=\"training\"`; `\"utterance\"` divides each by its own)",
     "chosen on the plain ResNet20 with the test session unseen (one training session validating); per-utterance "
     "scaling drops the level of the voice; `benchmarks/normalisation_choice.py` reruns the choice for the plain "
     "network and the residual adapter", "plain ResNet20, five folds, two seeds: 62.7 ± 2.0 % UA with the training "
     "maximum, 46.7 ± 2.5 % per utterance"),
    ("adapters (eq. 3, Fig. 2)", "parallel 1 × 1 adapters", "the series form is the other reading", "not measured"),
    ("one speaker of the held-out session validates", "no epoch selection: both speakers are tested after the last "
     "epoch", "every speaker is then tested once", "not measured"),
    ("batch size (not stated)", "32", "not stated", "not measured"),
    ("“set all 3×3 convolutional filter weights to 0” (adapter only)", "every k × k filter zeroed, the 7 × 7 stem "
     "included", "read for the whole network", "not measured"),
    ("cross-entropy", "class-weighted cross-entropy (`class_weighted`)", "imbalanced classes", "not measured"),
    ("width 32, 400 bins at 10 ms, 30 epochs, five runs", "`book`: width 8, 40 bins (400 averaged in tens), 80 ms "
     "frames, 6 epochs of the same schedule shape, two runs; 120 vs 50 pretraining speakers; `full` restores the "
     "paper's", "CPU minutes", "not measured"),
    ("IEMOCAP and CHEAVD", "CHEAVD in `full` only", "build time", "CHEAVD alone in `book`: 2.3 min; the plain "
     "ResNet20 38.6 % UA against the reference's 33.0 % and a chance of 12.5 %"),
    ("Table II: mean ± std over five runs (§IV-B)", "the claims test the test speakers as units; the paper's standard "
     "deviations over its five runs give the paper's effect its interval", "the paper reports no per-speaker results",
     "not applicable"),
]


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("xi2019", namespace, PARAMS, PROFILES)


CLASSES = {"iemocap": IEMOCAP_CLASSES, "cheavd": CHEAVD_CLASSES}
