"""Extractors, the content-addressed cache, and sequence operations."""
import numpy as np
import pytest

from sertools import features
from sertools.features.pitch import kaldi_style_pitch, raw_pitch


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_cache_returns_identical_arrays_and_invalidates_on_parameter_change(cache_home, tone):
    paths = [tone(cache_home / f"a{i}.wav", freq=150 + 50 * i) for i in range(3)]
    st1, st2, st3 = {}, {}, {}
    a = features.extract(paths, features.LogMel(), progress=False, stats=st1)
    b = features.extract(paths, features.LogMel(), progress=False, stats=st2)
    assert st1["computed"] == 3 and st2 == {**st2, "computed": 0, "reused": 3}
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    c = features.extract(paths, features.LogMel(n_mels=20), progress=False, stats=st3)
    assert st3["computed"] == 3 and c[0].shape[1] == 20
    # moving the audio keeps the content hash: features are reused
    moved = cache_home / "moved.wav"
    moved.write_bytes(paths[0].read_bytes())
    st4 = {}
    d = features.extract([moved], features.LogMel(), progress=False, stats=st4)
    assert st4["computed"] == 0 and np.array_equal(d[0], a[0])


def test_extractor_shapes(tone, tmp_path):
    from sertools.data import read_audio

    w = read_audio(tone(tmp_path / "t.wav", seconds=1.0))
    assert features.LogMel().compute(w).shape == (98, 40)
    assert features.LogMel(win_ms=40, pitch=True).compute(w).shape == (97, 43)
    li = features.LogMel(win_ms=40, pitch="raw", energy=True).compute(w)     # Li et al.: 40 + NCCF, F0 + energy
    assert li.shape == (97, 43)
    assert np.allclose(li[:, :40], features.LogMel(win_ms=40).compute(w))
    loud = features.LogMel(win_ms=40, pitch="raw", energy=True).compute(w * 2)
    assert np.allclose(loud[:, 42] - li[:, 42], np.log(4), atol=1e-3)       # energy: log Σ x², +log 4 at twice the gain
    assert features.MuLawSpectrogram().compute(w).shape == (101, 400)
    assert features.MultiWindowLogSTFT().compute(w).shape == (101, 3, 400)
    assert features.MuLawSpectrogram().key() != features.MuLawSpectrogram(n_fft=400).key()
    m = features.MuLawSpectrogram().compute(w).astype(float)
    assert 0 <= m.min() and m.max() == pytest.approx(1.0, abs=1e-3)



def test_log_stft_keeps_the_level_without_per_utterance_z_score(tone, tmp_path):
    from sertools.data import read_audio

    w = read_audio(tone(tmp_path / "t.wav", seconds=1.0))
    z = features.MultiWindowLogSTFT().compute(w).astype(float)
    raw, quiet = (features.MultiWindowLogSTFT(normalise="none").compute(v).astype(float) for v in (w, w * 0.1))
    assert abs(z.mean()) < 1e-2 and z[:, 0].std() == pytest.approx(1.0, abs=1e-2)
    # a tenfold quieter voice: the same image per utterance, ln 10 lower without it
    assert (raw - quiet).mean() == pytest.approx(np.log(10), abs=0.05)
    assert features.MultiWindowLogSTFT().key() != features.MultiWindowLogSTFT(normalise="none").key()
    with pytest.raises(ValueError, match="normalise"):
        features.MultiWindowLogSTFT(normalise="speaker")

def test_emobase45_columns_and_pitch_frame():
    sr = 16000
    t = np.arange(sr) / sr
    x = sum(0.3 / k * np.sin(2 * np.pi * 120 * k * t) for k in range(1, 10)).astype(np.float32)
    f = features.Emobase45().compute(x)
    assert f.shape[1] == 45 and 90 <= f.shape[0] <= 101
    voiced = f[:, 0] > 0
    assert voiced.mean() > 0.5 and np.median(f[voiced, 0]) == pytest.approx(120, rel=0.03)
    # the paper's 60 ms frame breaks openSMILE's ACF pitch at 16 kHz (why the default is 64 ms)
    broken = features.Emobase45(pitch_frame_s=0.060).compute(x)
    assert np.median(broken[broken[:, 0] > 0, 0]) > 200


