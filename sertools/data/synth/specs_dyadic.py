"""Plans for the dyadic, rater-annotated corpora: IEMOCAP-like and NNIME-like.

Both carry individual ratings: categorical evaluator lines and 1–5 valence/arousal/dominance
lines (IEMOCAP), or per-rater valence/arousal (NNIME), from simulated raters with their own
bias and noise, so that soft labels, majority votes and per-rater labels differ as in real data.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from .causes import expression_weights, rater_style
from .plan import CorpusPlan, Utt, corpus_rng, make_utt, pick, write_manifest
from .prosody import sample_speaker
from .raters import make_pool, rate_category, rate_dimensions, self_category
from .texts import CMN_SENTENCES, EN_PHRASES

IEMOCAP_PRIOR = {"neutral": .22, "frustrated": .17, "angry": .12, "sad": .12, "excited": .13, "happy": .11,
                 "surprise": .05, "fear": .05, "disgust": .03}
CATEGORIES = tuple(IEMOCAP_PRIOR)
CODE = {"neutral": "neu", "happy": "hap", "excited": "exc", "angry": "ang", "frustrated": "fru", "sad": "sad",
        "surprise": "sur", "fear": "fea", "disgust": "dis", "other": "oth"}
WORD = {"neutral": "Neutral state", "happy": "Happiness", "excited": "Excited", "angry": "Anger",
        "frustrated": "Frustration", "sad": "Sadness", "surprise": "Surprise", "fear": "Fear",
        "disgust": "Disgust", "other": "Other"}
# Expressiveness (× the Beta(4, 2) intensity), calibrated so that the signal reference
# (eGeMAPS + LR, speaker-independent, 4 classes) lands in the band of sertools.calibration at the
# book size on corpus seeds 0-2 (`make calibration`; the record is in calibration.json). With the
# recording gain on, the means over the three seeds were 59.6 % UA at 2.0, 59.0 at 1.7 and 54.5 at 1.3
# (seed 1 fell to 47.1 at 1.1); without it, an earlier corpus gave 44.5 / 49.7 / 55.4 % at 1.0 / 1.5 / 2.0.
# Measured again on this branch rebased onto main (its reference and corpus code), 1.3 gave 57.4 / 48.6 /
# 52.7 % on seeds 0 / 1 / 2 (mean 52.9; seed 1 below the band).
IEMOCAP_GAIN = 1.4
DIM_RATERS = {"E1": .78, "E2": .74, "E3": .72, "E4": .70, "E5": .006, "E6": .006}
CAT_RATERS = ("E1", "E2", "E3", "E4", "E5", "E6")


def _dialogs(session: int, n: int) -> list[str]:
    """Dialog names of a session: improvised then scripted, the marker actor alternating,
    with the release's suffixed names (``Ses03M_impro05a``, ``Ses05M_script01_1b``)."""
    names = []
    for d in range(n):
        marker = "F" if d % 2 == 0 else "M"
        if d < math.ceil(n / 2):
            num = d // 2 + 1
            suffix = "ab"[d % 2] if session == 3 and num in (5, 8) else ""
            names.append(f"Ses{session:02d}{marker}_impro{num:02d}{suffix}")
        else:
            k = d - math.ceil(n / 2)
            suffix = "b" if session == 5 and k == 1 else ""
            names.append(f"Ses{session:02d}{marker}_script{k // 3 + 1:02d}_{k % 3 + 1}{suffix}")
    return names


