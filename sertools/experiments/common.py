"""What every chapter does the same way: the chapter protocol, corpora by profile, the run
banner, item building.

**The chapter protocol.** Every paper chapter's module (``chou2020``, ``li2020``, ``parry2022``,
``xi2019``, ``fan2020``, ``scoreboard``) exposes the same names (:data:`PROTOCOL`): ``PARAMS`` and
``PROFILES`` (its parameters, among them ``systems``, the systems to run), ``parameters(namespace)``
→ ``Params``, ``data(P)`` → ``Data``, ``run(P, d, workers=None, control=False)`` → ``Results``,
``claims(res, P)`` → the verdicts, ``tables(res)`` → its results tables by name, ``summary(rows)``
→ a sweep's summary. ``Results`` (:class:`ChapterResults`) holds ``units`` (one row per unit and
test speaker or split, with at least the columns :data:`UNIT_COLUMNS`: ``system``, ``seed`` and
``ua``, the test set's unweighted accuracy as a fraction), ``arrays`` (per unit key) and
``reference`` (the signal reference's rows, the same columns).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .. import data
from ..config import Params
from ..provenance import versions

REAL_SUBFOLDERS = ("iemocap", "crema-d", "ravdess", "tess", "emodb", "savee", "emovo", "voxceleb", "nnime",
                   "cheavd", "mosei", "epst")


# --------------------------------------------------------------------------- the chapter protocol
PROTOCOL = ("PARAMS", "PROFILES", "parameters", "data", "run", "claims", "tables", "summary")
UNIT_COLUMNS = ("system", "seed", "ua")


class ProtocolError(ValueError):
    """A chapter's results do not have the columns every chapter's results have."""


def chapter_of(obj: Any) -> str:
    """The chapter a function or class belongs to: ``li2020`` for ``sertools.experiments.li2020.units.run_unit``."""
    parts = obj.__module__.split(".")
    return parts[2] if parts[:2] == ["sertools", "experiments"] and len(parts) > 2 else parts[-1]


def check_columns(frame: pd.DataFrame, what: str) -> None:
    """Stop when a non-empty results frame lacks a column of :data:`UNIT_COLUMNS`."""
    missing = [c for c in UNIT_COLUMNS if c not in frame]
    if len(frame) and missing:
        raise ProtocolError(f"{what} lacks the column(s) {', '.join(map(repr, missing))}: every chapter's units and "
                            f"reference rows carry {', '.join(UNIT_COLUMNS)} (the chapter protocol, "
                            f"sertools.experiments.common); it has {', '.join(map(str, frame.columns))}")


@dataclass
class ChapterResults:
    """A chapter run's results, the fields every chapter has: ``units`` (one row per unit and
    test speaker or split; columns :data:`UNIT_COLUMNS` and the chapter's own keys and scores),
    ``arrays`` (predictions, embeddings, learning curves per unit key) and ``reference`` (the
    signal reference's rows, empty for a positive control's run). Checked when made."""

    units: pd.DataFrame
    arrays: dict
    reference: pd.DataFrame

    def __post_init__(self) -> None:
        chapter = chapter_of(type(self))
        check_columns(self.units, f"{chapter}: Results.units")
        check_columns(self.reference, f"{chapter}: Results.reference")


def paper_beside_ours(paper: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """A results table: the paper's columns beside ours (top column level ``paper`` / ``ours``),
    rows in ``ours``'s order; a page names the corpora in the header it shows."""
    return pd.concat({"paper": paper.reindex(ours.index), "ours": ours}, axis=1)


_PER_PROCESS: dict = {}


def per_process(key: tuple, factory: Callable[[], Any]) -> Any:
    """``factory()`` computed once per process for ``key`` (corpora, folds and feature sets that
    every unit of a chapter needs: worker processes build them once, not once per unit)."""
    if key not in _PER_PROCESS:
        _PER_PROCESS[key] = factory()
    return _PER_PROCESS[key]


