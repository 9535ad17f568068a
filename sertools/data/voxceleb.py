"""VoxCeleb1/2 speaker corpora: ``idXXXXX/<video>/<nnnnn>.wav`` (speaker labels only).

VoxCeleb2 ships AAC (``.m4a``); soundfile cannot decode it, so convert to WAV first
(``ffmpeg -i x.m4a -ar 16000 x.wav``). Gender comes from the release's meta CSV when present.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .columns import genders
from .corpus import Corpus, CorpusLayoutError, check_counts, make_table, read_marker, require_dir

NAME = "voxceleb"
LAYOUT = """VoxCeleb/
  wav/id10001/1zcIwhmdeo4/00001.wav     (wav/ may be absent: idXXXXX folders directly under the root)
  vox1_meta.csv or vox2_meta.csv        (optional: speaker id and gender)"""
_ID = re.compile(r"id\d{5}")


def _meta_gender(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in list(root.glob("vox*_meta.csv")) + list(root.parent.glob("vox*_meta.csv")):
        df = pd.read_csv(f, sep=None, engine="python")
        cols = {c.strip().lower(): c for c in df.columns}
        id_col = next((cols[c] for c in cols if "id" in c and "vgg" not in c), None)
        g_col = next((cols[c] for c in cols if "gender" in c), None)
        if id_col and g_col:
            ids = df[id_col].astype(str).str.strip()
            out.update(zip(ids, genders(df[g_col], str(f), g_col, ids=ids, line0=2)))
    return out


def load(root: str | Path, strict: bool = False) -> Corpus:
    """Load a VoxCeleb-style speaker corpus. ``emotion`` is missing (no labels)."""
    root = require_dir(root, NAME, LAYOUT)
    base = root / "wav" if (root / "wav").is_dir() else root
    speakers = sorted(p for p in base.iterdir() if p.is_dir() and _ID.fullmatch(p.name))
    if not speakers:
        if any(root.rglob("*.m4a")):
            raise CorpusLayoutError(NAME, root, LAYOUT, "found .m4a files: convert VoxCeleb2 AAC to WAV first")
        raise CorpusLayoutError(NAME, root, LAYOUT, "no idXXXXX speaker folders found")
    gender = _meta_gender(root)
    rows = []
    for spk in speakers:
        for wav in sorted(w for w in spk.glob("*/*") if w.suffix.lower() == ".wav"):
            rows.append(dict(utterance=f"{spk.name}/{wav.parent.name}/{wav.stem}", path=str(wav),
                             speaker=spk.name, gender=gender.get(spk.name), emotion=None, video=wav.parent.name))
    if not rows:
        raise CorpusLayoutError(NAME, root, LAYOUT, "speaker folders hold no <video>/<n>.wav files")
    df = make_table(rows, NAME, "en")
    marker = read_marker(root)
    if marker:
        check_counts(NAME, {"total": len(df)}, {"total": marker["counts"]["total"]}, strict,
                     source="the generator's record")
    return Corpus(NAME, root, df, None, synthetic=marker is not None, info=marker or {})
