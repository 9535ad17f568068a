"""Plans for the remaining corpora: VoxCeleb-like (speakers only), CMU-MOSEI-like, CHEAVD-like, EPST-like."""
from __future__ import annotations

import string
from pathlib import Path

import numpy as np

from .causes import trait_spread
from .plan import CorpusPlan, Utt, corpus_rng, make_utt, pick, write_csv, write_manifest
from .prosody import EN_DIALECTS, sample_speaker
from .texts import CMN_SENTENCES, EN_PHRASES, EPST_SENTENCES, random_sentence

CHANNEL_MIX = {"studio": 0.25, "telephone": 0.25, "room": 0.25, "lowq_mic": 0.25}


def _video_id(rng: np.random.Generator) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(alphabet[int(i)] for i in rng.integers(len(alphabet), size=11))


def plan_voxceleb(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """Many speakers, speaker labels only: mostly neutral speech with mild emotion, every channel,
    a few videos (sessions) per speaker, 10 % non-English speakers."""
    rng = corpus_rng("voxceleb", seed)
    n_spk, per_spk = {"smoke": (20, 4), "book": (120, 16), "full": (1000, 50), "dryrun": (1000, 2),
                      "meter": (40, 6)}[size]
    utts, speakers = [], []
    for i in range(n_spk):
        lang = str(rng.choice(["de", "fr", "es"])) if rng.random() < 0.1 else None
        spk = sample_speaker(rng, f"id1{i:04d}", None, lang, spread=trait_spread("voxceleb", knobs))
        speakers.append(spk)
        videos = [(_video_id(rng), pick(rng, CHANNEL_MIX)) for _ in range(int(rng.integers(2, 5)))]
        for j in range(per_spk):
            vid, channel = videos[j % len(videos)]
            emo = pick(rng, {"neutral": 5, "happy": 1, "angry": .5, "sad": .5, "excited": .5})
            text = random_sentence(rng) if spk.language in EN_DIALECTS else \
                {"de": "Das ist eine gute Frage.", "fr": "C'est une bonne question.", "es": "Es una buena pregunta."}[spk.language]
            utts.append(make_utt(rng, f"{spk.id}/{vid}/{j + 1:05d}", f"wav/{spk.id}/{vid}/{j + 1:05d}.wav", spk, emo,
                                 float(rng.uniform(0, 0.6)), text, channel, session=vid))

    def meta(root: Path) -> None:
        write_csv(root / "vox1_meta.csv", [{"VoxCeleb1 ID": s.id, "Gender": s.gender.lower(),
                                            "Nationality": s.language, "Set": "dev"} for s in speakers])
    return CorpusPlan("voxceleb", 16000, utts, meta, counts={"total": len(utts)})


MOSEI_EMOTIONS = ("happy", "sad", "angry", "fear", "disgust", "surprise")


def plan_mosei(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """In-the-wild monologues: one speaker per video, presence ratings 0–3 for six emotions from
    three raters (``p_<emotion>`` = mean); ``emotion`` = strongest present emotion, or neutral."""
    rng = corpus_rng("mosei", seed)
    n_spk, per_spk = {"smoke": (30, 2), "book": (150, 4), "full": (1000, 23), "dryrun": (1000, 1)}[size]
    utts = []
    for i in range(n_spk):
        spk = sample_speaker(rng, f"mosei{i:04d}", None, None)
        channel = pick(rng, CHANNEL_MIX)
        for j in range(per_spk):
            emo = pick(rng, {"neutral": 3, "happy": 3, "sad": 1.5, "angry": 1, "fear": .3, "disgust": .5, "surprise": .5})
            text = random_sentence(rng) if rng.random() < 0.5 else EN_PHRASES[int(rng.integers(len(EN_PHRASES)))]
            utts.append(make_utt(rng, f"{spk.id}_{j}", f"audio/{spk.id}_{j}.wav", spk, emo, float(rng.uniform(.2, 1)),
                                 text, channel))
    presence = {}
    for u in utts:
        scores = []
        for _ in range(3):
            s = {e: 0 for e in MOSEI_EMOTIONS}
            if u.emotion in s:
                s[u.emotion] = int(np.clip(np.rint(3 * min(u.rendition.strength, 1) + rng.normal(0, .6)), 0, 3))
            for e in MOSEI_EMOTIONS:
                if e != u.emotion and rng.random() < 0.08:
                    s[e] = 1
            scores.append(s)
        presence[u.utterance] = {e: float(np.mean([s[e] for s in scores])) for e in MOSEI_EMOTIONS}
        u.meta["label"] = max(presence[u.utterance], key=presence[u.utterance].get) \
            if max(presence[u.utterance].values()) > 0 else "neutral"

    def extra(u: Utt) -> dict:
        return {f"p_{e}": round(v, 3) for e, v in presence[u.utterance].items()}
    return CorpusPlan("mosei", 16000, utts, lambda root: write_manifest(root, utts, "mosei", "en", extra),
                      counts={"total": len(utts)})


CHEAVD_EMOTIONS = {"angry": ("angry", "angry", 1.0), "happy": ("happy", "happy", 1.0), "sad": ("sad", "sad", 1.0),
                   "worried": ("sad", "other", 0.4), "anxious": ("fear", "fear", 0.6),
                   "surprise": ("surprise", "surprise", 1.0), "disgust": ("disgust", "disgust", 1.0),
                   "neutral": ("neutral", "neutral", 0.0)}


def plan_cheavd(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """Mandarin clips from 'films': many speakers, few clips each, eight classes, a
    speaker-disjoint train/validation split (``split`` column). ``emotion_raw`` keeps the
    eight classes; ``emotion`` maps worried → other and anxious → fear."""
    rng = corpus_rng("cheavd", seed)
    n_spk, per_spk = {"smoke": (20, 4), "book": (60, 6), "full": (238, 30), "dryrun": (238, 2)}[size]
    prior = {"neutral": 4, "angry": 2, "happy": 2, "sad": 2, "worried": 1.2, "anxious": 1.2, "surprise": .8, "disgust": .6}
    utts = []
    for i in range(n_spk):
        spk = sample_speaker(rng, f"ch{i:03d}", None, "cmn")
        channel = pick(rng, {"room": .5, "lowq_mic": .3, "studio": .2})
        split = "val" if i % 5 == 4 else "train"
        for j in range(per_spk):
            raw = pick(rng, prior)
            voice, label, scale = CHEAVD_EMOTIONS[raw]
            uid = f"{spk.id}_{j:03d}"
            u = make_utt(rng, uid, f"audio/{uid}.wav", spk, voice, scale * float(rng.beta(4, 2)),
                         CMN_SENTENCES[int(rng.integers(len(CMN_SENTENCES)))], channel, split=split, raw=raw)
            u.meta["label"] = label
            utts.append(u)
    extra = lambda u: dict(split=u.meta["split"], emotion_raw=u.meta["raw"])  # noqa: E731
    return CorpusPlan("cheavd", 16000, utts, lambda root: write_manifest(root, utts, "cheavd", "cmn", extra),
                      counts={"total": len(utts)})


# EPST's 15 categories → (voice profile, strength scale, canonical label)
EPST_CATEGORIES = {
    "hot anger": ("angry", 1.0, "angry"), "cold anger": ("angry", .5, "angry"), "panic": ("fear", 1.0, "fear"),
    "anxiety": ("fear", .5, "fear"), "despair": ("sad", 1.0, "sad"), "sadness": ("sad", .6, "sad"),
    "elation": ("excited", 1.0, "happy"), "happy": ("happy", .8, "happy"), "interest": ("surprise", .4, "other"),
    "boredom": ("boredom", 1.0, "boredom"), "shame": ("sad", .4, "other"), "pride": ("happy", .5, "other"),
    "contempt": ("disgust", .6, "other"), "disgust": ("disgust", 1.0, "disgust"), "neutral": ("neutral", 0.0, "neutral"),
}


def plan_epst(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """LDC Emotional Prosody Speech and Transcripts: actors reading dates and numbers in 14
    emotions plus neutral (``emotion_raw`` keeps the 15 categories)."""
    rng = corpus_rng("epst", seed)
    n_spk, reps = {"smoke": (4, 1), "book": (6, 2), "full": (8, 10), "dryrun": (8, 1)}[size]
    utts = []
    for i in range(n_spk):
        spk = sample_speaker(rng, f"epst{i:02d}", "F" if i % 2 else "M", "en-us")
        for raw, (voice, scale, label) in EPST_CATEGORIES.items():
            for r in range(reps):
                uid = f"{spk.id}_{raw.replace(' ', '-')}_{r:02d}"
                u = make_utt(rng, uid, f"audio/{uid}.wav", spk, voice, scale * float(rng.beta(4, 2)),
                             EPST_SENTENCES[(i + r) % len(EPST_SENTENCES)], "studio", raw=raw)
                u.meta["label"] = label
                utts.append(u)
    extra = lambda u: dict(emotion_raw=u.meta["raw"])  # noqa: E731
    return CorpusPlan("epst", 16000, utts, lambda root: write_manifest(root, utts, "epst", "en", extra),
                      counts={"total": len(utts)})