def load_corpus(name: str, P: Params, seed: int = 0) -> data.Corpus:
    """The corpus a chapter asks for: ``<data_root>/<name>`` when ``data_root`` is set (real
    corpora, each in its release layout), else the embedded simulator at the profile's size (a dry
    run: the ``dryrun`` size, full's speakers with few utterances each; a corpus in ``meter_corpora``:
    the small ``meter`` size), under the chapter's mechanism ``knobs``. Loaded once per process;
    callers must not modify it."""
    from ..profiling import phase

    knobs = P.get("knobs") or {}
    with phase("corpus"):
        return per_process(("corpus", name, str(P.data_root), corpus_size(name, P), seed, tuple(knobs.items())),
                           lambda: _load_corpus(name, P, seed))


def corpus_size(name: str, P: Params) -> str:
    """The simulated size of corpus ``name`` under ``P``: ``dryrun`` in a dry run, ``meter`` for a
    corpus in ``meter_corpora`` (a positive control's small corpora), else the profile."""
    if P.dry_run:
        return "dryrun"
    return "meter" if name in (P.get("meter_corpora") or ()) else P.profile


def _load_corpus(name: str, P: Params, seed: int) -> data.Corpus:
    if P.data_root is None:
        return data.embedded(name, size=corpus_size(name, P), seed=seed, knobs=P.get("knobs"))
    if P.get("knobs"):
        from ..config import ParameterError

        raise ParameterError(f"mechanism knobs act on the synthetic corpora only: knobs = {P.knobs} with data_root "
                             f"{P.data_root!r}; leave knobs at None with real corpora")
    root = Path(P.data_root).expanduser() / name
    if not root.exists():
        raise data.CorpusLayoutError(name, root, f"data_root must hold one folder per corpus, named "
                                     f"{', '.join(REAL_SUBFOLDERS)}, each in its release layout",
                                     f"{root} does not exist")
    return data.load(name, root, strict=P.profile == "full")


def folds_to_run(P: Params, folds: Sequence) -> list:
    """The folds a chapter trains: all of them, or in a dry run the first only (its code paths are
    the same for every fold; the CNN chapters' full-width units take a minute each on a CPU)."""
    return list(folds)[:1] if P.dry_run else list(folds)


def exercise_parameters(P: Params, parameters: Callable[[dict], Params], **changes: Any) -> Params:
    """The parameters an exercise's solution runs with: the page's own with ``changes``, at most at
    the ``book`` profile's scale (a ``full`` page runs its solutions in the ``book`` recipe on the
    same data, a dry run in ``smoke``), so that a solution costs seconds in ``smoke`` and at most a
    few CPU minutes anywhere. The page's finished units are reused where the solution asks for them;
    a page rendered ``results_from`` a sweep runs its solutions here (they need trained models)."""
    if P.profile == "full" or P.dry_run:
        base = {"profile": "smoke" if P.dry_run else "book", "data_root": P.data_root, "device": P.device}
    else:
        base = {**P.as_dict(), "results_from": None}
    return parameters({**base, **changes})


def run_banner(P: Params, corpora: Sequence[data.Corpus]) -> str:
    """Markdown for the admonition that says what this page was executed on."""
    lines = [f"**Profile** `{P.profile}` · **config hash** `{P.hash}` · **seeds** {list(P.seeds)}",
             "**Corpora**: " + "; ".join(c.description for c in corpora)]
    if P.dry_run:
        lines.insert(0, "**Dry run**: this profile's folds, models, inputs and batch sizes, one epoch of two batches "
                     "per unit (only the first fold in the chapters whose units take minutes), to check that every code "
                     "path runs. **The numbers on this page mean nothing.**")
    if any(c.synthetic for c in corpora):
        lines.append("Numbers on this page come from the **synthetic simulator**, not from the real corpora; "
                     "the paper's numbers are always shown beside them in a separate column.")
    v = versions()
    lines.append(f"sertools {v['sertools']}, torch {v['torch']}, numpy {v['numpy']}")
    return "\n\n".join(lines)


def counts_table(corpora: Sequence[data.Corpus]) -> pd.DataFrame:
    """Utterances per corpus × emotion (missing label shown as 'none')."""
    frames = [c.utterances.assign(emotion=c.utterances.emotion.fillna("none")) for c in corpora]
    df = pd.concat(frames)
    return pd.crosstab(df.corpus, df.emotion, margins=True, margins_name="total")


