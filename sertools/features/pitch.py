"""A Kaldi-style 3-dimensional pitch feature, the closest substitute for ``compute-and-process-kaldi-pitch-feats``.

torchaudio removed ``compute_kaldi_pitch`` in 2.1, and Kaldi's binaries are not on PyPI.
What this module keeps and what it changes:

* **Raw pitch**: normalised cross-correlation (NCCF) of 25 ms frames every 10 ms, on audio
  low-passed at 1 kHz and resampled to 4 kHz, over lags for 50–400 Hz (Kaldi's defaults), with
  an energy ballast so that silence does not look periodic. Kaldi then picks the lag path with
  a Viterbi search; **we take, per frame, the shortest lag whose NCCF peak is within 85 % of
  the best (against octave errors) and smooth the log-pitch with a 5-frame median filter
  instead** (the main deviation).
* **Post-processing, as in Kaldi's ``ProcessPitch``**: the POV feature
  ``2·((1.0001 − c)^0.15 − 1)``; log-pitch minus its POV-weighted mean over ±75 frames
  (weights from Kaldi's ``NccfToPov``), scaled by 2; and delta log-pitch (window 2) scaled by
  10, without Kaldi's dithering noise. Output columns: ``[pov, normalized_log_pitch, delta_log_pitch]``.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import convolve1d, median_filter
from scipy.signal import butter, resample_poly, sosfiltfilt


def nccf_to_pov(c: np.ndarray) -> np.ndarray:
    """Kaldi's ``NccfToPov``: a probability of voicing from |NCCF|."""
    n = np.clip(np.abs(c), 0, 1)
    r = -5.2 + 5.4 * np.exp(7.5 * (n - 1)) + 4.8 * n - 2.0 * np.exp(-10 * n) + 4.2 * np.exp(20 * (n - 1))
    return 1.0 / (1.0 + np.exp(-r))


def raw_pitch(wave: np.ndarray, sr: int = 16000, frame_ms: float = 25, hop_ms: float = 10,
              fmin: float = 50, fmax: float = 400, ballast: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(NCCF, F0 in Hz) per 10 ms frame."""
    rs = 4000
    x = sosfiltfilt(butter(6, 1000, fs=sr, output="sos"), wave.astype(np.float64))
    x = resample_poly(x, rs, sr)
    frame, hop = int(rs * frame_ms / 1000), int(rs * hop_ms / 1000)
    lo, hi = int(rs / fmax), int(np.ceil(rs / fmin))
    n_frames = max(1, 1 + (len(wave) * rs // sr - frame) // hop)
    x = np.pad(x, (0, n_frames * hop + frame + hi - len(x) + 1))
    idx = np.arange(n_frames)[:, None] * hop
    ref = x[idx + np.arange(frame)]
    e_ref = (ref**2).sum(1)
    lags = np.arange(lo, hi + 1)
    nccf = np.empty((n_frames, len(lags)))
    for j, lag in enumerate(lags):
        seg = x[idx + lag + np.arange(frame)]
        nccf[:, j] = (ref * seg).sum(1) / np.sqrt(e_ref * (seg**2).sum(1) + (ballast * frame) ** 2)
    # Octave errors: prefer the shortest lag that is a local peak within 85 % of the best NCCF.
    peak = np.zeros_like(nccf, dtype=bool)
    peak[:, 1:-1] = (nccf[:, 1:-1] >= nccf[:, :-2]) & (nccf[:, 1:-1] >= nccf[:, 2:])
    good = peak & (nccf >= 0.85 * nccf.max(1, keepdims=True))
    best = np.where(good.any(1), good.argmax(1), nccf.argmax(1))
    # parabolic interpolation of the peak lag
    left = nccf[np.arange(n_frames), np.maximum(best - 1, 0)]
    mid = nccf[np.arange(n_frames), best]
    right = nccf[np.arange(n_frames), np.minimum(best + 1, len(lags) - 1)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / np.where(np.abs(denom) > 1e-9, denom, 1), 0)
    lag = lags[best] + np.clip(shift, -0.5, 0.5)
    return mid, rs / lag


def _fit(out: np.ndarray, n_frames: int | None) -> np.ndarray:
    if n_frames is None:
        return out
    return out[:n_frames] if len(out) >= n_frames else np.pad(out, ((0, n_frames - len(out)), (0, 0)), mode="edge")


def raw_pitch_features(wave: np.ndarray, sr: int = 16000, n_frames: int | None = None) -> np.ndarray:
    """``[T, 2]`` float32: NCCF and F0 (Hz) per 10 ms frame, the two columns Kaldi's
    ``compute-kaldi-pitch-feats`` writes before any post-processing (no normalisation)."""
    c, f0 = raw_pitch(wave, sr)
    f0 = np.exp(median_filter(np.log(f0), size=5, mode="nearest"))
    return _fit(np.stack([c, f0], axis=1).astype(np.float32), n_frames)


def kaldi_style_pitch(wave: np.ndarray, sr: int = 16000, n_frames: int | None = None) -> np.ndarray:
    """``[T, 3]`` float32: POV feature, normalised log-pitch, delta log-pitch (see module docstring)."""
    c, f0 = raw_pitch(wave, sr)
    logp = median_filter(np.log(f0), size=5, mode="nearest")
    pov_feature = 2.0 * ((1.0001 - np.clip(c, -1, 1)) ** 0.15 - 1.0)
    w = nccf_to_pov(c)
    kernel = np.ones(151)
    mean = convolve1d(w * logp, kernel, mode="constant") / np.maximum(convolve1d(w, kernel, mode="constant"), 1e-9)
    norm = 2.0 * (logp - mean)
    padded = np.pad(logp, 2, mode="edge")
    delta = sum(k * (padded[2 + k:len(padded) - 2 + k] - padded[2 - k:len(padded) - 2 - k]) for k in (1, 2)) / 10.0
    return _fit(np.stack([pov_feature, norm, 10.0 * delta], axis=1).astype(np.float32), n_frames)
