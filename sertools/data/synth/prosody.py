"""Speakers and emotional prosody for the simulator: the design numbers and their sources.

Emotion profiles are *deltas from the speaker's neutral voice at full intensity*. Directions
follow Juslin & Laukka (2003, Table 7), Scherer (2003), Banse & Scherer (1996) and Murray &
Arnott (1993, Table I); magnitudes sit at the conservative end of Mozziconacci's (1998)
perceptually optimal settings and Burkhardt's emofilt rules (Burkhardt & Sendlmeier 2000).
Voice-quality entries follow Gobl & Ní Chasaide (2003). Numbers marked *design* in
:data:`PROFILE_SOURCES` are our choices inside those ranges, not measurements.

Cues: ``f0_st`` mean-F0 shift (semitones); ``range_x`` F0-range factor; ``rate_x``
speech-rate factor; ``vol_db`` level; ``tilt_db`` high-frequency emphasis (vocal effort,
via eSpeak's ``tone``); ``jitter_x`` factor on eSpeak ``flutter``; ``breath`` added
aspiration; ``rough`` added creak.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

PROFILES: dict[str, dict[str, float]] = {
    "neutral":    dict(f0_st=0.0, range_x=1.00, rate_x=1.00, vol_db=0.0, tilt_db=0.0, jitter_x=1.0, breath=0, rough=0),
    "happy":      dict(f0_st=3.0, range_x=1.50, rate_x=1.10, vol_db=3.0, tilt_db=2.0, jitter_x=0.8, breath=0, rough=0),
    "excited":    dict(f0_st=4.5, range_x=1.60, rate_x=1.15, vol_db=4.5, tilt_db=3.5, jitter_x=0.9, breath=0, rough=0),
    "angry":      dict(f0_st=4.0, range_x=1.40, rate_x=1.18, vol_db=6.0, tilt_db=5.0, jitter_x=1.5, breath=0, rough=1),
    "frustrated": dict(f0_st=1.5, range_x=1.10, rate_x=1.05, vol_db=2.0, tilt_db=2.0, jitter_x=1.3, breath=2, rough=1),
    "sad":        dict(f0_st=-1.5, range_x=0.60, rate_x=0.80, vol_db=-5.0, tilt_db=-4.0, jitter_x=1.3, breath=8, rough=1),
    "fear":       dict(f0_st=3.5, range_x=0.90, rate_x=1.15, vol_db=1.0, tilt_db=1.0, jitter_x=1.6, breath=4, rough=0),
    "disgust":    dict(f0_st=-2.0, range_x=1.20, rate_x=0.85, vol_db=-1.0, tilt_db=-1.0, jitter_x=1.2, breath=1, rough=2),
    "surprise":   dict(f0_st=4.0, range_x=1.80, rate_x=1.05, vol_db=2.0, tilt_db=1.0, jitter_x=1.0, breath=0, rough=0),
    "calm":       dict(f0_st=-0.5, range_x=0.80, rate_x=0.92, vol_db=-2.0, tilt_db=-2.0, jitter_x=0.9, breath=3, rough=0),
    "boredom":    dict(f0_st=-1.0, range_x=0.50, rate_x=0.85, vol_db=-2.0, tilt_db=-2.0, jitter_x=1.0, breath=2, rough=1),
}

PROFILE_SOURCES = {
    "happy": "J&L 2003: high F0, much variability, fast, medium-high intensity; emofilt f0Mean 120 % (+3.2 st); "
             "Mozziconacci 1998: joy range 10 st vs neutral 5 st",
    "excited": "design: happy's direction at higher arousal (IEMOCAP 'excited' sits above 'happy' in arousal)",
    "angry": "J&L 2003 (hot anger): very high F0, fast, high intensity, much HF energy; Banse & Scherer 1996: "
             "most 1.6-5 kHz energy; emofilt range 140 %",
    "frustrated": "design: a milder, tenser anger (Gobl & Ni Chasaide 2003: tense voice with activation)",
    "sad": "J&L 2003: low F0, little variability, slow, low intensity, little HF energy; Mozziconacci durations "
           "129 %; Gobl & Ni Chasaide: lax-breathy/creaky",
    "fear": "J&L 2003 and Murray & Arnott 1993: high F0, fast rate, irregular voicing; Banse & Scherer: panic high F0",
    "disgust": "Murray & Arnott 1993: very much slower, very much lower pitch, wide downward inflections, "
               "grumbled chest tone",
    "surprise": "design after Murray & Arnott's happiness/surprise rules: high F0, very wide range",
    "calm": "design: lowered arousal, breathy (Gobl & Ni Chasaide: breathy with relaxation)",
    "boredom": "Banse & Scherer 1996: low F0, narrow range, slow; Gobl & Ni Chasaide: lax-creaky",
}

# Latent (valence, arousal) centroids on the 1-5 SAM scales of IEMOCAP (design; neutral 3.0/2.7).
VA_CENTROIDS: dict[str, tuple[float, float]] = {
    "neutral": (3.0, 2.7), "happy": (4.1, 3.6), "excited": (4.0, 4.1), "angry": (1.8, 4.1),
    "frustrated": (2.2, 3.4), "sad": (1.9, 1.9), "fear": (1.9, 3.8), "disgust": (1.8, 3.0),
    "surprise": (3.6, 4.0), "calm": (3.6, 2.0), "boredom": (2.6, 1.7),
}

EN_DIALECTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
               "en-gb-x-gbclan", "en-gb-x-gbcwmd")


def semitones(st: float) -> float:
    return 2.0 ** (st / 12.0)


@dataclass
class Speaker:
    """A simulated voice (the 'v2' sampler of the synthetic-corpus study, §5.1)."""

    id: str
    gender: str
    language: str
    f0: float             # habitual F0 (Hz): 118 (M) / 205 (F) x 2^(N(0, 2 st)/12)
    formant_scale: list[float]  # F1..F5 scale: 1.00 (M) / 1.14 (F) x e^N(0,.035), each x e^N(0,.03)
    formant_width: list[int]
    formant_height: list[int]
    range_st: float       # habitual F0 range, N(4, 1) st
    wpm: float            # speaking rate, N(165, 15) words/min
    vol_db: float         # level, N(0, 2) dB
    tilt_db: float        # brightness, N(0, 2.5) dB
    flutter: float        # F0 wobble, N(4, 2) clipped to [0, 10]
    rough: int            # creak 0-3
    breath: float         # aspiration N(3, 3) clipped to [0, 12]
    stress_add: list[int] = field(default_factory=list)
    consonants: int = 100
    expressivity: float = 1.0  # e^N(0, 0.35) clipped to [0.4, 1.8]: how strongly emotion shows

    def to_dict(self) -> dict:
        return asdict(self)


def sample_speaker(rng: np.random.Generator, sid: str, gender: str | None = None,
                   language: str | None = None, f0_shift_st: float = 0.0, spread: float = 1.0) -> Speaker:
    """Draw a speaker; ``language=None`` picks one of eight English accents. ``spread`` scales how
    far the speaker's traits on the cues emotion moves (F0, range, rate, level, tilt, jitter, creak,
    breath) lie from the population's (knob ``xi_shared``; 0: speakers differ in timbre, rhythm and
    accent only). The draws are the same whatever ``spread``."""
    g = gender or ("F" if rng.random() < 0.5 else "M")
    vtl = (1.00 if g == "M" else 1.14) * math.exp(rng.normal(0, 0.035))
    lang = language or EN_DIALECTS[int(rng.integers(len(EN_DIALECTS)))]
    s = spread
    return Speaker(
        id=sid, gender=g, language=lang,
        f0=(118.0 if g == "M" else 205.0) * semitones(s * rng.normal(0, 2.0) + f0_shift_st),
        formant_scale=[float(vtl * math.exp(rng.normal(0, 0.03))) for _ in range(5)],
        formant_width=[int(np.clip(rng.normal(100, 15), 60, 160)) for _ in range(5)],
        formant_height=[int(np.clip(rng.normal(100, 10), 70, 130)) for _ in range(5)],
        range_st=float(np.clip(4.0 + s * (rng.normal(4.0, 1.0) - 4.0), max(0.5, 4.0 - 2.5 * s), 4.0 + 3.0 * s)),
        wpm=float(np.clip(165 + s * (rng.normal(165, 15) - 165), 165 - 45 * s, 165 + 55 * s)),
        vol_db=float(s * rng.normal(0, 2.0)), tilt_db=float(s * rng.normal(0, 2.5)),
        flutter=float(np.clip(4 + s * (rng.normal(4, 2) - 4), 0, 10)),
        rough=int(np.clip(round(1.5 + s * (int(rng.integers(0, 4)) - 1.5)), 0, 5)),
        breath=float(np.clip(3 + s * (rng.normal(3, 3) - 3), 0, 12)),
        stress_add=[int(rng.normal(0, 8)) for _ in range(8)],
        consonants=int(np.clip(rng.normal(100, 15), 60, 140)),
        expressivity=float(np.clip(math.exp(rng.normal(0, 0.35)), 0.4, 1.8)),
    )


@dataclass
class Rendition:
    """What one utterance's voice is asked to do (all that the worker needs besides text)."""

    f0: float
    range_st: float
    wpm: float
    vol_db: float
    tilt_db: float
    flutter: float
    breath: float
    rough: int
    strength: float  # expressed strength k = intensity x expressivity (drives raters too)