def plan_iemocap(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    rng = corpus_rng("iemocap", seed)
    per_speaker = {"smoke": 16, "book": 160, "full": 1004, "dryrun": 24, "meter": 30}[size]
    per_dialog = 8 if size in ("smoke", "dryrun") else 10
    cat_pool = make_pool(rng, list(CAT_RATERS), CATEGORIES, **rater_style("iemocap", seed, knobs, list(CAT_RATERS), "cat"))
    dim_pool = make_pool(rng, list(DIM_RATERS), CATEGORIES, **rater_style("iemocap", seed, knobs, list(DIM_RATERS), "dim"))
    utts: list[Utt] = []
    for s in range(1, 6):
        spk = {g: sample_speaker(rng, f"Ses{s:02d}{g}", g, "en-us") for g in "FM"}
        for dialog in _dialogs(s, math.ceil(2 * per_speaker / per_dialog)):
            scenario = pick(rng, IEMOCAP_PRIOR)
            first = "F" if rng.random() < 0.5 else "M"
            count = Counter()
            for i in range(per_dialog):
                g = first if i % 2 == 0 else ("M" if first == "F" else "F")
                emo = scenario if rng.random() < 0.6 else pick(rng, IEMOCAP_PRIOR)
                uid = f"{dialog}_{g}{count[g]:03d}"
                count[g] += 1
                text = " ".join(EN_PHRASES[int(j)] for j in rng.integers(len(EN_PHRASES), size=1 + (rng.random() < .4)))
                utts.append(make_utt(rng, uid, f"Session{s}/sentences/wav/{dialog}/{uid}.wav", spk[g], emo, None,
                                     text, "room", gain=IEMOCAP_GAIN, dialog=dialog, session=s,
                                     weights=expression_weights("iemocap", seed, knobs, spk[g], emo)))
    blocks = {u.utterance: _rate_iemocap(u, cat_pool, dim_pool, rng) for u in utts}
    consensus = Counter(b["code"] for b in blocks.values())
    counts = {"total": len(utts), "angry": consensus["ang"], "happy+excited": consensus["hap"] + consensus["exc"],
              "neutral": consensus["neu"], "sad": consensus["sad"]}

    def meta(root: Path) -> None:
        by_dialog: dict[str, list[Utt]] = {}
        for u in utts:
            by_dialog.setdefault(u.meta["dialog"], []).append(u)
        for dialog, members in by_dialog.items():
            out = root / f"Session{members[0].meta['session']}" / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            lines, t = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""], 0.0
            for u in members:
                dur = len(u.text) / (u.rendition.wpm * 6 / 60)
                lines += _block(u, blocks[u.utterance], t, t + dur)
                t += dur + 0.5
            out.write_text("\n".join(lines) + "\n")
    return CorpusPlan("iemocap", 16000, utts, meta, layout_root="IEMOCAP_full_release", counts=counts)


def _rate_iemocap(u: Utt, cat_pool, dim_pool, rng: np.random.Generator) -> dict:
    expressed = (u.valence, u.arousal)
    # Three evaluators; a fourth is added when the first three disagree (as in the release).
    order = [int(r) for r in rng.choice(len(CAT_RATERS), size=4, replace=False)]
    cats = [(CAT_RATERS[r], rate_category(cat_pool, r, expressed, rng, u.emotion, u.rendition.strength))
            for r in order[:3]]
    if Counter(c for _, c in cats).most_common(1)[0][1] < 2:
        r = order[3]
        cats.append((CAT_RATERS[r], rate_category(cat_pool, r, expressed, rng, u.emotion, u.rendition.strength)))
    cats.sort()
    ranked = Counter(c for _, c in cats).most_common()
    unique_top = len(ranked) == 1 or ranked[0][1] > ranked[1][1]
    code = CODE[ranked[0][0]] if ranked[0][1] >= 2 and unique_top else "xxx"
    dims = []
    for r, (rid, p) in enumerate(DIM_RATERS.items()):
        if rng.random() < p:
            dims.append((rid, rate_dimensions(dim_pool, r, expressed, rng)))
    while len(dims) < 2:
        r = int(rng.integers(4))
        if all(d[0] != CAT_RATERS[r] for d in dims):
            dims.append((CAT_RATERS[r], rate_dimensions(dim_pool, r, expressed, rng)))
    dims.sort()
    self_id = f"{u.speaker.gender}1"
    selfs = {}
    if rng.random() < 0.25:
        selfs["cat"] = (self_id, self_category(u.emotion, CATEGORIES, rng))
        v, a = expressed
        selfs["dim"] = (self_id, tuple(int(np.clip(np.rint(x + rng.normal(0, .4)), 1, 5)) for x in (v, a, 3 + .6 * (a - 3))))
    mean = np.mean([d[1] for d in dims], axis=0)
    return dict(code=code, cats=cats, dims=dims, selfs=selfs, vad=mean)


