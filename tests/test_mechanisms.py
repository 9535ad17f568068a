"""Mechanism knobs (sertools.data.synth.knobs) and their meters (sertools.mechanisms): a knob is
validated once, names its corpus folder, changes only its own cause, reuses the audio when it acts
on labels only, and each meter moves in the intended direction with its knob (smoke corpora)."""
from pathlib import Path

import pytest

from sertools import data, mechanisms
from sertools.config import ParameterError, resolve_parameters
from sertools.data.audio import content_hash
from sertools.data.synth import generate
from sertools.data.synth.knobs import KNOBS, KnobError, folder_tag, validate

ROOT = Path("/")


def embedded(name, knobs=None, size="smoke"):
    return data.embedded(name, size=size, knobs=knobs, progress=False)


# --------------------------------------------------------------------------- the knob table
def test_knobs_are_validated_against_the_table():
    assert validate(None) == {} and validate({"gain_db": 3}) == {}           # a default is no change
    assert validate("{'li_style': 1, 'chou_rater_angle': 25}") == {"chou_rater_angle": 25.0, "li_style": 1.0}
    with pytest.raises(KnobError, match="unknown knob 'li_stlye'; knobs: gain_db"):
        validate({"li_stlye": 1})
    with pytest.raises(KnobError, match=r"'li_confound' = 2 is outside \[0, 0.9\]"):
        validate({"li_confound": 2})
    with pytest.raises(KnobError, match="takes a number"):
        validate({"gain_db": True})
    for name, k in KNOBS.items():
        assert k.low <= k.default <= k.high and all(k.low <= d <= k.high for d in k.doses), name
        assert k.acts_on in ("audio", "ratings", "selection") and k.paper and k.unit


def test_one_chapter_parameter_carries_the_knobs():
    P = resolve_parameters("ch", {"profile": "book"}, {}, {})
    assert P.knobs == {}
    P2 = resolve_parameters("ch", {"profile": "book", "knobs": "{'li_confound': 0.4}"}, {}, {})
    assert P2.knobs == {"li_confound": 0.4} and P2.hash != P.hash
    with pytest.raises(ParameterError, match="invalid value .* for parameter 'knobs': unknown knob 'x'"):
        resolve_parameters("ch", {"profile": "book", "knobs": {"x": 1}}, {}, {})


def test_folders_carry_the_knobs_that_change_their_files():
    assert folder_tag("iemocap", {}) == ""
    assert folder_tag("iemocap", {"li_style": 0.5, "gain_db": 0}) == "+gain_db=0+li_style=0.5"
    assert folder_tag("crema-d", {"li_style": 0.5}) == ""             # Li's knobs act on IEMOCAP only
    assert folder_tag("iemocap", {"li_confound": 0.4}) == ""          # selection: same folder, same audio
    names = {generate.folder_name("iemocap", "smoke", 0, k) for k in ({}, {"gain_db": 0}, {"gain_db": 6})}
    assert len(names) == 3


# --------------------------------------------------------------------------- a knob turns its cause only
def _jobs(name, knobs):
    p = generate.plan(name, "smoke", 0, knobs)
    return [u.job(ROOT, p.sample_rate) for u in p.utts]


def test_each_knob_changes_its_own_cause_and_nothing_else():
    base = _jobs("iemocap", {})
    gain0 = _jobs("iemocap", {"gain_db": 0})
    assert [dict(j, gain_db=0) for j in base] == gain0 and len({j["gain_db"] for j in base}) > 5
    styled = generate.plan("iemocap", "smoke", 0, {"fan_gender_style": 1})
    default = generate.plan("iemocap", "smoke", 0, {})
    for a, b in zip(default.utts, styled.utts):
        assert (a.emotion, a.text, a.seed, a.speaker.id) == (b.emotion, b.text, b.seed, b.speaker.id)
        same = a.job(ROOT, 16000) == b.job(ROOT, 16000)
        assert same == (a.emotion == "neutral")  # only emotional renditions change
    rated = _jobs("iemocap", {"chou_rater_angle": 50})
    assert rated == base                                            # raters only: the same audio