CUES = ("f0_st", "range_x", "rate_x", "vol_db", "tilt_db", "jitter_x", "breath", "rough")


def render(spk: Speaker, emotion: str, intensity: float, rng: np.random.Generator,
           weights: dict[str, float] | None = None) -> Rendition:
    """Speaker baseline + k x emotion delta + per-utterance noise (F0 N(0,.7 st), range e^N(0,.12),
    rate e^N(0,.05), level N(0,1) dB, tilt N(0,1) dB). ``weights`` multiplies the delta of each
    cue (speaker- or gender-specific expression, see :mod:`.causes`); absent cues keep weight 1."""
    p = PROFILES[emotion]
    if weights:
        p = {c: (v - 1) * weights.get(c, 1.0) + 1 if c.endswith("_x") else v * weights.get(c, 1.0)
             for c, v in p.items()}
    k = intensity * spk.expressivity
    return Rendition(
        f0=spk.f0 * semitones(k * p["f0_st"] + rng.normal(0, 0.7)),
        range_st=spk.range_st * max(0.1, 1 + k * (p["range_x"] - 1)) * math.exp(rng.normal(0, 0.12)),
        wpm=spk.wpm * max(0.3, 1 + k * (p["rate_x"] - 1)) * math.exp(rng.normal(0, 0.05)),
        vol_db=spk.vol_db + k * p["vol_db"] + rng.normal(0, 1.0),
        tilt_db=spk.tilt_db + k * p["tilt_db"] + rng.normal(0, 1.0),
        flutter=float(np.clip(spk.flutter * max(0.0, 1 + k * (p["jitter_x"] - 1)), 0, 10)),
        breath=max(0.0, spk.breath + k * p["breath"]),
        rough=int(np.clip(spk.rough + round(k * p["rough"]), 0, 5)),
        strength=float(k),
    )


