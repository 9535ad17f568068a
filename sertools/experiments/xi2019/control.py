"""Xi et al. (2019): the verdicts: the mechanism gate, the claims and the positive control."""
from __future__ import annotations

import pandas as pd

from ... import controls
from ...claims import Claim, differences, key
from ...data.synth.knobs import applies
from ...config import Params
from ..common import load_corpus
from .registration import CLAIMS, CLASSES, PAPER, paper_spread, parameters, speaker_claim
from .units import data
from .analysis import Results, run


ABLATION = "Zeroing the pretrained filters costs accuracy"


def gate(units: pd.DataFrame, corpus: str) -> tuple[bool, str] | None:
    """The pre-registered mechanism check, the paper's own ablation: the pretrained filters carry
    something for emotion, i.e. the residual adapter beats the same network with every pretrained
    k × k filter zeroed (adapter only), in a one-sided exact test over the test speakers. None
    when either did not run."""
    ablation = next(c for c in CLAIMS if c.name == ABLATION and c.where["corpus"] == corpus)
    if not {ablation.better, ablation.worse} <= set(units.system[units.corpus == corpus]):
        return None
    return controls.gate(differences(units, ablation), "residual adapter − adapter only, UA (points)", ablation.unit)


def mechanism(units: pd.DataFrame, claims: list[Claim]) -> dict[str, tuple[bool, str]]:
    """The gate for every claim that rests on what the speaker pretraining carries (all but the
    ablation itself, which is the measurement)."""
    out = {}
    for c in claims:
        check = gate(units, c.where["corpus"])
        if check is not None and c.name != ABLATION:
            out[key(c)] = check
    return out


def claims(res: Results, P: Params):
    """Every claim on test-speaker units (seeds averaged within a speaker), per corpus run, gated
    by :func:`gate`."""
    from ...claims import evaluate

    main = res.main
    chance = {n: 1 / len(CLASSES[n]) for n in P.corpora}
    todo = [c for c in CLAIMS if c.where["corpus"] in P.corpora]
    if len(P.pretrain_speakers) > 1 and "iemocap" in P.corpora:
        todo.append(speaker_claim(P.pretrain_speakers[0], P.pretrain_speakers[1]))
    return evaluate(todo, main, PAPER, chance=chance, paper_spread=paper_spread(todo),
                    engaged=mechanism(main, todo))


# Positive control (issue 34): emotion-relevant structure shared between the speaker-pretraining corpus and the
# emotion corpus is what the transfer can carry; with none (xi_shared = 0: the pretraining speakers differ in timbre
# only) the adapters should gain nothing over the plain network.
CONTROL = controls.Control(
    "xi_shared", CLAIMS[0], "up", label="positive control", small=("voxceleb",),
    if_holds="What speaker pretraining learns transfers to emotion when the pretraining speakers differ on the cues "
             "emotion moves, as the paper's argument needs; whether real VoxCeleb speakers give IEMOCAP that much "
             "is not measured here.",
    if_not="Even with more emotion-relevant structure in the pretraining speakers, the residual adapters do not gain "
           "over the plain network on this budget, so this page's verdicts cannot tell a transfer that fails from "
           "a pretraining corpus with nothing to give: they say nothing about real VoxCeleb and IEMOCAP.")


def control_units(P: Params, knobs: dict) -> pd.DataFrame:
    """The positive control's units at one knob setting: the plain ResNet20 and the residual
    adapter (the first pretraining size), the headline's corpus, the first seed, every fold,
    through :func:`run`. A knob that does not touch the emotion corpus cannot change the plain
    network (it never reads the pretraining corpus): its units are then the main setting's. The
    knob re-renders the pretraining corpus: outside smoke, the adapter pretrains on its meter-size
    corpus at every dose (:func:`sertools.controls.meter_corpora`), on as many of its speakers as
    the book's first pretraining size asks, or all of them when it has fewer (40 at the meter
    size against the book's 50)."""
    controls.simulated(P)
    corpus = CONTROL.claim.where["corpus"]
    base = {**P.as_dict(), "seeds": list(P.seeds[:1]), "corpora": [corpus], "pretrain_speakers": P.pretrain_speakers[:1]}
    frames = []
    for system in ("plain", "residual_adapter"):
        setting = knobs if system != "plain" or applies(CONTROL.knob, corpus) else P.knobs
        small = controls.meter_corpora(CONTROL, P) if system != "plain" else []
        Q = parameters({**base, "knobs": setting, "systems": [system], "meter_corpora": small})
        if small:  # the meter-size pretraining corpus has fewer speakers than the book's first size
            available = load_corpus("voxceleb", Q).utterances.speaker.nunique()
            Q = parameters({**Q.as_dict(), "pretrain_speakers": [min(Q.pretrain_speakers[0], available)]})
        d = data(Q)
        frames.append(run(Q, d, control=True).main.assign(utterances=len(d[corpus].utts)))
    return pd.concat(frames, ignore_index=True)
