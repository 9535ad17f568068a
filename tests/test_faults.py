"""Fault injection: each bad input, corrupt cache, wrong path, missing extra, concurrent run or crash
of issue 38 is made here, and the test asserts a clear error (file, line or parameter, and what was
expected) or the right handling. Each test failed on 00babd6's behaviour (said in its docstring)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sertools import data
from sertools.data import AudioError, CorpusLayoutError, CountMismatchWarning, read_audio
from sertools.data.columns import MetadataError
from test_loaders import make_iemocap


# --------------------------------------------------------------------------- typed metadata
def _manifest(root, tone, ratings: dict | None = None, **cols):
    for i in range(3):
        tone(root / f"u{i}.wav")
    base = {"utterance": ["u0", "u1", "u2"], "path": ["u0.wav", "u1.wav", "u2.wav"], "speaker": ["s1", "s2", "s3"],
            "gender": ["F", "M", "F"], "emotion": ["happy", "sad", None]}
    pd.DataFrame({**base, **cols}).to_csv(root / "manifest.csv", index=False)
    r = {"utterance": ["u0", "u0", "u1"], "rater": ["A", "B", "A"], "is_self": ["yes", "no", "no"],
         "emotion": ["", "", ""], "valence": [3, 4, 2], "arousal": [2, 2, 5], "dominance": ["", "", ""]}
    pd.DataFrame({**r, **(ratings or {})}).to_csv(root / "ratings.csv", index=False)
    return root


def test_self_rating_booleans_are_read_strictly(tmp_path, tone):
    """00babd6 cast the strings to bool: ``no`` became True, every rating a self-rating."""
    m = _manifest(tmp_path / "nnime", tone)
    r = data.load("nnime", m).ratings
    assert r.is_self.tolist() == [True, False, False] and r.is_self.dtype == bool
    _manifest(m, tone, ratings={"is_self": ["TRUE", "0", "N"]})
    assert data.load("nnime", m).ratings.is_self.tolist() == [True, False, False]
    _manifest(m, tone, ratings={"is_self": ["yes", "maybe", ""]})
    with pytest.raises(MetadataError, match=r"ratings.csv, column 'is_self': expected true/false.*"
                                            r"\['', 'maybe'\] in line\(s\) 3, 4 \(u0, u1\)"):
        data.load("nnime", m)


@pytest.mark.parametrize("value, expected", [("abc", "expected a number; found \\['abc'\\] in line\\(s\\) 3"),
                                             ("99", "expected a value in \\[1.0, 5.0\\]; found \\['99'\\]")])
def test_a_rating_that_is_text_or_off_the_scale_is_refused(tmp_path, tone, value, expected):
    """00babd6 read ``abc`` by turning the whole column into text and accepted ``99`` on a 1–5 scale."""
    m = _manifest(tmp_path / "nnime", tone, ratings={"valence": [3, value, 2]})
    with pytest.raises(MetadataError, match=f"ratings.csv, column 'valence': {expected}"):
        data.load("nnime", m)
    _manifest(m, tone, valence=[1.5, value, 2])                 # the manifest's consensus column too
    (m / "ratings.csv").unlink()
    with pytest.raises(MetadataError, match=f"manifest.csv, column 'valence': {expected}"):
        data.load("nnime", m)


def test_a_corpus_on_another_scale_declares_it(tmp_path, tone):
    m = _manifest(tmp_path / "nnime", tone, ratings={"valence": [3, 7, 2]})
    (m / "corpus.json").write_text('{"ranges": {"valence": [1, 7]}}')
    assert data.load("nnime", m).ratings.valence.tolist() == [3, 7, 2]


def test_labels_and_splits_are_checked_against_their_sets(tmp_path, tone):
    """00babd6 accepted any text as a rater's emotion and any split name."""
    m = _manifest(tmp_path / "nnime", tone, ratings={"emotion": ["happy", "joy", ""]})
    with pytest.raises(MetadataError, match=r"ratings.csv, column 'emotion': expected one of neutral.*\['joy'\]"):
        data.load("nnime", m)
    _manifest(m, tone, split=["train", "dev", "test"])
    with pytest.raises(MetadataError, match=r"column 'split': expected one of train, val, test.*\['dev'\]"):
        data.load("nnime", m)


