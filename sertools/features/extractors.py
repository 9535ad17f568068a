"""Feature extractors: frozen dataclasses whose fields (plus versions) are their cache key.

Spectral extractors are computed with torchaudio on padded batches, on CUDA when asked and
present; openSMILE extractors (:mod:`sertools.features.smile`) run on the CPU in processes.
Every extractor returns a float array shaped ``[frames, ...]`` per utterance.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import ClassVar

import numpy as np

from ..provenance import stable_hash, versions


@dataclass(frozen=True)
class Extractor:
    """Base: ``speed`` ≠ 1 applies Kaldi-style speed perturbation (resampling) before extraction."""

    sample_rate: int = 16000
    speed: float = 1.0

    name: ClassVar[str] = "extractor"
    version: ClassVar[str] = "1"
    batched: ClassVar[bool] = False
    libraries: ClassVar[tuple[str, ...]] = ("numpy",)
    helpers: ClassVar[tuple[str, ...]] = ()  # other modules whose code the features depend on

    def describe(self) -> dict:
        v = versions()
        return {"name": self.name, "version": self.version, **asdict(self),
                "libraries": {k: v.get(k, "?") for k in self.libraries}, "code": self.code_hash()}

    def code_hash(self) -> str:
        """Hash of the source of the extractor's module, the audio reader and its ``helpers``:
        editing the code that computes the features changes the cache key."""
        return _source_hash(type(self).__module__, "sertools.data.audio", *self.helpers)

    def key(self) -> str:
        return stable_hash(self.describe())

    def perturb(self, wave: np.ndarray) -> np.ndarray:
        if self.speed == 1.0:
            return wave
        from scipy.signal import resample_poly

        r = Fraction(self.speed).limit_denominator(100)  # output = input / speed (tempo and pitch change)
        return resample_poly(wave, r.denominator, r.numerator).astype(np.float32)

    def compute(self, wave: np.ndarray) -> np.ndarray:
        return self.compute_batch([wave], "cpu")[0]

    def compute_batch(self, waves: list[np.ndarray], device: str) -> list[np.ndarray]:
        return [self.compute(w) for w in waves]


@functools.lru_cache(maxsize=None)
def _source_hash(*modules: str) -> str:
    import importlib
    import inspect

    return stable_hash([inspect.getsource(importlib.import_module(m)) for m in modules])


def _padded(waves: list[np.ndarray], min_len: int, device: str, tail: int = 0):
    """The waves as one zero-padded ``[B, samples]`` tensor and their lengths. ``tail`` more zeros
    after the longest: a centred STFT reflects the tensor's end, so with ``tail`` ≥ n_fft / 2
    every wave's last frames see zeros, alone or beside a longer wave (features must not depend
    on what else was in the batch: they are cached per file)."""
    import torch

    lens = [max(len(w), min_len) for w in waves]
    batch = torch.zeros(len(waves), max(lens) + tail, device=device)
    for i, w in enumerate(waves):
        batch[i, : len(w)] = torch.from_numpy(np.asarray(w, np.float32)).to(device)
    return batch, lens


@dataclass(frozen=True)
class LogMel(Extractor):
    """Log Mel filterbank energies (Hamming window, power spectrum, floor 1e-6), optionally
    with pitch features appended (:mod:`sertools.features.pitch`): ``pitch=True`` (or
    ``"kaldi"``) the 3 post-processed Kaldi-style features, ``"raw"`` the 2 raw ones (NCCF, F0);
    then, with ``energy``, the log energy of each frame's samples (Kaldi's raw log energy)."""

    n_mels: int = 40
    win_ms: float = 25.0
    hop_ms: float = 10.0
    pitch: bool | str = False
    energy: bool = False

    name: ClassVar[str] = "logmel"
    batched: ClassVar[bool] = True
    libraries: ClassVar[tuple[str, ...]] = ("torch", "torchaudio", "scipy")
    helpers: ClassVar[tuple[str, ...]] = ("sertools.features.pitch",)

    def compute_batch(self, waves: list[np.ndarray], device: str) -> list[np.ndarray]:
        import torch
        import torchaudio

        waves = [self.perturb(w) for w in waves]
        win = int(self.sample_rate * self.win_ms / 1000)
        hop = int(self.sample_rate * self.hop_ms / 1000)
        n_fft = 1 << (win - 1).bit_length()
        mel = torchaudio.transforms.MelSpectrogram(self.sample_rate, n_fft=n_fft, win_length=win, hop_length=hop,
                                                   n_mels=self.n_mels, window_fn=torch.hamming_window, center=False,
                                                   power=2.0).to(device)
        batch, lens = _padded(waves, win, device)
        batch = torch.nn.functional.pad(batch, (0, n_fft - win))  # frames of `win` samples, FFT of n_fft
        with torch.no_grad():
            feats = torch.log(mel(batch) + 1e-6).transpose(1, 2).cpu().numpy()
        out = []
        for w, f, n in zip(waves, feats, lens):
            frames = 1 + (n - win) // hop
            f = f[:frames]
            if self.pitch:
                from .pitch import kaldi_style_pitch, raw_pitch_features

                track = raw_pitch_features if self.pitch == "raw" else kaldi_style_pitch
                f = np.concatenate([f, track(w, self.sample_rate, frames)], axis=1)
            if self.energy:
                idx = np.arange(frames)[:, None] * hop + np.arange(win)
                f = np.concatenate([f, np.log(np.maximum((w[idx].astype(np.float64) ** 2).sum(1), 1e-10))[:, None]],
                                   axis=1)
            out.append(f.astype(np.float32))
        return out


def _stft_mag(batch, win: int, hop: int, n_fft: int, n_bins: int, out_bins: int | None = None):
    """|STFT| of the first ``n_bins`` bins (B x F x T); ``out_bins`` averages adjacent bins."""
    import torch

    spec = torch.stft(batch, n_fft=n_fft, hop_length=hop, win_length=win, center=True,
                      window=torch.hamming_window(win, device=batch.device), return_complex=True)
    mag = spec.abs()[:, :n_bins, :]
    if out_bins and out_bins != n_bins:
        if n_bins % out_bins:
            raise ValueError(f"{n_bins} bins cannot be averaged into {out_bins}")
        mag = mag.reshape(mag.shape[0], out_bins, n_bins // out_bins, mag.shape[2]).mean(2)
    return mag


def _pool_time(x, pool: int):
    """Average blocks of ``pool`` frames along the last axis (the last block padded by repetition)."""
    import torch

    if pool <= 1:
        return x
    pad = (-x.shape[-1]) % pool
    if pad:
        x = torch.cat([x, x[..., -1:].expand(*x.shape[:-1], pad)], dim=-1)
    return x.reshape(*x.shape[:-1], -1, pool).mean(-1)


@dataclass(frozen=True)
class _Spectral(Extractor):
    """Shared by the STFT front-ends: 0–``fmax`` of an ``n_fft``-point FFT every ``hop_ms``;
    ``out_bins`` averages adjacent frequency bins and ``time_pool`` adjacent frames (reduced
    inputs of the same audio: every sample still inside a frame)."""

    hop_ms: float = 10.0
    n_fft: int = 1600
    fmax: float = 4000.0
    out_bins: int | None = None
    time_pool: int = 1

    batched: ClassVar[bool] = True
    libraries: ClassVar[tuple[str, ...]] = ("torch",)

    @property
    def n_bins(self) -> int:
        return int(round(self.fmax * self.n_fft / self.sample_rate))


@dataclass(frozen=True)
class MuLawSpectrogram(_Spectral):
    """Xi et al.: magnitude spectrogram (40 ms Hamming, 10 ms hop, 1600-point FFT), 0–4 kHz,
    scaled per utterance to [0, 1] and μ-law compressed: ``ln(1 + μx) / ln(1 + μ)``. With
    ``scale="none"`` the magnitudes are returned as they are (scale them with a corpus-level
    maximum and apply :func:`mu_law` yourself)."""

    win_ms: float = 40.0
    mu: float = 255.0
    scale: str = "utterance"

    name: ClassVar[str] = "mulaw_spec"

    def __post_init__(self) -> None:
        if self.scale not in ("utterance", "none"):
            raise ValueError(f"scale must be 'utterance' or 'none', not {self.scale!r}")

    def compute_batch(self, waves: list[np.ndarray], device: str) -> list[np.ndarray]:
        import torch

        waves = [self.perturb(w) for w in waves]
        win, hop = int(self.sample_rate * self.win_ms / 1000), int(self.sample_rate * self.hop_ms / 1000)
        batch, lens = _padded(waves, win, device, tail=self.n_fft // 2)
        with torch.no_grad():
            mag = _stft_mag(batch, win, hop, self.n_fft, self.n_bins, self.out_bins)
        out = []
        for m, n in zip(mag, lens):
            m = _pool_time(m[:, : 1 + n // hop], self.time_pool).T  # T x F
            if self.scale == "none":
                out.append(m.cpu().numpy().astype(np.float16))
            else:
                out.append(mu_law((m / m.max().clamp_min(1e-12)).cpu().numpy(), self.mu).astype(np.float16))
        return out


def mu_law(x: np.ndarray, mu: float = 255.0) -> np.ndarray:
    """``ln(1 + μx) / ln(1 + μ)`` of ``x`` in [0, 1] (values outside are clipped)."""
    return np.log1p(mu * np.clip(x, 0.0, 1.0)) / np.log1p(mu)


@dataclass(frozen=True)
class MultiWindowLogSTFT(_Spectral):
    """Fan et al.: log STFT magnitude with several Hamming windows (paper: 20 and 40 ms; the third
    channel is not stated, we use 30 ms), 10 ms hop, 0–4 kHz. ``normalise="utterance"`` z-scores
    each utterance and channel; ``"none"`` keeps the log magnitudes, and with them the level of
    the voice (standardise with training statistics instead). ``out_bins`` averages adjacent
    frequency bins and ``time_pool`` adjacent frames (after the log, before any z-score): a
    smaller image of the same audio, every sample still inside a frame. Returns
    ``[T, channels, bins]``."""

    wins_ms: tuple[float, ...] = (20.0, 30.0, 40.0)
    normalise: str = "utterance"

    name: ClassVar[str] = "multiwin_logstft"

    def __post_init__(self) -> None:
        if self.normalise not in ("utterance", "none"):
            raise ValueError(f"normalise must be 'utterance' or 'none', not {self.normalise!r}")

    def compute_batch(self, waves: list[np.ndarray], device: str) -> list[np.ndarray]:
        import torch

        waves = [self.perturb(w) for w in waves]
        hop = int(self.sample_rate * self.hop_ms / 1000)
        batch, lens = _padded(waves, int(self.sample_rate * max(self.wins_ms) / 1000), device, tail=self.n_fft // 2)
        with torch.no_grad():
            mags = [_stft_mag(batch, int(self.sample_rate * w / 1000), hop, self.n_fft, self.n_bins, self.out_bins)
                    for w in self.wins_ms]
            spec = torch.stack([torch.log(m + 1e-5) for m in mags], dim=1)  # B x C x F x T
        out = []
        for s, n in zip(spec, lens):
            s = _pool_time(s[:, :, : 1 + n // hop], self.time_pool)
            if self.normalise == "utterance":
                s = (s - s.mean(dim=(1, 2), keepdim=True)) / s.std(dim=(1, 2), keepdim=True).clamp_min(1e-5)
            out.append(s.permute(2, 0, 1).cpu().numpy().astype(np.float16))
        return out
