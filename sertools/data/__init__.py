"""Corpora: one loader per real layout, and the embedded synthetic family in the same layouts.

>>> corpus = load("iemocap", "/data/IEMOCAP_full_release")      # the real release
>>> corpus = embedded("iemocap", size="book")                     # the simulator, same loader
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

from . import acted, iemocap, manifest, voxceleb
from .audio import AudioError, read_audio
from .corpus import EMOTIONS, Corpus, CorpusLayoutError, CountMismatchWarning
from .synth import synthesize

LOADERS: dict[str, Callable[..., Corpus]] = {
    "iemocap": iemocap.load, "crema-d": acted.load_crema_d, "ravdess": acted.load_ravdess,
    "tess": acted.load_tess, "emodb": acted.load_emodb, "savee": acted.load_savee, "emovo": acted.load_emovo,
    "voxceleb": voxceleb.load, "manifest": manifest.load,
}
MANIFEST_CORPORA = ("nnime", "cheavd", "mosei", "epst")


def load(name: str, root: str | os.PathLike, strict: bool = False) -> Corpus:
    """Load corpus ``name`` from ``root`` (real or embedded: the layout is the same).

    ``name`` is one of :data:`LOADERS` or a manifest corpus (:data:`MANIFEST_CORPORA`).
    ``strict=True`` turns a count mismatch with the known release into an error.
    """
    if name in MANIFEST_CORPORA:
        return manifest.load(root, name=name, strict=strict)
    if name not in LOADERS:
        raise ValueError(f"unknown corpus {name!r}; loaders: {', '.join([*LOADERS, *MANIFEST_CORPORA])}")
    return LOADERS[name](Path(root), strict=strict)


def embedded(name: str, size: str = "book", seed: int = 0, progress: bool = True,
             knobs: Mapping[str, float] | None = None) -> Corpus:
    """The embedded synthetic corpus ``name`` (generated on first use, then reused), under the
    mechanism ``knobs`` (see :mod:`sertools.data.synth.knobs`; ``None``: the book's defaults)."""
    from .synth.knobs import validate
    from .synth.selection import select

    knobs = validate(knobs)
    return select(load(name, synthesize(name, size=size, seed=seed, progress=progress, knobs=knobs)), knobs, seed)


def corpus(name: str, data_root: str | os.PathLike | None, size: str, seed: int = 0, strict: bool = False,
           knobs: Mapping[str, float] | None = None) -> Corpus:
    """What a chapter asks for: the real corpus at ``data_root``, else the embedded one (knobs
    act on the simulator only: a real corpus with non-default knobs is an error)."""
    if data_root is None:
        return embedded(name, size, seed, knobs=knobs)
    if knobs:
        raise ValueError(f"mechanism knobs {dict(knobs)} act on the synthetic corpora only; data_root is set")
    return load(name, data_root, strict=strict)


__all__ = ["EMOTIONS", "AudioError", "Corpus", "CorpusLayoutError", "CountMismatchWarning", "LOADERS",
           "corpus", "embedded", "load", "read_audio", "synthesize"]
