"""The course around the chapters: exercises, prerequisites, session plans and measured times.

What a teacher plans from is declared here once (an exercise's kind and what to look for in a
student's answer; a chapter's prerequisites and the shape of its 90-minute session) and joined
with what the chapters' sources say (an exercise's title and label) and with what the machine
measured (each chapter's and each solution's run time per profile). The teacher's guide
(``notebooks/08_teachers.md``) is executed last in the build and prints these tables; no time in
it is typed.

Times are recorded by :func:`record_solutions` from every executed chapter (papermill's cell
durations in ``sertools.run``; nbval's cell times in ``make test``) into
``<results>/exercises.csv``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from .paths import file_lock, results_dir

KINDS = {
    "predict, then run": "the student writes a prediction before running the solution",
    "change a parameter": "one parameter changed, the chapter's code reused",
    "inside a trained model": "a trained unit reloaded from the result store and looked into",
    "read the results": "an answer from the page's own tables and units, no training",
    "change the code": "a model or a pipeline edited",
    "units and power": "how many independent units a claim needs",
}


@dataclass(frozen=True)
class Exercise:
    kind: str
    look_for: str
    trained_model: bool = False


EXERCISES: dict[str, Exercise] = {
    # foundations
    "ex-found-prefix": Exercise("read the results", "About half of each held-out speaker's utterances sit in "
                                "training when speakers are keyed on the dialog prefix; the fold check refuses it."),
    "ex-found-znorm": Exercise("predict, then run", "Per-speaker normalisation raises UA across unseen speakers "
                               "because speaker traits shift every functional; it uses the test speaker's own "
                               "statistics, a form of adaptation the scoreboard forbids."),
    "ex-found-wa": Exercise("read the results", "WA rewards the majority class: a classifier that always answers "
                            "the largest class scores its share as WA and 1/C as UA."),
    # Chou & Lee
    "ex-chou-soft": Exercise("read the results", "Whether the co-raters' distribution alone (no target labels) "
                             "comes near the target model trained on half of its labels, speaker by speaker."),
    "ex-chou-bias": Exercise("predict, then run", "Larger personal biases move the target away from the co-raters: "
                             "the label-level distance (Table 3's RMSE) grows before any training."),
    "ex-chou-units": Exercise("units and power", "Target raters, folds and seeds are averaged within a test "
                              "speaker; counting them as units would make the test look stronger than it is."),
    "ex-chou-control": Exercise("units and power", "The per-speaker slopes reproduce the page's trend test; the "
                                "strongest dose's gain and spread give the speakers it needs."),
    # Li et al.
    "ex-li-lambda": Exercise("change a parameter", "The speaker probe falls as λ weighs the entropy term more; "
                             "test UA stays or falls once emotion information goes too."),
    "ex-li-dat": Exercise("inside a trained model", "MEnAN's SC is near uniform (entropy near 1); DAT's stays peaked "
                          "and gives utterances confidently to wrong speakers.", trained_model=True),
    "ex-li-probe": Exercise("read the results", "EC only carries the speakers without being asked to; an adversary "
                            "that leaves the probe as high has not engaged."),
    "ex-li-control": Exercise("units and power", "One slope per unit reproduces the trend test; when the units the "
                              "largest gain needs exceed the corpus's, 'not shown' is about power."),
    # Parry et al.
    "ex-parry-alpha": Exercise("change a parameter", "Whether GR's out-of-domain gain depends on the ramp: a "
                               "constant α from the first step pushes the encoder before it has learned emotion."),
    "ex-parry-units": Exercise("units and power", "TESS's two speakers cannot be units; the number of splits "
                               "needed grows with (sd / effect)²."),
    "ex-parry-corpus": Exercise("read the results", "MTL with the corpus attribute should cluster the embedding by "
                                "corpus more than GR does; the corpus probe measures it."),
    "ex-parry-control": Exercise("units and power", "One slope per split reproduces the trend test; how many splits "
                                 "the largest gain would need."),
    # Xi et al.
    "ex-xi-frozen-bn": Exercise("inside a trained model", "Freezing the batch norms leaves only the 1×1 adapters "
                                "and the classifier: far fewer parameters, usually a few UA points lost.",
                                trained_model=True),
    "ex-xi-speakers": Exercise("change a parameter", "Whether the adapter keeps improving with more pretraining "
                               "speakers or stalls, as the paper reports for its small network."),
    "ex-xi-methods": Exercise("read the results", "Trainable parameters against UA: the adapter trains a fraction "
                              "of fine-tuning's parameters; whether it matches it is the chapter's claim."),
    "ex-xi-control": Exercise("units and power", "The per-speaker slopes reproduce the trend test; the units the "
                              "largest gain needs against the speakers the corpus has."),
    # Fan et al.
    "ex-fan-gamma": Exercise("change a parameter", "Without γ1 the domain pathway gets no gender supervision: "
                             "compare ADARL's UA with and without it on the same folds."),
    "ex-fan-weights": Exercise("inside a trained model", "The frequency weights differ between female and male "
                               "utterances where their pitch and formants differ.", trained_model=True),
    "ex-fan-recall": Exercise("read the results", "Which emotion's recall ADARL gains over the backbone (the "
                              "paper: happy); one class among four is a description, not a test."),
    "ex-fan-control": Exercise("units and power", "One slope per unit reproduces the trend test; the units the "
                               "largest gain needs."),
    # scoreboard
    "ex-sb-features": Exercise("change a parameter", "How much of a model's rank comes from its input features: "
                               "the same models on one shared input (`inputs=\"log-mel\"`)."),
    "ex-sb-power": Exercise("units and power", "How many test speakers the observed spread would need to tell the "
                            "best model from the second best."),
    "ex-sb-reference": Exercise("read the results", "Which models clear the signal reference speaker by speaker; "
                                "a model below it has not learned what the corpus offers."),
}

PREREQUISITES: dict[str, list[str]] = {
    "00_foundations": ["Python and pandas", "what a classifier's accuracy and recall are", "PyTorch tensors"],
    "01_chou2020": ["chapter 1 (soft and hard labels, folds, the trainer)", "LSTMs and attention pooling",
                    "cross-entropy against a distribution"],
    "02_li2020": ["chapter 1 (folds, UA, the signal reference, claims)", "PyTorch modules and optimisers",
                  "entropy and cross-entropy"],
    "03_parry2022": ["chapter 1 (splits, UA)", "chapter 3 (gradient reversal)", "multi-task learning"],
    "04_xi2019": ["chapter 1", "residual networks and batch normalisation", "transfer learning"],
    "05_fan2020": ["chapter 1", "convolutional networks", "attention as re-weighting"],
    "06_scoreboard": ["chapters 1-6", "the claim protocol of chapter 1 (Holm, MDE)"],
}

SESSION = [  # minutes, activity: the shape of one 90-minute session (the exercises' own times are measured)
    (10, "Open with the chapter's objectives and the paper's question; read the claims table together."),
    (15, "Data, features and the model: read the shown model code and its diagram; run the chapter in "
         "`smoke` live."),
    (15, "Results and verdicts: paper beside ours, the signal reference, what the verdict words say."),
    (40, "Exercises in pairs (below: what to look for, and the solution's run time)."),
    (10, "Takeaways and what the next chapter changes."),
]


def exercises_in(source: Path) -> list[dict]:
    """The exercises of a chapter source, in order: label and title."""
    text = Path(source).read_text()
    found = []
    for m in re.finditer(r"^(`{3,}|:{3,})\{exercise\}([^\n]*)\n(.*?)^\1\s*$", text, re.M | re.S):
        label = re.search(r"^:label:\s*(\S+)", m.group(3), re.M)
        if label:
            found.append({"label": label.group(1), "title": m.group(2).strip() or label.group(1)})
    return found


def solution_cells(nb) -> Iterable[tuple[str, object]]:
    """(exercise label, code cell) for every code cell inside a ``{solution-start}`` …
    ``{solution-end}`` pair of a notebook."""
    label = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"\{solution-(start|end)\}\s*(\S*)", cell.source):
                label = m.group(2) if m.group(1) == "start" else None
        elif label:
            yield label, cell


def solution_seconds(nb, durations: dict[int, float] | None = None) -> dict[str, float]:
    """Seconds each exercise's solution cells took in an executed notebook: papermill's cell
    durations, or ``durations`` (cell index → seconds) where another executor timed them."""
    index = {id(c): i for i, c in enumerate(nb.cells)}
    out: dict[str, float] = {}
    for label, cell in solution_cells(nb):
        if durations is not None:
            s = durations.get(index[id(cell)], 0.0)
        else:
            s = float(cell.metadata.get("papermill", {}).get("duration") or 0.0)
        out[label] = out.get(label, 0.0) + s
    return out


def record_solutions(chapter: str, profile: str, seconds: dict[str, float]) -> None:
    """Append one executed chapter's solution times to ``<results>/exercises.csv``."""
    from .provenance import git_sha

    if not seconds:
        return
    path = results_dir() / "exercises.csv"
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    rows = pd.DataFrame([{"chapter": chapter, "profile": profile, "exercise": k, "seconds": round(v, 1),
                          "when": when, "git_sha": git_sha()} for k, v in seconds.items()])
    with file_lock(path.with_suffix(".lock")):
        rows.to_csv(path, mode="a", header=not path.exists(), index=False)