def variant_file(spk: Speaker, r: Rendition) -> str:
    """An eSpeak NG voice-variant file: absolute pitch base/top in Hz, per-formant scales,
    spectral tilt through ``tone``, flutter, roughness, breath, rhythm and consonant strength."""
    base, top = r.f0 * semitones(-r.range_st / 2), r.f0 * semitones(r.range_st / 2)
    lines = ["language variant", "name sertools", f"pitch {round(base)} {round(top)}"]
    for k in range(1, 9):
        i = min(k - 1, 4)
        scale = spk.formant_scale[i] if k <= 5 else spk.formant_scale[0]
        height = spk.formant_height[i] if k <= 5 else 100
        width = spk.formant_width[i] if k <= 5 else 100
        lines.append(f"formant {k} {round(100 * scale)} {height} {width}")
    hf = int(np.clip(110 * 10 ** (r.tilt_db / 20), 10, 255))
    mf = int(np.clip(135 * 10 ** (r.tilt_db / 40), 10, 255))
    lines.append(f"tone 600 170 1200 {mf} 2000 {hf}")
    lines.append(f"flutter {round(r.flutter)}")
    lines.append(f"roughness {r.rough}")
    lines.append("stressAdd " + " ".join(map(str, spk.stress_add)))
    lines.append(f"consonants {spk.consonants} {spk.consonants}")
    b = round(r.breath)
    if b > 0:
        lines.append("breath " + " ".join(str(max(0, b - 2 * i)) for i in range(6)))
    return "\n".join(lines) + "\n"


def eSpeak_volume(vol_db: float) -> int:
    """eSpeak's volume parameter for a level in dB (60 ≈ 0 dB; it clips above ~150)."""
    return int(np.clip(60 * 10 ** (vol_db / 20), 5, 150))


def latent_va(emotion: str, strength: float, rng: np.random.Generator) -> tuple[float, float]:
    """Latent (valence, arousal): neutral centroid + k x (emotion centroid - neutral) + N(0, .2)."""
    v0, a0 = VA_CENTROIDS["neutral"]
    v1, a1 = VA_CENTROIDS[emotion]
    k = min(strength, 1.5)
    return v0 + k * (v1 - v0) + rng.normal(0, 0.2), a0 + k * (a1 - a0) + rng.normal(0, 0.2)