# --------------------------------------------------------------------------- units and results
def history_arrays(hist, model: str = "") -> dict[str, np.ndarray]:
    """A :class:`~sertools.train.History` as arrays (``hist/[<model>/]<key>`` per epoch) for a
    unit's store; ``model`` names one of several networks trained in a unit."""
    frame = pd.DataFrame(hist.epochs)
    prefix = f"hist/{model}/" if model else "hist/"
    return {f"{prefix}{k}": frame[k].to_numpy(float) for k in frame.columns}


def history_frame(arrays: dict[tuple, dict[str, np.ndarray]], key_names: Sequence[str]) -> pd.DataFrame:
    """Long table of every unit's learning curves: key columns, ``model`` (for units that train
    several networks), ``epoch`` and the recorded metrics."""
    frames = []
    for key, a in arrays.items():
        per_model: dict[str, dict[str, np.ndarray]] = {}
        for k, v in a.items():
            if k.startswith("hist/"):
                *model, metric = k.split("/")[1:]
                per_model.setdefault("/".join(model), {})[metric] = v
        for model, cols in per_model.items():
            frames.append(pd.DataFrame(cols).assign(**dict(zip(key_names, key)), **({"model": model} if model else {})))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def gather(outputs: Sequence[tuple[list[dict], dict]], keys: Sequence[tuple]) -> tuple[pd.DataFrame, dict]:
    """Rows and arrays of finished units (as :func:`sertools.parallel.map_units` returns them)."""
    rows = pd.DataFrame([r for rs, _ in outputs for r in rs])
    return rows, {k: a for k, (_, a) in zip(keys, outputs)}


def call(func: Callable, *args) -> Any:
    """``func(*args)``: lets one pool run the jobs of several functions (units and references)."""
    return func(*args)


def run_units(unit_job: Callable, jobs: Sequence[tuple], reference_job: Callable | None = None,
              reference_jobs: Sequence[tuple] = (), workers: int | None = None) -> tuple[list, list]:
    """Every unit job, then every signal-reference job, in one pool of worker processes: the short
    reference fits use the cores while the last units train, instead of running alone after them.
    → (the units' outputs, the references' outputs), each in job order."""
    from ..parallel import map_units

    out = map_units(call, [(unit_job, *j) for j in jobs] + [(reference_job, *r) for r in reference_jobs], workers,
                    desc=chapter_of(unit_job))
    return out[:len(jobs)], out[len(jobs):]


def run_grid(unit_job: Callable, jobs: Sequence[tuple], reference_job: Callable, reference_jobs: Sequence[tuple],
             experiment, workers: int | None = None, control: bool = False) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Every unit of a chapter's grid (each job is ``(parameters, *key)``) and the signal reference's
    units, over CPU cores; the chapter's machine-readable table is written. ``control``: a positive
    control's run (:mod:`sertools.controls`): no reference, and the table is left as the chapter's
    main run wrote it (a sweep collects it). → (units, arrays, reference)."""
    outputs, refs = run_units(unit_job, jobs, reference_job, [] if control else reference_jobs, workers)
    units, arrays = gather(outputs, [j[1:] for j in jobs])
    if control:
        return units, arrays, pd.DataFrame()
    ref = pd.DataFrame([r for rows, _ in refs for r in rows])
    experiment.write(pd.concat([units, ref], ignore_index=True))
    return units, arrays, ref


# --------------------------------------------------------------------------- numbers in the prose
def glue_verdicts(prefix: str, verdicts: pd.DataFrame) -> None:
    """Glue a chapter's verdicts for its prose (myst-nb): ``<prefix>_verdicts`` (one sentence per
    claim, as a Markdown list) and the headline claim's ``_head_verdict``, ``_head_ours``,
    ``_head_paper``, ``_head_mde`` (text: "∞" when no test can detect anything), ``_head_tests``,
    ``_head_units`` and ``_head_sentence``."""
    from IPython.display import Markdown
    from myst_nb import glue

    from ..claims import sentence

    glue(f"{prefix}_verdicts", Markdown("\n".join(f"* {sentence(r)}" for _, r in verdicts.iterrows())), display=False)
    head = verdicts[verdicts.headline]
    if len(head):
        h = head.iloc[0]
        glue(f"{prefix}_head_verdict", str(h.verdict), display=False)
        for key, col in (("ours", "ours"), ("paper", "paper effect")):
            glue(f"{prefix}_head_{key}", float(h[col]), display=False)
        mde = float(h.MDE)
        glue(f"{prefix}_head_mde", "∞" if mde == np.inf else "–" if np.isnan(mde) else f"{mde:.2f}", display=False)
        glue(f"{prefix}_head_tests", int(h.tests), display=False)
        glue(f"{prefix}_head_units", int(h.units), display=False)
        glue(f"{prefix}_head_sentence", Markdown(sentence(h)), display=False)


def sensitivity(readings: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The headline claim under each reading of an ambiguous sentence of the paper (reading →
    that run's verdict table), as the compact rows of :func:`sertools.claims.table_view`. Only the
    chapter's own reading is part of its Holm family; the others are a sensitivity analysis."""
    from ..claims import table_view

    rows = {name: table_view(v[v.headline]).iloc[0] for name, v in readings.items() if v.headline.any()}
    return pd.DataFrame(rows).T.rename_axis("reading")