def _block(u: Utt, b: dict, start: float, end: float) -> list[str]:
    v, a, d = b["vad"]
    lines = [f"[{start:.4f} - {end:.4f}]\t{u.utterance}\t{b['code']}\t[{v:.4f}, {a:.4f}, {d:.4f}]"]
    lines += [f"C-{rid}:\t{WORD[c]};\t()" for rid, c in b["cats"]]
    if "cat" in b["selfs"]:
        rid, c = b["selfs"]["cat"]
        lines.append(f"C-{rid}:\t{WORD[c]};\t()")
    for rid, (vv, aa, dd) in b["dims"] + ([b["selfs"]["dim"]] if "dim" in b["selfs"] else []):
        lines.append(f"A-{rid}:\tval {vv}; act {aa}; dom  {dd};\t()")
    return lines + [""]


NNIME_ATMOSPHERES = {"happiness": "happy", "anger": "angry", "sadness": "sad", "neutral": "neutral",
                     "surprise": "surprise", "frustration": "frustrated"}
NNIME_RATERS = {"E1": .55, "E2": .9, "E3": .85, "E4": .8, "E5": .8, "E6": .5, "E7": .45}


def plan_nnime(size: str, seed: int, knobs: dict | None = None) -> CorpusPlan:
    """Mandarin dyads with sentence-level valence/arousal from seven raters (E2–E5 rate most)."""
    rng = corpus_rng("nnime", seed)
    n_dyads, per_speaker = {"smoke": (5, 8), "book": (10, 25), "full": (22, 110), "dryrun": (22, 8)}[size]
    pool = make_pool(rng, list(NNIME_RATERS), tuple(NNIME_ATMOSPHERES.values()),
                     **rater_style("nnime", seed, knobs, list(NNIME_RATERS)))
    utts, ratings = [], []
    for dyad in range(1, n_dyads + 1):
        atmosphere = list(NNIME_ATMOSPHERES)[(dyad - 1) % len(NNIME_ATMOSPHERES)]
        spk = {side: sample_speaker(rng, f"{dyad:02d}{side}", None, "cmn") for side in "AB"}
        for i in range(2 * per_speaker):
            side = "AB"[i % 2]
            emo = NNIME_ATMOSPHERES[atmosphere] if rng.random() < 0.6 else pick(rng, {e: 1 for e in NNIME_ATMOSPHERES.values()})
            uid = f"{atmosphere}_{dyad:02d}_{side}_{i // 2:03d}"
            utts.append(make_utt(rng, uid, f"audio/{dyad:02d}/{uid}.wav", spk[side], emo, None,
                                 CMN_SENTENCES[int(rng.integers(len(CMN_SENTENCES)))], "room",
                                 session=dyad, atmosphere=atmosphere))
    for u in utts:
        chosen = [(r, rid) for r, (rid, p) in enumerate(NNIME_RATERS.items()) if rng.random() < p]
        while len(chosen) < 2:
            r = int(rng.integers(1, 5))
            if all(c[0] != r for c in chosen):
                chosen.append((r, list(NNIME_RATERS)[r]))
        for r, rid in sorted(chosen):
            v, a, d = rate_dimensions(pool, r, (u.valence, u.arousal), rng)
            ratings.append(dict(utterance=u.utterance, rater=rid, is_self=False, emotion="", valence=v,
                                arousal=a, dominance=d, scheme="dimensional"))
    mean = {}
    for row in ratings:
        mean.setdefault(row["utterance"], []).append((row["valence"], row["arousal"]))

    def extra(u: Utt) -> dict:
        v, a = np.mean(mean[u.utterance], axis=0)
        return dict(session=u.meta["session"], emotion_raw=u.meta["atmosphere"], valence=round(v, 3),
                    arousal=round(a, 3))
    return CorpusPlan("nnime", 16000, utts, lambda root: write_manifest(root, utts, "nnime", "cmn", extra, ratings),
                      counts={"total": len(utts)})
