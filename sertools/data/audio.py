"""Audio input through soundfile (no FFmpeg needed), resampled to the working rate.

Every read goes through :func:`read_audio`, so that a corrupt, empty, silent or oddly
sampled file is reported with its path instead of turning into a silent wrong number.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import soundfile as sf

TARGET_SR = 16_000
MIN_SECONDS = 0.05


class AudioError(RuntimeError):
    """An audio file cannot be used; the message names the file and why."""


def read_audio(path: str | Path, sr: int = TARGET_SR, allow_silent: bool = False) -> np.ndarray:
    """Read ``path`` as mono float32 at ``sr`` Hz.

    Multi-channel audio is averaged to mono; any input rate is resampled (polyphase,
    scipy). Raises :class:`AudioError` for unreadable, empty, too short, non-finite or
    (unless ``allow_silent``) all-zero files.
    """
    path = Path(path)
    try:
        x, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        raise AudioError(f"{path}: cannot be read as audio ({err})") from err
    x = x.mean(axis=1)
    if x.size < MIN_SECONDS * file_sr:
        raise AudioError(f"{path}: too short ({x.size} samples at {file_sr} Hz)")
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: contains NaN or infinite samples")
    if not allow_silent and not np.any(x):
        raise AudioError(f"{path}: all samples are zero (a known defect of some releases; "
                         "see sertools.data.anomalies)")
    if file_sr != sr:
        x = resample(x, file_sr, sr)
    return x.astype(np.float32, copy=False)


def resample(x: np.ndarray, orig_sr: int, new_sr: int) -> np.ndarray:
    """Polyphase resampling with the exact rational ratio (24,414 Hz → 16 kHz included): scipy's
    ``resample_poly`` with its default Kaiser (β = 5) low-pass, designed once per ratio (for
    24,414 → 16,000 Hz it has 244,141 taps, and designing it cost more than filtering a file)."""
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(orig_sr), int(new_sr))
    up, down = int(new_sr) // g, int(orig_sr) // g
    return resample_poly(x, up, down, window=_lowpass(up, down, np.dtype(x.dtype).str)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _lowpass(up: int, down: int, dtype: str) -> np.ndarray:
    """The anti-aliasing filter ``resample_poly(x, up, down)`` designs for itself (same taps, same dtype)."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    h = firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)).astype(dtype)
    h.flags.writeable = False
    return h


def audio_info(path: str | Path) -> tuple[int, int, float]:
    """(sample rate, channels, seconds) from the header, without decoding the file."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        raise AudioError(f"{path}: cannot be read as audio ({err})") from err
    return info.samplerate, info.channels, info.duration


def content_hash(path: str | Path) -> str:
    """BLAKE2b of the file's bytes: the audio's identity in the feature cache."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