def test_a_ratings_only_knob_reuses_the_audio_and_changes_the_ratings():
    default, styled = embedded("iemocap"), embedded("iemocap", {"chou_rater_angle": 50})
    assert styled.root != default.root and styled.info["stats"]["rendered"] == 0
    a, b = default.utterances.path.iloc[:5], styled.utterances.path.iloc[:5]
    assert [content_hash(p) for p in a] == [content_hash(p) for p in b]
    assert not default.ratings.valence.equals(styled.ratings.valence)
    assert styled.fingerprint() != default.fingerprint() and "chou_rater_angle=50" in styled.description


def test_selection_knobs_keep_a_deterministic_subset_of_the_same_files():
    full, thin = embedded("iemocap"), embedded("iemocap", {"emotion_fraction": 0.5})
    assert thin.root == full.root and set(thin.utterances.index) < set(full.utterances.index)
    assert 0.4 < len(thin) / len(full) < 0.65 and thin.info["selection"]["of"] == len(full)
    assert set(thin.ratings.utterance) <= set(thin.utterances.index)
    again = embedded("iemocap", {"emotion_fraction": 0.5})
    assert list(again.utterances.index) == list(thin.utterances.index)
    assert thin.fingerprint() != full.fingerprint()


# --------------------------------------------------------------------------- meters move with their knobs
def test_table_meters_move_with_their_knobs():
    v = [mechanisms.speaker_label_association(embedded("iemocap", {"li_confound": d}))["value"] for d in (0, 0.8)]
    assert v[1] > v[0] + 0.2
    agree = [mechanisms.corater_agreement(embedded("iemocap", {"chou_rater_angle": d}))["value"] for d in (0, 50)]
    assert agree[0] > agree[1] + 0.1
    bias = [mechanisms.rater_bias_spread(embedded("iemocap", {"chou_rater_bias": d}))["value"] for d in (0, 1)]
    assert bias[1] > bias[0] + 0.3
    skew = [mechanisms.corpus_label_association([embedded(n, {"parry_label_skew": d}) for n in ("iemocap", "crema-d",
                                                                                               "tess")])["value"]
            for d in (0, 0.8)]
    assert skew[1] > skew[0] + 0.3


def test_audio_meters_move_with_their_knobs():
    level = [mechanisms.level_cue(embedded("iemocap", {"gain_db": d}))["value"] for d in (0, 6)]
    assert level[0] > level[1] + 0.1
    style = [mechanisms.style_consistency(embedded("iemocap", {"li_style": d}))["value"] for d in (0, 1.5)]
    assert style[0] > style[1] + 0.1
    fan = [mechanisms.gender_transfer(embedded("iemocap", {"fan_gender_style": d}))["value"] for d in (0, 1)]
    assert fan[1] > fan[0] + 0.1
    clean = embedded("crema-d", {"parry_channel": 0})
    shift = [mechanisms.channel_shift(embedded("crema-d", {"parry_channel": d}), clean)["value"] for d in (0, 1, 2.5)]
    assert shift[0] == 0 and shift[2] > shift[1] > 1


def test_the_pretraining_and_scarcity_meters_move_with_their_knobs():
    emo = embedded("iemocap")
    shared = [mechanisms.shared_structure(embedded("voxceleb", {"xi_shared": d}), emo)["value"] for d in (0, 2.5)]
    assert shared[1] > shared[0]
    scarce = [mechanisms.data_scarcity(embedded("iemocap", {"emotion_fraction": d}), emo)["value"] for d in (1, 0.1)]
    assert scarce[0] > scarce[1]


def test_the_calibration_check_fails_outside_its_band():
    import pandas as pd

    from sertools import calibration

    ok = pd.DataFrame({"reference UA": [0.52, 0.55, 0.58]}, index=[0, 1, 2])
    assert calibration.problems(ok) == []
    low = pd.DataFrame({"reference UA": [0.47, 0.55, 0.58]}, index=[0, 1, 2])
    assert calibration.problems(low) == ["seed 0: reference UA 47.0 % outside 50–60 %"]
    high = pd.DataFrame({"reference UA": [0.61, 0.62, 0.63]}, index=[0, 1, 2])
    assert calibration.problems(high)[0] == "mean reference UA 62.0 % outside 50–60 %"
    rec = calibration.load_record()
    assert rec is not None and set(rec["seeds"]) == {"0", "1", "2"} and rec["band"] == list(calibration.BAND)