def test_a_duplicate_utterance_id_is_reported_as_one(tmp_path, tone):
    """00babd6 reported a manifest row whose id repeats another's as a ratings-file problem ("ratings.csv
    names 1 utterances absent from the manifest")."""
    m = _manifest(tmp_path / "nnime", tone, utterance=["u0", "u0", "u2"])
    with pytest.raises(MetadataError, match=r"manifest.csv, column 'utterance': duplicated id\(s\) \['u0'\] "
                                            r"in line\(s\) 2, 3"):
        data.load("nnime", m)


def test_iemocap_values_and_duplicates_are_checked(tmp_path, tone):
    """00babd6 accepted a consensus valence of 9 and an utterance listed in two evaluation files."""
    make_iemocap(tmp_path, tone)
    f = tmp_path / "IEMOCAP_full_release" / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt"
    good = f.read_text()
    f.write_text(good.replace("[3.5000, 4.0000, 3.0000]", "[9.0000, 4.0000, 3.0000]"))
    with pytest.raises(MetadataError, match=r"Ses02F_impro01.txt, column 'valence': expected a value in \[1, 5\]; "
                                            r"found \['9.0'\] in Ses02F_impro01_M000"):
        data.load("iemocap", tmp_path)
    f.write_text(good)
    (f.parent / "Ses02F_impro02.txt").write_text(good)          # the same utterances a second time
    with pytest.raises(MetadataError, match="Ses02F_impro01_F000 is listed twice"):
        data.load("iemocap", tmp_path)


def test_crema_d_demographics_are_typed(tmp_path, tone):
    """00babd6 read any Sex that does not start with "f" (``unknown``, ``x``) as male."""
    root = tmp_path / "CREMA-D"
    tone(root / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    pd.DataFrame({"ActorID": [1001], "Sex": ["unknown"]}).to_csv(root / "VideoDemographics.csv", index=False)
    with pytest.raises(MetadataError, match=r"VideoDemographics.csv, column 'Sex': expected F/M.*\['unknown'\]"):
        data.load("crema-d", root)


def test_a_partial_iemocap_names_the_sessions_found_and_missing(tmp_path, tone):
    """00babd6 refused a copy without the Session4 and Session5 folders, listing the parent folder."""
    make_iemocap(tmp_path, tone, sessions=[1, 2, 3])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = data.load("iemocap", tmp_path)
    assert set(c.utterances.session) == {1, 2, 3}
    assert any("sessions found: Session1, Session2, Session3; missing: Session4, Session5" in str(w.message)
               for w in caught if issubclass(w.category, CountMismatchWarning))
    with pytest.raises(CorpusLayoutError, match="sessions found: Session1, Session2, Session3; missing: Session4"):
        data.load("iemocap", tmp_path, strict=True)
    empty = tmp_path / "empty"
    (empty / "notes").mkdir(parents=True)
    with pytest.raises(CorpusLayoutError, match=r"no Session1..Session5 folders in .*empty \(it holds: notes\)"):
        data.load("iemocap", empty)


# --------------------------------------------------------------------------- audio that is not speech
def _wave(seconds=0.5, sr=16000):
    return 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr)


def test_a_wav_truncated_in_its_data_is_refused(tmp_path):
    """00babd6 read the first half of the file without a word (libsndfile counts what is there)."""
    path = tmp_path / "cut.wav"
    sf.write(path, _wave(), 16000, subtype="PCM_16")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    assert sf.info(str(path)).frames > 0                        # soundfile alone reads it silently
    with pytest.raises(AudioError, match=r"cut.wav: truncated: its header declares 16000 bytes of audio but the "
                                         r"file holds 7978"):
        read_audio(path)


@pytest.mark.parametrize("kind, expected", [
    ("cancelled", "its 2 channels cancel when averaged to mono"),
    ("constant", "constant signal"),
    ("near-zero", "no usable signal: its peak is -74 dBFS"),
])
def test_signals_that_are_not_speech_are_refused(tmp_path, kind, expected):
    """00babd6 passed these as speech: nearly opposite channels average to a whisper, a DC offset or
    dither-level noise has non-zero samples."""
    x = _wave()
    if kind == "cancelled":
        x = np.stack([x, -0.97 * x], axis=1)
    elif kind == "constant":
        x = np.full_like(x, 0.01)
    else:
        x = 2e-4 * np.sign(np.sin(np.arange(len(x))))
    path = tmp_path / f"{kind}.wav"
    sf.write(path, x, 16000, subtype="PCM_16")
    with pytest.raises(AudioError, match=f"{kind}.wav: {expected}"):
        read_audio(path)
    assert len(read_audio(path, allow_silent=True)) == len(_wave())  # the caller may still ask for it
