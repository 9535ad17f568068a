"""How each chapter chose between the two readings of its paper's input normalisation.

Fan et al. ("z-score normalization" per 3 s sub-segment), Parry et al. ("we normalise utterances
to have zero-mean and unit variance") and Xi et al. (magnitudes into [0, 1] before the μ-law) can
be read as statistics of each utterance (the plain reading) or of the training set (which keeps
the level of the voice). The chapters chose on **inner validation**, never on a test speaker:

* Fan: in each of the ten folds the held-out speaker's session partner is scored while the other
  eight speakers train (the test speaker is neither trained on nor scored);
* Xi: in each of the five folds one training session is scored while the other three train;
* Parry: each split's own validation speakers, at the best epoch.

This script reruns that choice for the baseline **and** the paper's method of each chapter, in
the chapters' `book` profile, and prints validation UA per reading (mean ± standard error over
folds × seeds). It trains from scratch (about 15 min on 2 CPU cores); results are not cached.

    .venv/bin/python benchmarks/normalisation_choice.py [--chapters fan2020 parry2022 xi2019] [--seeds 0 1]
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pandas as pd

from sertools import protocols
from sertools.experiments import fan2020, parry2022, xi2019

READINGS = {"fan2020": ("normalise", ("training", "utterance")), "parry2022": ("normalise", ("training", "utterance")),
            "xi2019": ("scale", ("training", "utterance"))}
PAIRS = {"fan2020": ("backbone", "adarl"), "parry2022": (("baseline", "none"), ("gr", "S")),
         "xi2019": ("plain", "residual_adapter")}


def _inner(fold: protocols.Fold, held: list[str]) -> protocols.Fold:
    """A fold that trains on ``fold.train`` minus ``held`` and scores ``held``: the real test
    speaker is neither trained on nor scored."""
    held_set = set(held)
    return dataclasses.replace(fold, name=f"{fold.name}-inner", train=tuple(k for k in fold.train if k not in held_set),
                               val=(), test=tuple(sorted(held)))


def fan(reading: str, seeds: list[int]) -> list[dict]:
    P = fan2020.parameters({"profile": "book", "normalise": reading})
    d = fan2020.data(P)
    rows = []
    for fold in d.folds:
        partner = [k for k in fold.train if d.utts.session[k] == d.utts.session[fold.test[0]]]
        for system in PAIRS["fan2020"]:
            for seed in seeds:
                (row,), _ = fan2020.run_unit(P, d, _inner(fold, partner), system, seed)
                rows.append({"chapter": "fan2020", "system": system, "fold": fold.name, "seed": seed, "ua": row["ua"]})
    return rows


def xi(reading: str, seeds: list[int]) -> list[dict]:
    P = xi2019.parameters({"profile": "book", "scale": reading})
    d = xi2019.corpus_data(P, "iemocap")
    sessions = sorted(d.utts.session.unique())
    rows = []
    for fold in d.folds:
        test_session = d.utts.session[fold.test[0]]
        held_session = sessions[(sessions.index(test_session) + 1) % len(sessions)]
        held = [k for k in fold.train if d.utts.session[k] == held_session]
        for method in PAIRS["xi2019"]:
            for seed in seeds:
                out, _ = xi2019.run_unit(P, d, method, _inner(fold, held), seed, P.pretrain_speakers[0])
                ua = float(np.mean([r["ua"] for r in out]))
                rows.append({"chapter": "xi2019", "system": method, "fold": fold.name, "seed": seed, "ua": ua})
    return rows


def parry(reading: str, seeds: list[int]) -> list[dict]:
    P = parry2022.parameters({"profile": "book", "normalise": reading, "seeds": seeds, "systems": ["gr"],
                              "attribute_sets": ["S"], "headline_splits": len(seeds)})
    res = parry2022.run(P, parry2022.data(P))
    rows = []
    for key, arrays in res.arrays.items():
        system = f"{key[0]}:{key[1]}"
        if (key[0], key[1]) in PAIRS["parry2022"] and "hist/val_ua" in arrays:
            rows.append({"chapter": "parry2022", "system": system, "fold": f"split {key[-1]}", "seed": key[-1],
                         "ua": float(np.nanmax(arrays["hist/val_ua"]))})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chapters", nargs="+", default=list(READINGS), choices=list(READINGS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    a = ap.parse_args()
    run = {"fan2020": fan, "parry2022": parry, "xi2019": xi}
    rows = []
    for chapter in a.chapters:
        param, readings = READINGS[chapter]
        for reading in readings:
            rows += [{**r, "reading": f"{param}={reading}"} for r in run[chapter](reading, a.seeds)]
    df = pd.DataFrame(rows)
    g = df.groupby(["chapter", "system", "reading"]).ua
    table = pd.DataFrame({"validation UA %": 100 * g.mean(), "± s.e.": 100 * g.sem(), "units": g.size()}).round(2)
    pd.set_option("display.width", 160)
    print("Inner-validation UA per reading (no test speaker trained on or scored)\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
