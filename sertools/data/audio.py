"""Audio input through soundfile (no FFmpeg needed), resampled to the working rate.

Every read goes through :func:`read_audio`, so that a corrupt, empty, silent or oddly
sampled file is reported with its path instead of turning into a silent wrong number.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .anomalies import signal_defect

TARGET_SR = 16_000
MIN_SECONDS = 0.05


class AudioError(RuntimeError):
    """An audio file cannot be used; the message names the file and why."""


def read_audio(path: str | Path, sr: int = TARGET_SR, allow_silent: bool = False) -> np.ndarray:
    """Read ``path`` as mono float32 at ``sr`` Hz.

    Multi-channel audio is averaged to mono; any input rate is resampled (polyphase,
    scipy). Raises :class:`AudioError` for unreadable, truncated (a WAV shorter than its header
    says), empty, too short or non-finite files, and (unless ``allow_silent``) for signals that
    are not speech: all zero, constant, below -60 dBFS, or channels that cancel when averaged
    (:func:`sertools.data.anomalies.signal_defect`).
    """
    path = Path(path)
    truncated = wav_truncation(path)
    if truncated:
        raise AudioError(f"{path}: {truncated}")
    try:
        x, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        raise AudioError(f"{path}: cannot be read as audio ({err})") from err
    if x.shape[0] < MIN_SECONDS * file_sr:
        raise AudioError(f"{path}: too short ({x.shape[0]} samples at {file_sr} Hz)")
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: contains NaN or infinite samples")
    if not allow_silent:
        defect = signal_defect(x)
        if defect:
            raise AudioError(f"{path}: {defect}")
    x = x.mean(axis=1)
    if file_sr != sr:
        x = resample(x, file_sr, sr)
    return x.astype(np.float32, copy=False)


def wav_truncation(path: str | Path) -> str | None:
    """For a RIFF/WAVE file whose ``data`` chunk is shorter on disk than its header declares (a copy
    or download cut short: libsndfile then reads what is there without a word), say so; else None."""
    import struct

    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            while pos + 8 <= size:
                fh.seek(pos)
                cid, n = struct.unpack("<4sI", fh.read(8))
                if cid == b"data":
                    present = size - pos - 8
                    if n in (0, 0xFFFFFFFF) or present >= n:  # 0 / -1: a streamed header with no length
                        return None
                    return (f"truncated: its header declares {n} bytes of audio but the file holds {present} "
                            f"({100 * present / n:.0f} %); the copy is incomplete, copy or download it again")
                pos += 8 + n + (n & 1)
    except (OSError, struct.error):
        return None
    return None


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
