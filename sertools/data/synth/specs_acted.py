"""Plans for the acted, file-name-labelled corpora: CREMA-D, RAVDESS, TESS, Emo-DB, SAVEE, EMOVO.

Each mirrors its release's speakers, emotions, sentences and naming; sizes scale with
``size`` (``full`` approaches the release counts). Channels differ per corpus on purpose:
that is the cross-corpus shift Parry et al. study.
"""
from __future__ import annotations

from pathlib import Path

from ..acted import CREMA_EMOTIONS, EMODB_EMOTIONS, EMOVO_EMOTIONS, SAVEE_EMOTIONS
from .plan import CorpusPlan, corpus_rng, make_utt, pick, write_csv
from .prosody import sample_speaker
from .texts import CREMA_SENTENCES, EMODB_SENTENCES, EMOVO_SENTENCES, RAVDESS_SENTENCES, SAVEE_SENTENCES, TESS_WORDS


def _by(size: str, smoke, book, full, speakers: bool = False, dryrun=None):
    """The value for ``size``; ``dryrun`` takes full's speaker counts and smoke's material per
    speaker (or its own ``dryrun`` value)."""
    if size == "dryrun":
        return dryrun if dryrun is not None else full if speakers else smoke
    if size == "meter":  # the mechanism meters' size (CREMA-D only): smoke's material, twice its speakers
        return 2 * smoke if speakers else smoke
    return {"smoke": smoke, "book": book, "full": full}[size]


def plan_crema_d(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("crema-d", seed)
    n_actors = _by(size, 6, 24, 91, speakers=True)
    sentences = list(CREMA_SENTENCES)[: _by(size, 2, 4, 12, dryrun=1)]
    actors = [sample_speaker(rng, str(1001 + i), "M" if rng.random() < 48 / 91 else "F", "en-us")
              for i in range(n_actors)]
    utts = []
    for spk in actors:
        channel = pick(rng, {"lowq_mic": 0.6, "telephone": 0.25, "studio": 0.15})
        for sent in sentences:
            levels = ["LO", "MD", "HI"] if sent == "IEO" else ["XX"]
            for code, emo in CREMA_EMOTIONS.items():
                for lvl in (levels if emo != "neutral" else ["XX"]):
                    inten = {"LO": 0.35, "MD": 0.65, "HI": 1.0}.get(lvl)
                    uid = f"{spk.id}_{sent}_{code}_{lvl}"
                    utts.append(make_utt(rng, uid, f"AudioWAV/{uid}.wav", spk, emo, inten,
                                         CREMA_SENTENCES[sent], channel, sentence=sent, level=lvl))

    def meta(root: Path) -> None:
        write_csv(root / "VideoDemographics.csv",
                  [dict(ActorID=int(s.id), Age=int(20 + rng.integers(0, 50)),
                        Sex="Male" if s.gender == "M" else "Female", Race="Unknown", Ethnicity="Unknown")
                   for s in actors])
    return CorpusPlan("crema-d", 16000, utts, meta, counts={"total": len(utts)})


def plan_ravdess(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("ravdess", seed)
    n_actors = _by(size, 4, 8, 24, speakers=True)
    statements = _by(size, [1], [1, 2], [1, 2])
    reps = _by(size, [1], [1, 2], [1, 2])
    utts = []
    for a in range(1, n_actors + 1):
        spk = sample_speaker(rng, f"Actor_{a:02d}", "M" if a % 2 else "F", "en-us")
        for e, emo in {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fear",
                       7: "disgust", 8: "surprise"}.items():
            for inten in ([1] if e == 1 else [1, 2]):
                for st in statements:
                    for rep in reps:
                        stem = f"03-01-{e:02d}-{inten:02d}-{st:02d}-{rep:02d}-{a:02d}"
                        k = 0.0 if emo == "neutral" else (0.55 if inten == 1 else 0.95)
                        utts.append(make_utt(rng, stem, f"Actor_{a:02d}/{stem}.wav", spk, emo, k,
                                             RAVDESS_SENTENCES[st], "studio"))
    return CorpusPlan("ravdess", 16000, utts, lambda root: None, counts={"total": len(utts)})


TESS_FOLDERS = {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
                "ps": "pleasant_surprise", "sad": "sad", "neutral": "neutral"}


def plan_tess(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """Two female speakers (older OAF, younger YAF), 'Say the word ...', written at 24,414 Hz."""
    rng = corpus_rng("tess", seed)
    words = TESS_WORDS[: _by(size, 4, 20, 200)]
    speakers = [sample_speaker(rng, "OAF", "F", "en-us", f0_shift_st=-2.5), sample_speaker(rng, "YAF", "F", "en-us")]
    utts = []
    for spk in speakers:
        for code, folder in TESS_FOLDERS.items():
            emo = "surprise" if code == "ps" else code
            for w in words:
                uid = f"{spk.id}_{w}_{code}"
                utts.append(make_utt(rng, uid, f"{spk.id}_{folder}/{uid}.wav", spk, emo, None,
                                     f"Say the word {w}.", "studio", word=w))
    return CorpusPlan("tess", 24414, utts, lambda root: None, counts={"total": len(utts)})


def plan_emodb(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("emodb", seed)
    speakers = {"03": "M", "08": "F", "09": "F", "10": "M", "11": "M", "12": "M", "13": "F", "14": "F",
                "15": "M", "16": "F"}
    texts = list(EMODB_SENTENCES)[: _by(size, 1, 4, 10)]
    utts = []
    for sid, g in speakers.items():
        spk = sample_speaker(rng, sid, g, "de")
        for letter, emo in EMODB_EMOTIONS.items():
            for t in texts:
                uid = f"{sid}{t}{letter}a"
                utts.append(make_utt(rng, uid, f"wav/{uid}.wav", spk, emo, None, EMODB_SENTENCES[t], "studio"))
    return CorpusPlan("emodb", 16000, utts, lambda root: None, counts={"total": len(utts)})


def plan_savee(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("savee", seed)
    n = _by(size, 2, 8, 15)
    utts = []
    for sid in ("DC", "JE", "JK", "KL"):
        spk = sample_speaker(rng, sid, "M", "en-gb")
        for code, emo in SAVEE_EMOTIONS.items():
            for i in range(1, (2 * n if emo == "neutral" else n) + 1):
                text = SAVEE_SENTENCES[(i - 1) % len(SAVEE_SENTENCES)]
                utts.append(make_utt(rng, f"{sid}_{code}{i:02d}", f"AudioData/{sid}/{code}{i:02d}.wav", spk, emo,
                                     None, text, "room"))
    return CorpusPlan("savee", 16000, utts, lambda root: None, counts={"total": len(utts)})


def plan_emovo(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("emovo", seed)
    sentences = list(EMOVO_SENTENCES)[: _by(size, 1, 6, 14)]
    utts = []
    for actor in ("f1", "f2", "f3", "m1", "m2", "m3"):
        spk = sample_speaker(rng, actor, actor[0].upper(), "it")
        for code, emo in EMOVO_EMOTIONS.items():
            for s in sentences:
                uid = f"{code}-{actor}-{s}"
                utts.append(make_utt(rng, uid, f"{actor}/{uid}.wav", spk, emo, None, EMOVO_SENTENCES[s], "lowq_mic"))
    return CorpusPlan("emovo", 16000, utts, lambda root: None, counts={"total": len(utts)})