DEVIATION_COLUMNS = ("the paper says", "we do", "why", "measured effect")


def deviations(rows: Sequence[tuple[str, str, str, str]]) -> pd.DataFrame:
    """A chapter's deviations from its paper as the table the page shows: one row per deviation,
    (the paper says, we do, why, measured effect or "not measured")."""
    bad = [r for r in rows if len(r) != len(DEVIATION_COLUMNS) or not all(isinstance(x, str) and x for x in r)]
    if bad:
        raise ValueError(f"a deviation needs {len(DEVIATION_COLUMNS)} non-empty texts {DEVIATION_COLUMNS}: {bad[0]}")
    return pd.DataFrame(list(rows), columns=list(DEVIATION_COLUMNS), index=range(1, len(rows) + 1))


def verdict_table(verdicts: pd.DataFrame, name: str, points: str = "UA points"):
    """A chapter's verdicts as the compact, captioned table its page shows
    (:func:`sertools.claims.table_view`), reachable as ``{numref}`` ``name``."""
    from ..claims import table_view
    from ..literate import table

    return table(table_view(verdicts).set_index("claim"), f"The verdicts: the paper's effect and ours ({points}) "
                 "with the exact interval at its Holm level, units in the claimed direction, the minimum detectable "
                 "effect (MDE) and the verdict word.", name)


