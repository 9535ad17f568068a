"""What every chapter does the same way: corpora by profile, the run banner, item building."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from .. import data
from ..config import Params
from ..provenance import versions

REAL_SUBFOLDERS = ("iemocap", "crema-d", "ravdess", "tess", "emodb", "savee", "emovo", "voxceleb", "nnime",
                   "cheavd", "mosei", "epst")


_PER_PROCESS: dict = {}


def per_process(key: tuple, factory: Callable[[], Any]) -> Any:
    """``factory()`` computed once per process for ``key`` (corpora, folds and feature sets that
    every unit of a chapter needs: worker processes build them once, not once per unit)."""
    if key not in _PER_PROCESS:
        _PER_PROCESS[key] = factory()
    return _PER_PROCESS[key]


def load_corpus(name: str, P: Params, seed: int = 0) -> data.Corpus:
    """The corpus a chapter asks for: ``<data_root>/<name>`` when ``data_root`` is set (real
    corpora, each in its release layout), else the embedded simulator at the profile's size.
    Loaded once per process; callers must not modify it."""
    return per_process(("corpus", name, str(P.data_root), P.profile, seed), lambda: _load_corpus(name, P, seed))


def _load_corpus(name: str, P: Params, seed: int) -> data.Corpus:
    if P.data_root is None:
        return data.embedded(name, size=P.profile, seed=seed)
    root = Path(P.data_root).expanduser() / name
    if not root.exists():
        raise data.CorpusLayoutError(name, root, f"data_root must hold one folder per corpus, named "
                                     f"{', '.join(REAL_SUBFOLDERS)}, each in its release layout",
                                     f"{root} does not exist")
    return data.load(name, root, strict=P.profile == "full")


def run_banner(P: Params, corpora: Sequence[data.Corpus]) -> str:
    """Markdown for the admonition that says what this page was executed on."""
    lines = [f"**Profile** `{P.profile}` · **config hash** `{P.hash}` · **seeds** {list(P.seeds)}",
             "**Corpora**: " + "; ".join(c.description for c in corpora)]
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
