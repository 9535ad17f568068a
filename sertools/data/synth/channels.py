"""Recording channels: what makes one synthetic corpus sound unlike another.

Each chain is numpy/scipy only and driven by a seeded generator. Parameters follow the
synthetic-corpus study (§5.1): telephone 300–3400 Hz at 8 kHz with 8-bit μ-law and noise at
−40 dB; room with an exponential RIR (RT60 0.3–0.7 s, DRR 0–8 dB) and noise at 15–25 dB SNR;
cheap microphone with a 200 Hz high-pass, a 2–4 kHz resonance, soft clipping and hiss at
10–20 dB SNR.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

CHANNELS = ("studio", "telephone", "room", "lowq_mic")


def apply_channel(x: np.ndarray, sr: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Pass mono float audio through a channel; the output keeps the input length and scale."""
    if kind not in CHANNELS:
        raise ValueError(f"unknown channel {kind!r}; channels: {', '.join(CHANNELS)}")
    x = x.astype(np.float64)
    peak_in = np.abs(x).max() + 1e-9
    if kind == "telephone":
        x = sosfilt(butter(4, [300, 3400], btype="band", fs=sr, output="sos"), x)
        x8 = np.clip(resample_poly(x, 8000, sr) / peak_in, -1, 1)
        mu = 255.0
        y = np.round(np.sign(x8) * np.log1p(mu * np.abs(x8)) / np.log1p(mu) * 127) / 127
        x8 = np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu * peak_in
        x = resample_poly(x8, sr, 8000)[: len(x)]
        x = x + 10 ** (-40 / 20) * rng.standard_normal(len(x)) * np.std(x)
    elif kind == "room":
        rt60 = rng.uniform(0.3, 0.7)
        n = int(rt60 * sr)
        t = np.arange(n) / sr
        tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
        tail[: int(0.002 * sr)] = 0
        tail *= 10 ** (-rng.uniform(0, 8) / 20) / np.sqrt(np.sum(tail**2))
        tail[0] = 1.0
        x = fftconvolve(x, tail)[: len(x)]
        noise = np.cumsum(rng.standard_normal(len(x)))
        noise -= np.convolve(noise, np.ones(400) / 400, "same")
        x = x + noise / (np.std(noise) + 1e-9) * np.std(x) * 10 ** (-rng.uniform(15, 25) / 20)
    elif kind == "lowq_mic":
        x = sosfilt(butter(2, 200, btype="high", fs=sr, output="sos"), x)
        x = x + 0.7 * sosfilt(butter(2, [2000, 4000], btype="band", fs=sr, output="sos"), x)
        x = np.tanh(3 * x / (np.abs(x).max() + 1e-9)) / 3 * peak_in * 3
        x = x + rng.standard_normal(len(x)) * np.std(x) * 10 ** (-rng.uniform(10, 20) / 20)
    peak_out = np.abs(x).max() + 1e-9
    if peak_out > 0.99:
        x = x * (0.99 / peak_out)
    return x.astype(np.float32)