def test_pitch_substitute_tracks_a_tone():
    sr = 16000
    t = np.arange(sr) / sr
    for f0 in (110.0, 220.0):
        _, f = raw_pitch(np.sin(2 * np.pi * f0 * t).astype(np.float32), sr)
        assert np.median(f) == pytest.approx(f0, rel=0.02)
    out = kaldi_style_pitch(np.sin(2 * np.pi * 150 * t).astype(np.float32), sr, n_frames=50)
    assert out.shape == (50, 3) and np.isfinite(out).all()


def test_sequence_operations():
    x = np.arange(10, dtype=np.float32)[:, None]
    assert features.mean_pool(x, 3).ravel().tolist() == [1.0, 4.0, 7.0, 3.0]  # last block zero-padded
    assert [c.ravel().tolist() for c in features.chunks(x, 4, 4)][-1] == [8.0, 9.0, 0.0, 0.0]
    assert len(features.chunks(x[:3], 4, 2)) == 1
    assert features.crop_or_repeat(x, 4).ravel().tolist() == [3, 4, 5, 6]
    assert features.crop_or_repeat(x[:3], 7).ravel().tolist() == [0, 1, 2, 0, 1, 2, 0]
    z = features.zscore_by_group([x, x + 10, x * 0 + 5], ["a", "a", "b"])
    assert abs(np.concatenate(z[:2]).mean()) < 1e-6 and np.allclose(z[2], 0)
    v = np.array([[0, 1], [120, 2], [0, 3], [130, 4]], np.float32)
    assert features.drop_unvoiced(v)[:, 1].tolist() == [2, 4]


def test_spec_augment_masks():
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.ones(4, 100, 40)
    y = features.spec_augment(x, 30, 3, g)
    assert y.shape == x.shape and (y == 0).any() and torch.all(x == 1)
    assert ((y == 0).all(dim=2).sum(1) <= 30).all()
    for example in y:  # one contiguous band of frames and one of bins, nothing else zeroed
        frames = torch.nonzero((example == 0).all(dim=1)).flatten()
        bins = torch.nonzero((example == 0).all(dim=0)).flatten()
        assert len(bins) <= 3 and torch.equal(bins, torch.arange(len(bins)) + (bins[0] if len(bins) else 0))
        assert torch.equal(frames, torch.arange(len(frames)) + (frames[0] if len(frames) else 0))
        zero = (example == 0)
        assert torch.equal(zero, zero.all(dim=1, keepdim=True) | zero.all(dim=0, keepdim=True))
    many = features.spec_augment(torch.ones(256, 100, 40), 30, 3, torch.Generator().manual_seed(1))
    w = (many == 0).all(dim=2).sum(1)
    assert w.min() == 0 and w.max() == 30 and len(w.unique()) > 20  # widths spread over [0, 30]


