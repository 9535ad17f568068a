"""Chapter 9: the teacher's guide, generated from the chapters' sources and the measured times."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from .. import course
from ..config import Params, resolve_parameters

PARAMS: dict = {}
PROFILES = {"smoke": {"seeds": [0]}, "book": {"seeds": [0]}, "full": {"seeds": [0]}}
TITLES = {"00_foundations": "Data, features and protocols", "01_chou2020": "Chou & Lee (2020)",
          "02_li2020": "Li et al. (2020)", "03_parry2022": "Parry et al. (2022)", "04_xi2019": "Xi et al. (2019)",
          "05_fan2020": "Fan et al. (2020)", "06_scoreboard": "The scoreboard"}


def parameters(namespace: Mapping) -> Params:
    return resolve_parameters("teachers", namespace, PARAMS, PROFILES)


def _minutes(seconds: float) -> str:
    if pd.isna(seconds):
        return "not measured yet"
    if seconds < 1:
        return "< 1 s"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def chapter_times() -> pd.DataFrame:
    """The latest recorded wall time of every chapter per profile (``sertools.run`` and ``make test``
    record them), as text: chapter × profile."""
    from ..bench import chapter_timings

    t = chapter_timings()
    t = t[t.chapter.isin(TITLES) & t.profile.isin(["smoke", "book", "full"])]
    out = pd.DataFrame(index=list(TITLES))
    for profile in ("smoke", "book"):
        g = t[t.profile == profile].set_index("chapter")
        out[f"{profile}"] = [_minutes(g.seconds.get(c, float("nan"))) for c in out.index]
        out[f"{profile}: measured"] = [str(g.when.get(c, "–")) for c in out.index]
    out.index = [f"{{doc}}`{c}`" for c in out.index]
    return out.rename_axis("chapter")


def exercise_table(root: Path, chapter: str) -> pd.DataFrame:
    """A chapter's exercises as the guide lists them: reference, kind, trained model needed, the
    solution's measured time per profile, what to look for."""
    cat = course.catalogue(root)
    cat = cat[cat.chapter == chapter]
    return pd.DataFrame({
        "exercise": [f"{{ref}}`{lab}`: {t}" for lab, t in zip(cat.label, cat.title)],
        "kind": list(cat.kind),
        "trained model": ["yes" if x else "no" for x in cat["trained model"]],
        "solution, smoke": [_minutes(s) for s in cat["smoke s"]],
        "solution, book": [_minutes(s) for s in cat["book s"]],
        "look for": list(cat["look for"])}).set_index("exercise")


def session_plan(root: Path, chapter: str) -> pd.DataFrame:
    """A 90-minute session for one chapter: the common shape (:data:`sertools.course.SESSION`),
    with the chapter's exercises and their measured run times in the exercise slot."""
    cat = course.catalogue(root)
    cat = cat[cat.chapter == chapter]
    rows, t = [], 0
    for minutes, what in course.SESSION:
        if what.startswith("Exercises"):
            runs = "; ".join(f"{{ref}}`{lab}` (solution {_minutes(b if pd.notna(b) else s)})"
                             for lab, s, b in zip(cat.label, cat["smoke s"], cat["book s"]))
            what = f"{what} {runs}."
        rows.append({"minutes": f"{t}–{t + minutes}", "activity": what})
        t += minutes
    return pd.DataFrame(rows).set_index("minutes")
