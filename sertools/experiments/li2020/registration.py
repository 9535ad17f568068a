"""Li et al. (2020): the paper's numbers and what the chapter registers before any run: its parameters and
profiles, the paper's tables, the claims and the deviations."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ... import protocols, reference
from ...claims import Claim
from ...config import Param, Params, resolve_parameters
from ...models.menan import SYSTEMS


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
