"""Chou & Lee (2020): the verdicts: the mechanism gate, the claims and the positive control."""
from __future__ import annotations

import pandas as pd

from ... import controls
from ...claims import Claim, key
from ...config import Params
from .registration import CHANCE, CLAIMS, PAPER, parameters, tasks
from .units import data
from .analysis import Results, run


CO_RATERS = ("Others_H@0", "Others_S@0")  # the paper's models trained on the co-raters' labels alone


def gate(units: pd.DataFrame, corpus: str, task: str) -> tuple[bool, str] | None:
    """The pre-registered mechanism check: the co-raters carry signal about the target rater.
    The paper's own @0 columns (models trained on the co-raters' labels alone, Others_H@0 and
    Others_S@0, averaged) must predict the target's labels above chance: UAR − chance per test
    speaker (target raters, folds and seeds averaged within a speaker), above 0 in a one-sided
    exact test. None when neither ran."""
    u = units[(units.corpus == corpus) & (units.task == task) & units.system.isin(CO_RATERS)]
    if u.empty:
        return None
    per_speaker = (u.groupby("speaker").ua.mean() - CHANCE) * 100
    return controls.gate(per_speaker, "co-rater-only models' UAR − chance on the target's labels (points)", "speaker")


def mechanism(units: pd.DataFrame, claims: list[Claim]) -> dict[str, tuple[bool, str]]:
    """The gate for every claim of a corpus and task (each rests on the co-raters' signal)."""
    out = {}
    for c in claims:
        check = gate(units, c.where["corpus"], c.where["task"])
        if check is not None:
            out[key(c)] = check
    return out


def claims(res: Results, P: Params):
    """The paper's claims per corpus and task, on test-speaker units (target raters, seeds and
    folds averaged within a speaker), with the paper's effects from its Table 1, gated by
    :func:`gate`."""
    from ...claims import evaluate

    todo = [c for c in CLAIMS if c.where["corpus"] in P.corpora and c.where["task"] in tasks(P)]
    return evaluate(todo, res.units, PAPER, chance=CHANCE, engaged=mechanism(res.units, todo))


# Positive control (issue 34): rater-specific cue weighting turns the shared signal the co-raters carry
# about the target rater down, so the fusion's gain should shrink as the raters' styles spread.
CONTROL = controls.Control(
    "chou_rater_angle", CLAIMS[0], "down", label="positive control",
    if_holds="The fusion gains from what the co-raters share with the target rater, as the paper argues, and "
             "gains less when raters perceive differently; on real IEMOCAP the headline then depends on how alike "
             "its raters' perceptions are, which this page does not measure.",
    if_not="The fusion's gain does not follow how much the co-raters share with the target, so this page cannot "
           "attribute its headline to the co-rater mechanism: it says nothing about real IEMOCAP's raters.")


def control_units(P: Params, knobs: dict) -> pd.DataFrame:
    """The positive control's units at one knob setting: every system of Table 1 (one unit trains
    them together), the headline's corpus and task, the most active target rater, the first seed,
    every fold, through :func:`run` (the default setting's units are the main run's)."""
    controls.simulated(P)
    c = CONTROL.claim
    Q = parameters({**P.as_dict(), "knobs": knobs, "seeds": list(P.seeds[:1]), "corpora": [c.where["corpus"]],
                    "task": c.where["task"], "target_raters": 1})
    d = data(Q)
    return run(Q, d, control=True).units.assign(utterances=len(d.corpora[c.where["corpus"]].utterances))
