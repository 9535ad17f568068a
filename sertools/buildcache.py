"""Whether an executed chapter is up to date: the key of everything its notebook depends on.

An executed chapter is a function of its MyST source, its parameters, the ``sertools`` code, the
packages that can change a number, the machine (results are bit-identical per machine, not
across CPUs) and its corpora. ``sertools.run`` (the CLI, hence ``make book``) stores this key in
the executed notebook's metadata and executes a chapter again only when the key changed, so a
no-change rebuild re-renders the book without starting a kernel. With ``data_root`` (real
corpora, which can change in place) a chapter always executes; ``--force`` executes anyway.
The performance page and the teacher's guide also depend on the recorded times and benchmarks.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .provenance import cpu_model, stable_hash

KEY = "build_key"


def _corpora_stamp() -> list:
    """The embedded corpora's markers (generator code, size, seed, counts, when rendered).

    Only the corpora a build starts from: knob variants (``…+knob=dose``) and meter-size corpora
    are rendered on demand *during* a build by the chapters' controls, deterministically from the
    generator's code (in the code hash) and their knobs; stamping them would make every chapter
    that ran before they appeared look stale to the next build."""
    from .data.corpus import SYNTHETIC_MARKER
    from .paths import corpora_dir

    return [(p.parent.name, p.read_text()) for p in sorted(corpora_dir().glob(f"*/{SYNTHETIC_MARKER}"))
            if "+" not in p.parent.name and "-meter-" not in p.parent.name]


RECORD_PAGES = ("performance", "teachers")  # the pages that print the build's records


def _measurements_stamp() -> list:
    """What the performance page and the teacher's guide read besides the code: recorded times,
    profiles, solution times, benchmarks, less the rows of these two pages themselves (written
    after they ran: with them, each page would find the other's new row and run again forever)."""
    from .paths import results_dir

    root = results_dir()
    files = [root / "timings.csv", root / "profile.csv", root / "exercises.csv", *sorted((root / "bench").glob("*"))]
    return [(p.name, [line for line in p.read_text(errors="replace").splitlines()
                      if not any(page in line for page in RECORD_PAGES)])
            for p in files if p.is_file()]


def build_key(source: Path, parameters: dict[str, Any]) -> str | None:
    """The key of an executed ``source`` with ``parameters``; ``None``: always execute."""
    from .provenance import versions
    from .results import code_hash

    if parameters.get("data_root") not in (None, "None"):
        return None
    parts = {"source": Path(source).read_text(), "parameters": {k: str(v) for k, v in parameters.items()},
             "code": code_hash(), "versions": versions(), "cpu": cpu_model(), "cpus": os.cpu_count(),
             "gpu": os.path.exists("/dev/nvidia0"), "corpora": _corpora_stamp()}
    if any(page in Path(source).stem for page in RECORD_PAGES):
        parts["measured"] = _measurements_stamp()
    return stable_hash(parts, length=16)


def stored_key(notebook: Path) -> str | None:
    """The key an executed notebook was stored with (None: none, or not a readable notebook)."""
    try:
        meta = json.loads(Path(notebook).read_text()).get("metadata", {})
    except (OSError, ValueError):
        return None
    return meta.get("sertools", {}).get(KEY)


def up_to_date(notebook: Path, key: str | None) -> bool:
    return key is not None and Path(notebook).exists() and stored_key(notebook) == key
