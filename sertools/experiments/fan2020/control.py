"""Fan et al. (2020): the verdicts: the mechanism gate, the claims and the positive control."""
from __future__ import annotations

import pandas as pd

from ... import controls
from ...config import Params
from .registration import CHANCE, CLAIMS, PAPER, parameters
from .units import data
from .analysis import Results, run


def gate(units: pd.DataFrame) -> tuple[bool, str] | None:
    """The pre-registered mechanism check: ADARL's domain pathway learns the domain it is meant to
    attend to, i.e. its gender classifier tells the held-out speaker's gender: accuracy − 50 % per
    test speaker (seeds averaged), above 0 in a one-sided exact test. None when ADARL did not run."""
    u = units[units.system == "adarl"]
    if u.empty or "domain_acc" not in u:
        return None
    return controls.gate((u.groupby("speaker").domain_acc.mean() - 0.5) * 100,
                         "ADARL's domain pathway, gender accuracy on the held-out speaker − 50 % (points)", "speaker")


def mechanism(units: pd.DataFrame) -> dict[str, tuple[bool, str]]:
    """The gate for every claim about what ADARL gains."""
    check = gate(units)
    return {} if check is None else {c.name: check for c in CLAIMS if c.better == "adarl"}


def claims(res: Results, P: Params | None = None):
    """Every claim on its independent units: the test speaker (seeds averaged); for the centre
    separations, the held-out session (its two folds merged); gated by :func:`gate`."""
    from ...claims import evaluate

    return evaluate(CLAIMS, res.units, PAPER, chance=CHANCE, engaged=mechanism(res.units))


# Positive control (issue 34): gender-specific expression of emotion is what the domain-aware attention exploits.
CONTROL = controls.Control(
    "fan_gender_style", CLAIMS[0], "up", label="positive control", small=("iemocap",),
    if_holds="When women and men express emotion through different cues, attending to the speaker's gender pays, "
             "as the paper argues; the headline on real IEMOCAP then depends on how differently its actors express "
             "emotion by gender, which this page does not measure.",
    if_not="Even when women and men express emotion through different cues, ADARL does not gain over its backbone "
           "on this budget, so this page's verdicts cannot tell a method that fails from a corpus without the "
           "cause: they say nothing about real IEMOCAP either way.")
CONTROL_SYSTEMS = ["backbone", "adarl"]


def control_units(P: Params, knobs: dict) -> pd.DataFrame:
    """The positive control's units at one knob setting: the backbone and ADARL, the first seed,
    every fold of the profile, through :func:`run`; the knob re-renders the IEMOCAP-like corpus, so
    outside smoke every dose (the default too) runs on its meter-size corpus
    (:func:`sertools.controls.meter_corpora`)."""
    controls.simulated(P)
    Q = parameters({**P.as_dict(), "knobs": knobs, "seeds": list(P.seeds[:1]), "systems": CONTROL_SYSTEMS,
                    "meter_corpora": controls.meter_corpora(CONTROL, P)})
    d = data(Q)
    return run(Q, d, control=True).units.assign(utterances=len(d.utts))