def glue_numbers(prefix: str, **values: float) -> None:
    """Glue plain numbers (as Python floats, which myst-nb can format) for the prose."""
    from myst_nb import glue

    for k, v in values.items():
        glue(f"{prefix}_{k}", float(v), display=False)


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A results table for display: numbers with two decimals, missing cells as "–" (tables that
    mix the paper's numbers with our "mean ± std" strings)."""
    return frame.astype(object).map(lambda v: "–" if v is None or (isinstance(v, float) and np.isnan(v))
                                    else f"{v:.2f}" if isinstance(v, float) else v)


def mean_std(mean: pd.DataFrame | pd.Series, std: pd.DataFrame | pd.Series, decimals: int = 2):
    """Cells "mean ± std" with a fixed number of decimals ("60.72 ± 0.90", never "± 0.9")."""
    cell = np.vectorize(lambda m, s: "–" if pd.isna(m) else f"{m:.{decimals}f} ± {0 if pd.isna(s) else s:.{decimals}f}",
                        otypes=[object])
    values = cell(mean.to_numpy(float), std.reindex_like(mean).to_numpy(float))
    return (pd.DataFrame(values, index=mean.index, columns=mean.columns) if isinstance(mean, pd.DataFrame)
            else pd.Series(values, index=mean.index, name=mean.name))


def frame_rows(reference_ua: float, chance: float, column: str) -> pd.DataFrame:
    """The two rows every results table ends with: chance and the signal reference (percent)."""
    from ..reference import NAME

    return pd.DataFrame({column: [f"{100 * chance:.2f}", f"{100 * reference_ua:.2f}"]}, index=["chance", NAME])


def confident_errors(arrays: dict, system: str, utts: pd.DataFrame, classes: Sequence[str], n: int = 3,
                     prefix: str = "test_") -> list[dict]:
    """The ``n`` most confident wrong predictions of ``system`` on held-out utterances (first seed
    of every fold), for listening: utterance id, path, true and predicted class, probability."""
    found = []
    for key, a in arrays.items():
        if key[0] != system or f"{prefix}prob" not in a:
            continue
        prob, y, ids = a[f"{prefix}prob"], a[f"{prefix}y"], a[f"{prefix}utt"]
        pred = prob.argmax(1)
        for i in np.flatnonzero(pred != y):
            found.append({"utt": str(ids[i]), "true": classes[int(y[i])], "pred": classes[int(pred[i])],
                          "p": float(prob[i, pred[i]])})
    best: dict[str, dict] = {}
    for f in sorted(found, key=lambda r: -r["p"]):
        best.setdefault(f["utt"], f)
    out = list(best.values())[:n]
    for r in out:
        r["path"] = utts.path[r["utt"]]
    return out


def explorer(arrays: dict, utts: pd.DataFrame, classes: Sequence[str], systems: Sequence[str],
             names: dict | None = None, prefix: str = "test_"):
    """An ipywidgets explorer: pick a system and a fold to see the confusion matrix of its held-out
    predictions, and listen to the system's most confident errors (over all folds).

    Every view is computed here and the dropdowns select among them through links that run in
    the browser (``jslink`` to a ``Stack``), so the controls work the same in a live notebook and
    in the static page, without a kernel. Each audio player carries its label (caption and
    accessible name; an ``Audio`` widget's tooltip breaks the static embedder, so the players are
    HTML)."""
    import html

    import ipywidgets as widgets

    from ..literate import audio
    from ..metrics import confusion

    names = names or {}
    systems = [s for s in systems if any(k[0] == s and f"{prefix}prob" in a for k, a in arrays.items())]
    folds = sorted({k[1] for k in arrays if k[0] in systems})
    system = widgets.Dropdown(options=[(names.get(s, s), i) for i, s in enumerate(systems)], value=0,
                              description="system")
    fold = widgets.Dropdown(options=[(str(f), i) for i, f in enumerate(folds)], value=0, description="fold")

    def fold_view(s: str, f) -> widgets.HTML:
        chosen = [a for k, a in arrays.items() if k[0] == s and k[1] == f and f"{prefix}prob" in a]
        if not chosen:
            return widgets.HTML("<i>(not run)</i>")
        a = chosen[0]
        cm = confusion(a[f"{prefix}y"], a[f"{prefix}prob"].argmax(1), list(range(len(classes))))
        cm.index, cm.columns = list(classes), list(classes)
        title = html.escape(f"{names.get(s, s)}, fold {f}")
        return widgets.HTML(f"<b>{title}</b>: confusion (%), row = true emotion"
                            + (cm * 100).round(0).astype(int).to_html())

    def errors_view(s: str) -> widgets.VBox:
        children = [widgets.HTML(f"<b>{html.escape(names.get(s, s))}</b>: its most confident errors "
                                 "on held-out speakers")]
        for r in confident_errors({k: a for k, a in arrays.items() if k[0] == s}, s, utts, classes, n=2,
                                  prefix=prefix):
            label = f"{r['utt']}: {r['true']}, predicted {r['pred']} ({r['p']:.0%})"
            children.append(widgets.HTML(audio(r["path"], label)._repr_html_()))  # a labelled player
        return widgets.VBox(children)

    per_fold, per_system = [], []
    for s in systems:
        inner = widgets.Stack([fold_view(s, f) for f in folds], selected_index=0)
        widgets.jslink((fold, "index"), (inner, "selected_index"))
        per_fold.append(inner)
        per_system.append(errors_view(s))
    confusions = widgets.Stack(per_fold, selected_index=0)
    errors = widgets.Stack(per_system, selected_index=0)
    widgets.jslink((system, "index"), (confusions, "selected_index"))
    widgets.jslink((system, "index"), (errors, "selected_index"))
    return widgets.VBox([widgets.HBox([system, fold]), confusions, errors],
                        layout=widgets.Layout(max_width="100%"))
