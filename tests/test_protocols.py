"""Folds and label policies."""
import numpy as np
import pandas as pd
import pytest

from sertools import protocols


def fake_iemocap(n_per_speaker=20, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(1, 6):
        for g in "FM":
            for i in range(n_per_speaker):
                rows.append(dict(utterance=f"Ses{s:02d}{'FM'[i % 2]}_impro01_{g}{i:03d}", speaker=f"Ses{s:02d}{g}",
                                 session=s, emotion=rng.choice(["neutral", "happy", "excited", "angry", "sad", "fear"]),
                                 improvised=bool(i % 3), corpus="c" + str(s % 2)))
    return pd.DataFrame(rows).set_index("utterance")


def partitions_disjoint_by_speaker(folds, utts, parts=("train", "val", "test")):
    for f in folds:
        sets = [set(utts.speaker.loc[list(getattr(f, p))]) for p in parts]
        for i in range(len(sets)):
            for j in range(i + 1, len(sets)):
                if sets[i] & sets[j]:
                    return False
    return True


def test_soft_label_example_of_chou_and_lee():
    r = pd.DataFrame({"utterance": ["u"] * 3, "rater": list("ABC"), "is_self": False, "valence": [4, 2, 1]})
    assert protocols.soft_labels(r, "valence").loc["u"].round(2).tolist() == [0.67, 0.0, 0.33]
    assert protocols.majority_vote(r, "valence").loc["u"] == 0


def test_majority_vote_drops_ties_and_excludes_target():
    r = pd.DataFrame({"utterance": ["u"] * 3 + ["v"] * 2, "rater": ["A", "B", "C", "A", "B"], "is_self": False,
                      "arousal": [3, 5, 3, 1, 5]})
    mv = protocols.majority_vote(r, "arousal")
    assert mv.to_dict() == {"u": 1}  # v is a tie (low vs high)
    soft = protocols.soft_labels(r, "arousal", exclude="A", min_raters=2)
    assert soft.index.tolist() == ["u"] and soft.loc["u"].tolist() == [0, 0.5, 0.5]
    assert protocols.bin3([1, 2, 3, 4, 5]).tolist() == [0, 0, 1, 2, 2]


@pytest.mark.parametrize("make", [
    lambda u: protocols.leave_one_session_out(u, "partner"),
    lambda u: protocols.leave_one_speaker_out(u, "partner"),
    lambda u: protocols.leave_one_speaker_out(u, "none"),
    lambda u: protocols.speaker_disjoint_split(u, within="corpus"),
])
def test_no_speaker_in_two_partitions(make):
    u = fake_iemocap()
    folds = make(u)
    assert partitions_disjoint_by_speaker(folds, u)
    for f in folds:
        assert not (set(f.train) & set(f.test)) and len(f.test) > 0


def test_random_validation_is_declared_speaker_dependent():
    u = fake_iemocap()
    folds = protocols.leave_one_session_out(u, "random")
    assert not folds.speaker_independent
    assert partitions_disjoint_by_speaker(folds, u, parts=("train", "test"))
    assert len(folds) == 5 and all(abs(len(f.val) - 0.1 * (len(f.val) + len(f.train))) <= 1 for f in folds)


def test_loso_speaker_has_ten_folds_with_partner_validation():
    u = fake_iemocap()
    folds = protocols.leave_one_speaker_out(u)
    assert len(folds) == 10
    f = folds[0]
    assert set(u.speaker.loc[list(f.test)]) == {"Ses01F"} and set(u.speaker.loc[list(f.val)]) == {"Ses01M"}


def test_fold_hash_is_stable_and_sensitive(tmp_path):
    u = fake_iemocap()
    a, b = protocols.leave_one_speaker_out(u), protocols.leave_one_speaker_out(u)
    assert a.hash == b.hash
    assert protocols.leave_one_speaker_out(u.iloc[1:]).hash != a.hash
    path = a.write(tmp_path)
    assert a.hash in path.name and len(pd.read_csv(path)) == sum(len(f.train) + len(f.val) + len(f.test) for f in a)


def test_four_class_merges_excited():
    u = fake_iemocap()
    four = protocols.four_class(u)
    assert set(four.emotion) == {"neutral", "happy", "angry", "sad"}
    assert (four.emotion == "happy").sum() == u.emotion.isin(["happy", "excited"]).sum()
    assert "excited" not in set(protocols.four_class(u, merge_excited=False).emotion)


def test_polarity_map():
    u = pd.DataFrame({"emotion": ["happy", "sad", "neutral", "surprise", "other"]})
    assert protocols.polarity(u).polarity.tolist() == ["positive", "negative", "neutral", "positive"]