def solution_times() -> pd.DataFrame:
    """The latest recorded time of every solution per profile: exercise × profile, seconds."""
    path = results_dir() / "exercises.csv"
    if not path.exists():
        return pd.DataFrame()
    t = pd.read_csv(path).sort_values("when").groupby(["exercise", "profile"]).tail(1)
    return t.pivot(index="exercise", columns="profile", values="seconds")


def catalogue(root: Path) -> pd.DataFrame:
    """Every exercise of the book: chapter, label, title, kind, whether it needs a trained model,
    what to look for, and its solution's latest measured time per profile."""
    rows = []
    for source in sorted((root / "notebooks").glob("*.md")):
        for ex in exercises_in(source):
            meta = EXERCISES.get(ex["label"])
            if meta is None:
                raise KeyError(f"{source.name}: exercise {ex['label']!r} has no entry in sertools.course.EXERCISES "
                               f"(its kind and what to look for)")
            rows.append({"chapter": source.stem, **ex, "kind": meta.kind, "trained model": meta.trained_model,
                         "look for": meta.look_for})
    out = pd.DataFrame(rows)
    times = solution_times()
    for profile in ("smoke", "book"):
        col = times[profile] if profile in times else pd.Series(dtype=float)
        out[f"{profile} s"] = out.label.map(col)
    return out
