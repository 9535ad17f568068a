"""Loaders on tiny fixture trees in each real layout, including the known traps."""
import warnings

import pandas as pd
import pytest

from sertools import data
from sertools.data import AudioError, CorpusLayoutError, CountMismatchWarning, read_audio
from sertools.data.iemocap import speaker_of

EVAL = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]
C-E2:\tNeutral state;\t()
C-E3:\tNeutral state; Frustration;\t()
C-F1:\tNeutral state;\t()
A-E1:\tval 3; act 2; dom  3;\t()
A-E2:\tval 2; act 3; dom  2;\t()
A-F1:\tval 3; act 3; dom  ;\t()

[10.0 - 11.5]\tSes01F_impro01_M000\texc\t[3.5000, 4.0000, 3.0000]
C-E1:\tExcited;\t()
C-E2:\tHappiness;\t()
A-E1:\tval 4; act 4; dom  3;\t()

[12.0 - 13.5]\tSes01F_impro01_M001\txxx\t[3.0000, 3.0000, 3.0000]
C-E1:\tAnger;\t()
C-E2:\tSadness;\t()
"""


def make_iemocap(root, tone, sessions=range(1, 6)):
    for s in sessions:
        sdir = root / "IEMOCAP_full_release" / f"Session{s}"
        text = EVAL.replace("Ses01", f"Ses{s:02d}")
        (sdir / "dialog" / "EmoEvaluation").mkdir(parents=True)
        (sdir / "dialog" / "EmoEvaluation" / f"Ses{s:02d}F_impro01.txt").write_text(text)
        for utt in ("F000", "M000", "M001"):
            tone(sdir / "sentences" / "wav" / f"Ses{s:02d}F_impro01" / f"Ses{s:02d}F_impro01_{utt}.wav")
    return root


def test_iemocap_speaker_is_the_last_token():
    assert speaker_of("Ses01F_impro01_M000") == "Ses01M"
    assert speaker_of("Ses03M_impro05a_F004") == "Ses03F"
    assert speaker_of("Ses05M_script01_1b_F003") == "Ses05F"
    with pytest.raises(ValueError):
        speaker_of("not_an_id")


def test_iemocap_release_layout(tmp_path, tone):
    make_iemocap(tmp_path, tone)
    with pytest.warns(CountMismatchWarning, match="10039"):
        c = data.load("iemocap", tmp_path)  # the parent of IEMOCAP_full_release works too
    u = c.utterances
    assert len(u) == 15 and not c.synthetic
    assert u.loc["Ses01F_impro01_M000", "speaker"] == "Ses01M"
    assert u.loc["Ses01F_impro01_M000", "gender"] == "M"
    assert u.loc["Ses01F_impro01_M000", "emotion"] == "excited"  # not merged at load time
    assert pd.isna(u.loc["Ses01F_impro01_M001", "emotion"])       # xxx: no agreed label
    assert u.improvised.all() and set(u.session) == {1, 2, 3, 4, 5}
    r = c.ratings[c.ratings.utterance == "Ses01F_impro01_F000"]
    dim = r[r.scheme == "dimensional"].set_index("rater")
    assert dim.loc["E1", "valence"] == 3 and dim.loc["E1", "arousal"] == 2 and dim.loc["E1", "dominance"] == 3
    assert dim.loc["F1", "is_self"] and pd.isna(dim.loc["F1", "dominance"])  # missing dom parsed as NaN
    cat = r[r.scheme == "categorical"].set_index("rater")
    assert cat.loc["E3", "emotion"] == "neutral" and cat.loc["E3", "labels"] == "neutral state;frustration"
    with pytest.raises(ValueError, match="counts differ"):
        data.load("iemocap", tmp_path, strict=True)


def test_iemocap_missing_wav_and_root(tmp_path, tone):
    make_iemocap(tmp_path, tone)
    next(tmp_path.rglob("Ses01F_impro01_M001.wav")).unlink()
    with pytest.raises(CorpusLayoutError, match="wav files listed in EmoEvaluation are missing"):
        data.load("iemocap", tmp_path, strict=True)
    with pytest.warns(CountMismatchWarning, match="utterance counts differ from the known release"), \
            pytest.warns(CountMismatchWarning, match="partial copy.*1 wav files"):
        c = data.load("iemocap", tmp_path)                    # a download in progress: what is there
    assert "Ses01F_impro01_M001" not in c.utterances.index and len(c.utterances) == 14
    with pytest.raises(CorpusLayoutError, match=r"(?s)iemocap.*does not exist.*Expected layout.*EmoEvaluation"):
        data.load("iemocap", tmp_path / "nope")


def test_iemocap_partial_copy_loads_the_sessions_present(tmp_path, tone):
    make_iemocap(tmp_path, tone, sessions=[1, 2])
    for s in (3, 4, 5):  # session folders exist, their EmoEvaluation files not yet
        (tmp_path / "IEMOCAP_full_release" / f"Session{s}" / "sentences" / "wav").mkdir(parents=True)
    with pytest.warns(CountMismatchWarning, match="utterance counts differ from the known release"), \
            pytest.warns(CountMismatchWarning, match="3 of 5 sessions have no EmoEvaluation"):
        c = data.load("iemocap", tmp_path)
    assert set(c.utterances.session) == {1, 2}
    with pytest.raises(CorpusLayoutError, match="3 of 5 sessions"):
        data.load("iemocap", tmp_path, strict=True)


def test_crema_d_upper_case_extension_and_fingerprint_survives_a_move(tmp_path, tone):
    root = tmp_path / "a" / "CREMA-D"
    for name in ("1001_DFA_ANG_XX.WAV", "1001_IEO_HAP_HI.wav", "1002_DFA_NEU_XX.Wav"):
        tone(root / "AudioWAV" / name)
    pd.DataFrame({"ActorID": [1001, 1002], "Sex": ["Male", "Female"]}).to_csv(root / "VideoDemographics.csv",
                                                                              index=False)
    with pytest.warns(CountMismatchWarning):
        c = data.load("crema-d", root)
    assert len(c.utterances) == 3
    moved = tmp_path / "b" / "elsewhere"
    moved.parent.mkdir()
    root.rename(moved)
    with pytest.warns(CountMismatchWarning):
        assert data.load("crema-d", moved).fingerprint() == c.fingerprint()


def test_crema_d_parent_folder_with_underscores(tmp_path, tone):
    root = tmp_path / "my_data_v2" / "CREMA_D"
    for name in ("1001_DFA_ANG_XX", "1001_IEO_HAP_HI", "1002_DFA_NEU_XX", "1076_MTI_SAD_XX"):
        tone(root / "AudioWAV" / f"{name}.wav")
    pd.DataFrame({"ActorID": [1001, 1002, 1076], "Sex": ["Male", "Female", "Female"]}).to_csv(
        root / "VideoDemographics.csv", index=False)
    with pytest.warns(CountMismatchWarning):
        c = data.load("crema-d", root)
    u = c.utterances
    assert list(u.emotion) == ["angry", "happy", "neutral"]
    assert list(u.gender) == ["M", "M", "F"] and u.loc["1001_IEO_HAP_HI", "intensity"] == "HI"
    assert list(c.excluded.utterance) == ["1076_MTI_SAD_XX"]  # the known silent file


def test_crema_d_needs_demographics(tmp_path, tone):
    tone(tmp_path / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    with pytest.raises(CorpusLayoutError, match="VideoDemographics.csv"):
        data.load("crema-d", tmp_path)


def test_ravdess_speech_only_and_gender_from_parity(tmp_path, tone):
    tone(tmp_path / "Actor_01" / "03-01-05-02-01-01-01.wav")  # speech, angry, strong, actor 1 (male)
    tone(tmp_path / "Actor_02" / "03-01-01-01-01-01-02.wav")  # speech, neutral, actor 2 (female)
    tone(tmp_path / "Actor_02" / "03-02-05-01-01-01-02.wav")  # song: not part of the speech set
    tone(tmp_path / "Actor_02" / "01-01-05-01-01-01-02.wav")  # audio-video modality: skipped
    with pytest.warns(CountMismatchWarning):
        c = data.load("ravdess", tmp_path)
    u = c.utterances
    assert len(u) == 2
    assert u.loc["03-01-05-02-01-01-01"].tolist()[1:4] == ["Actor_01", "M", "angry"]
    assert u.loc["03-01-01-01-01-01-02", "gender"] == "F"


def test_tess_nested_flat_and_any_rate(tmp_path, tone):
    tone(tmp_path / "OAF_angry" / "OAF_back_angry.wav", sr=24414)
    tone(tmp_path / "YAF_pleasant_surprise" / "YAF_lid_ps.wav", sr=24414)
    tone(tmp_path / "OAF_food_fear.wav", sr=96000)
    with pytest.warns(CountMismatchWarning):
        c = data.load("tess", tmp_path)
    assert set(c.utterances.emotion) == {"angry", "surprise", "fear"}
    assert set(c.utterances.speaker) == {"OAF", "YAF"}
    x = read_audio(c.utterances.loc["OAF_food_fear", "path"])
    assert abs(len(x) - 8000) <= 1  # 0.5 s resampled to 16 kHz


def test_emodb_savee_emovo(tmp_path, tone):
    tone(tmp_path / "emodb" / "wav" / "03a01Wa.wav")
    tone(tmp_path / "emodb" / "wav" / "08b02Tb.wav")
    tone(tmp_path / "savee" / "AudioData" / "DC" / "sa01.wav")
    tone(tmp_path / "savee_flat" / "KL_su03.wav")
    tone(tmp_path / "emovo" / "f1" / "gio-f1-b1.wav")
    tone(tmp_path / "emovo" / "m2" / "rab-m2-l3.wav")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CountMismatchWarning)
        e = data.load("emodb", tmp_path / "emodb").utterances
        s = data.load("savee", tmp_path / "savee").utterances
        sf_ = data.load("savee", tmp_path / "savee_flat").utterances
        v = data.load("emovo", tmp_path / "emovo").utterances
    assert e.loc["03a01Wa", ["speaker", "gender", "emotion"]].tolist() == ["03", "M", "angry"]
    assert e.loc["08b02Tb", ["gender", "emotion"]].tolist() == ["F", "sad"]
    assert s.loc["DC_sa01", ["speaker", "emotion"]].tolist() == ["DC", "sad"]
    assert sf_.loc["KL_su03", ["speaker", "emotion"]].tolist() == ["KL", "surprise"]
    assert v.loc["gio-f1-b1", ["speaker", "gender", "emotion", "language"]].tolist() == ["f1", "F", "happy", "it"]


def test_wrong_layout_names_expected(tmp_path, tone):
    tone(tmp_path / "random_name.wav")
    with pytest.raises(CorpusLayoutError, match=r"(?s)emodb.*no file names match.*Expected layout.*03a01Wa"):
        data.load("emodb", tmp_path)


def test_voxceleb_and_manifest(tmp_path, tone):
    tone(tmp_path / "vox" / "wav" / "id10001" / "abcdefghijk" / "00001.wav")
    tone(tmp_path / "vox" / "wav" / "id10002" / "zzzzzzzzzzz" / "00001.wav")
    (tmp_path / "vox" / "vox1_meta.csv").write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\nid10001\tA\tm\nid10002\tB\tf\n")
    v = data.load("voxceleb", tmp_path / "vox").utterances
    assert v.gender.tolist() == ["M", "F"] and v.emotion.isna().all()

    m = tmp_path / "nnime"
    tone(m / "a" / "u1.wav")
    tone(m / "a" / "u2.wav")
    pd.DataFrame({"utterance": ["u1", "u2"], "path": ["a/u1.wav", "a/u2.wav"], "speaker": ["s1", "s2"],
                  "gender": ["F", "M"], "emotion": ["happy", None], "session": [1, 2]}).to_csv(m / "manifest.csv", index=False)
    pd.DataFrame({"utterance": ["u1", "u1"], "rater": ["E1", "E2"], "is_self": [False, False], "emotion": [None, None],
                  "valence": [4, 2], "arousal": [3, 3], "dominance": [None, None]}).to_csv(m / "ratings.csv", index=False)
    c = data.load("nnime", m)
    assert c.name == "nnime" and len(c.ratings) == 2 and set(c.ratings.scheme) == {"dimensional"}
    pd.DataFrame({"utterance": ["u1"], "path": ["a/u1.wav"], "speaker": ["s1"], "gender": ["F"],
                  "emotion": ["joy"]}).to_csv(m / "manifest.csv", index=False)
    with pytest.raises(ValueError, match="emotion_raw"):
        data.load("nnime", m)


def test_manifest_genders_speakers_and_paths_are_checked(tmp_path, tone):
    m = tmp_path / "epst"
    for i in range(4):
        tone(m / f"u{i}.wav")

    def write(**cols):
        base = {"utterance": ["u0", "u1", "u2", "u3"], "path": [f"u{i}.wav" for i in range(4)],
                "speaker": ["s1", "s1", "s2", "s2"], "gender": ["f", "Female", "M", None],
                "emotion": ["happy", "sad", "sad", None]}
        pd.DataFrame({**base, **cols}).to_csv(m / "manifest.csv", index=False)

    write()
    u = data.load("epst", m).utterances
    assert u.gender.tolist()[:3] == ["F", "F", "M"] and pd.isna(u.gender.iloc[3])   # case-insensitive, empty kept
    write(gender=["F", "x", "M", "nb"])
    with pytest.raises(ValueError, match=r"(?s)manifest.csv, column 'gender'.*\['nb', 'x'\].*line\(s\) 3, 5 \(u1, u3\)"):
        data.load("epst", m)
    write(speaker=["s1", "", "s2", None])
    with pytest.raises(ValueError, match="column 'speaker': 2 rows without a value"):
        data.load("epst", m)
    (m / "folder").mkdir()
    write(path=["u0.wav", "folder", "u2.wav", "u3.wav"])
    with pytest.raises(CorpusLayoutError, match="1 are folders"):
        data.load("epst", m)


def test_bad_audio_is_reported(tmp_path, tone):
    silent = tone(tmp_path / "silent.wav", silent=True)
    with pytest.raises(AudioError, match="silent.wav: all samples are zero"):
        read_audio(silent)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(AudioError, match="broken.wav: cannot be read"):
        read_audio(broken)
    stereo = tone(tmp_path / "stereo.wav", sr=44100, channels=2)
    assert read_audio(stereo).ndim == 1


@pytest.mark.parametrize("rate", [24_414, 44_100, 48_000, 8_000])
def test_resample_equals_scipy_with_the_filter_designed_once(rate):
    """The cached anti-aliasing filter gives scipy's own result bit for bit, call after call."""
    import numpy as np
    from math import gcd

    from scipy.signal import resample_poly

    from sertools.data.audio import resample

    x = np.random.default_rng(rate).standard_normal(rate // 2).astype(np.float32)
    g = gcd(rate, 16_000)
    expected = resample_poly(x, 16_000 // g, rate // g).astype(np.float32)
    for _ in range(2):
        assert np.array_equal(resample(x, rate, 16_000), expected)