def test_the_emobase_config_is_never_rewritten_under_a_reader():
    """Worker processes starting together once read a config another was rewriting (openSMILE
    "Code: 7"): the file is named by its content, written once, by rename."""
    from sertools.features.smile import emobase_v2_config

    first = emobase_v2_config(0.064)
    before = first.stat()
    second = emobase_v2_config(0.064)
    after = second.stat()
    assert first == second and (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert "frameSize = 0.064" in first.read_text() and emobase_v2_config(0.040) != first


def test_fan_inputs_are_standardised_with_the_training_utterances_only(tone, tmp_path, monkeypatch):
    import pandas as pd

    from sertools.experiments import fan2020

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    paths = [tone(tmp_path / f"{i}.wav", seconds=2.0 + i, freq=200.0 * (i + 1)) for i in range(3)]
    u = pd.DataFrame({"path": [str(p) for p in paths], "emotion": ["angry", "sad", "happy"], "gender": "F"},
                     index=["a", "b", "c"])
    P = fan2020.parameters({"profile": "smoke"})
    raw = features.extract(list(u.path), fan2020.extractor(P), progress=False)
    mean, std = fan2020.input_stats(u, ["a", "b"], P)           # "c" is the test utterance
    train = np.concatenate([x.astype(float) for x in raw[:2]]).transpose(1, 0, 2).reshape(3, -1)
    np.testing.assert_allclose(mean, train.mean(1), rtol=1e-6)
    np.testing.assert_allclose(std, train.std(1), rtol=1e-6)
    first = fan2020.segments(u, ["c"], P, {"a": 0, "b": 1, "c": 2}, (mean, std)).items[0]["x"]
    np.testing.assert_allclose(first, (raw[2][: P.image[1]].astype(float) - mean[None, :, None]) / std[None, :, None],
                               rtol=1e-4, atol=1e-4)
    assert fan2020.input_stats(u, ["a"], fan2020.parameters({"profile": "smoke", "normalise": "utterance"})) is None


def test_mu_law_spectrogram_scaled_by_a_corpus_peak_keeps_the_level(tone, tmp_path):
    from sertools.data import read_audio

    w = read_audio(tone(tmp_path / "t.wav", seconds=1.0))
    own = features.MuLawSpectrogram().compute(w).astype(float)
    raw, quiet = (features.MuLawSpectrogram(scale="none").compute(v).astype(float) for v in (w, w * 0.1))
    np.testing.assert_allclose(features.mu_law(raw / raw.max()), own, atol=2e-3)   # the per-utterance reading
    assert features.mu_law(quiet / raw.max()).max() < 0.7 < own.max()             # one peak: quieter stays quieter
    assert features.mu_law(np.array([-1.0, 0.0, 1.0, 2.0])).tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="scale"):
        features.MuLawSpectrogram(scale="speaker")


@pytest.mark.parametrize("make", [lambda: features.MultiWindowLogSTFT(normalise="none"),
                                  lambda: features.MuLawSpectrogram(scale="none"), lambda: features.LogMel()])
def test_features_do_not_depend_on_the_other_files_of_a_batch(tone, tmp_path, make):
    # cached per file, so a file's features must be the same alone or batched beside a longer one
    from sertools.data import read_audio

    short, long = (read_audio(tone(tmp_path / f"{s}.wav", seconds=s, freq=330.0)) for s in (0.73, 1.9))
    ex = make()
    alone, batched = ex.compute_batch([short], "cpu")[0], ex.compute_batch([short, long], "cpu")[0]
    np.testing.assert_array_equal(alone, batched)


def test_parry_inputs_scaled_over_the_training_split_keep_the_level(tone, tmp_path, monkeypatch):
    import pandas as pd
    import soundfile as sf

    from sertools.data import read_audio
    from sertools.experiments import parry2022

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    loud = tone(tmp_path / "loud.wav", seconds=1.0, freq=220.0)
    other = tone(tmp_path / "other.wav", seconds=0.8, freq=440.0)
    quiet = tmp_path / "quiet.wav"                                    # the loud tone, ten times quieter
    sf.write(quiet, read_audio(loud) * 0.1, 16000, subtype="PCM_16")
    u = pd.DataFrame({"path": [str(loud), str(other), str(quiet)]}, index=["loud", "other", "quiet"])
    own = parry2022.inputs(u, frame_step=2)                           # the per-utterance reading
    assert np.abs(own["loud"] - own["quiet"]).mean() < 0.05            # the level is gone (up to the log floor)
    assert abs(float(own["other"].mean())) < 1e-5 and abs(float(own["other"].std()) - 1) < 1e-4
    raw = parry2022.inputs(u, frame_step=2, per_utterance=False)
    mu, sd = parry2022.training_scale(raw, ["loud", "other"])        # "quiet" is the test utterance
    train = np.concatenate([raw["loud"].ravel(), raw["other"].ravel()]).astype(float)
    assert (mu, sd) == pytest.approx((train.mean(), train.std()), rel=1e-6)
    assert ((raw["quiet"] - mu) / sd).mean() < ((raw["loud"] - mu) / sd).mean() - 0.5   # quieter stays quieter
    assert parry2022.parameters({"profile": "smoke"}).normalise == "training"
