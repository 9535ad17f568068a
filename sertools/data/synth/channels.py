"""Recording channels: what makes one synthetic corpus sound unlike another.

Each chain is numpy/scipy only and driven by a seeded generator. Parameters follow the
synthetic-corpus study (§5.1): telephone 300–3400 Hz at 8 kHz with 8-bit μ-law and noise at
−40 dB; room with an exponential RIR (RT60 0.3–0.7 s, DRR 0–8 dB) and noise at 15–25 dB SNR;
cheap microphone with a 200 Hz high-pass, a 2–4 kHz resonance, soft clipping and hiss at
10–20 dB SNR.

``severity`` (knob ``parry_channel``) scales how far a channel moves the signal: 1 is the chain
above; between 0 and 1 the output blends the clean and the channel's signal (0: clean); above 1
the noise, resonance and clipping drive grow × s, the telephone band narrows to
[300·√s, 3400/√s] Hz and the room's reverberation time grows × √s. Every chain is invariant to
the input's scale (noise relative to the signal, clipping relative to its peak), so a recording
gain applied before the channel is the same as one applied after it, but for the final
protection against clipping.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

CHANNELS = ("studio", "telephone", "room", "lowq_mic")


def apply_channel(x: np.ndarray, sr: int, kind: str, rng: np.random.Generator, severity: float = 1.0) -> np.ndarray:
    """Pass mono float audio through a channel at ``severity``; the output keeps the input length
    and scale (peaks above 0.99 are scaled down to 0.99)."""
    if kind not in CHANNELS:
        raise ValueError(f"unknown channel {kind!r}; channels: {', '.join(CHANNELS)}")
    if severity < 0:
        raise ValueError(f"channel severity must be ≥ 0, got {severity}")
    clean = x.astype(np.float64)
    y = _chain(clean, sr, kind, rng, max(severity, 1.0))
    if severity < 1:
        y = severity * y + (1 - severity) * clean
    peak_out = np.abs(y).max() + 1e-9
    if peak_out > 0.99:
        y = y * (0.99 / peak_out)
    return y.astype(np.float32)


def _chain(x: np.ndarray, sr: int, kind: str, rng: np.random.Generator, s: float) -> np.ndarray:
    """The channel's chain at severity ``s`` ≥ 1 (1: the study's parameters)."""
    peak_in = np.abs(x).max() + 1e-9
    if kind == "telephone":
        band = [300, 3400] if s == 1 else [300 * np.sqrt(s), 3400 / np.sqrt(s)]
        x = sosfilt(butter(4, band, btype="band", fs=sr, output="sos"), x)
        x8 = np.clip(resample_poly(x, 8000, sr) / peak_in, -1, 1)
        mu = 255.0
        y = np.round(np.sign(x8) * np.log1p(mu * np.abs(x8)) / np.log1p(mu) * 127) / 127
        x8 = np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu * peak_in
        x = resample_poly(x8, sr, 8000)[: len(x)]
        x = x + s * 10 ** (-40 / 20) * rng.standard_normal(len(x)) * np.std(x)
    elif kind == "room":
        rt60 = rng.uniform(0.3, 0.7) * np.sqrt(s)
        n = int(rt60 * sr)
        t = np.arange(n) / sr
        tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
        tail[: int(0.002 * sr)] = 0
        tail *= 10 ** (-rng.uniform(0, 8) / 20) / np.sqrt(np.sum(tail**2))
        tail[0] = 1.0
        x = fftconvolve(x, tail)[: len(x)]
        noise = np.cumsum(rng.standard_normal(len(x)))
        noise -= np.convolve(noise, np.ones(400) / 400, "same")
        x = x + s * noise / (np.std(noise) + 1e-9) * np.std(x) * 10 ** (-rng.uniform(15, 25) / 20)
    elif kind == "lowq_mic":
        x = sosfilt(butter(2, 200, btype="high", fs=sr, output="sos"), x)
        x = x + 0.7 * s * sosfilt(butter(2, [2000, 4000], btype="band", fs=sr, output="sos"), x)
        x = np.tanh(3 * s * x / (np.abs(x).max() + 1e-9)) / 3 * peak_in * 3
        x = x + s * rng.standard_normal(len(x)) * np.std(x) * 10 ** (-rng.uniform(10, 20) / 20)
    return x
