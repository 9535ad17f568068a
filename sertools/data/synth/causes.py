"""How each mechanism knob (:mod:`.knobs`) acts on a corpus plan: voices, recordings, raters.

Planners call these with the corpus name, seed and knob setting; each draw comes from the knob's
own stream (:func:`.knobs.knob_rng`), so turning one knob leaves every other draw of the plan as it
was. At a knob's default each function returns what the plan had before the knob existed.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from .knobs import applies, knob_rng, value
from .prosody import CUES, Speaker

# Fan: women carry emotion more on level and breathiness, men more on spectral tilt and rate (a design
# choice: the literature gives no such split; what matters is that both pairs are resolved by a 40-bin
# 0–4 kHz spectrogram and carry about as much emotion).
FAN_PAIRS = {"F": ("vol_db", "breath"), "M": ("tilt_db", "rate_x")}


def expression_weights(corpus: str, seed: int, knobs: Mapping[str, float] | None, spk: Speaker,
                       emotion: str) -> dict[str, float] | None:
    """Per-cue multipliers of the emotion delta for ``spk`` (``None`` at the defaults).

    ``li_style`` σ: exp(N(0, σ)) per speaker, emotion and cue, rescaled so their mean square is 1.
    ``fan_gender_style`` g: the women's pair (level, breathiness) × √2·sin θ and the men's pair
    (tilt, rate) × √2·cos θ, θ = π/4·(1 + g) for women and π/4·(1 − g) for men: the sum of squares of
    the four weights stays 4 (the same overall size) while the cues carrying emotion differ.
    """
    w = {c: 1.0 for c in CUES}
    sigma = value(knobs, "li_style") if applies("li_style", corpus) else 0.0
    g = value(knobs, "fan_gender_style") if applies("fan_gender_style", corpus) else 0.0
    if sigma == 0 and g == 0:
        return None
    if sigma > 0:
        z = knob_rng("li_style", corpus, seed, spk.id, emotion).standard_normal(len(CUES))
        m = np.exp(sigma * z)
        m /= np.sqrt(np.mean(m ** 2))
        w = {c: float(x) for c, x in zip(CUES, m)}
    if g > 0:
        theta = math.pi / 4 * (1 + g if spk.gender == "F" else 1 - g)
        women, men = FAN_PAIRS["F"], FAN_PAIRS["M"]
        for c in women:
            w[c] *= math.sqrt(2) * math.sin(theta)
        for c in men:
            w[c] *= math.sqrt(2) * math.cos(theta)
    return w


def trait_spread(corpus: str, knobs: Mapping[str, float] | None) -> float:
    """``xi_shared``: how far the speakers' traits on the emotion cues spread (1: as sampled)."""
    return value(knobs, "xi_shared") if applies("xi_shared", corpus) else 1.0


def rater_style(corpus: str, seed: int, knobs: Mapping[str, float] | None, ids: list[str],
                pool: str = "") -> dict:
    """``make_pool`` keywords: the bias SD (``chou_rater_bias``) and each rater's style angle in
    radians (``chou_rater_angle``; ``None`` when 0). ``pool`` tells two pools of a corpus apart."""
    sd = value(knobs, "chou_rater_bias") if applies("chou_rater_bias", corpus) else 0.35
    deg = value(knobs, "chou_rater_angle") if applies("chou_rater_angle", corpus) else 0.0
    angle = None
    if deg > 0:
        angle = np.array([knob_rng("chou_rater_angle", corpus, seed, pool, r).standard_normal() for r in ids])
        angle = np.deg2rad(deg) * angle
    return dict(bias_sd=sd, angle=angle)


def recording_gains(utts: list, corpus: str, seed: int, knobs: Mapping[str, float] | None) -> None:
    """Set each utterance's ``gain_db`` = σ × (z_corpus + z_session + z_speaker), one standard
    normal per corpus, per recording session (``meta['session']``; a speaker's own session where
    the corpus has none) and per speaker, each from the knob's stream; σ = ``gain_db``."""
    sigma = value(knobs, "gain_db")
    if sigma == 0:
        for u in utts:
            u.gain_db = 0.0
        return
    z_corpus = knob_rng("gain_db", corpus, seed, "corpus").standard_normal()
    cache: dict[tuple, float] = {}

    def z(*key) -> float:
        if key not in cache:
            cache[key] = knob_rng("gain_db", corpus, seed, *key).standard_normal()
        return cache[key]

    for u in utts:
        session = u.meta.get("session", f"own:{u.speaker.id}")
        u.gain_db = float(sigma * (z_corpus + z("session", session) + z("speaker", u.speaker.id)))


def channel_severity(utts: list, corpus: str, knobs: Mapping[str, float] | None) -> None:
    """Set each utterance's channel ``severity`` (``parry_channel`` where it applies, else 1)."""
    s = value(knobs, "parry_channel") if applies("parry_channel", corpus) else 1.0
    for u in utts:
        u.severity = s
