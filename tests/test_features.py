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
    assert features.MuLawSpectrogram().compute(w).shape == (101, 400)
    assert features.MultiWindowLogSTFT().compute(w).shape == (101, 3, 400)
    assert features.MuLawSpectrogram().key() != features.MuLawSpectrogram(n_fft=400).key()
    m = features.MuLawSpectrogram().compute(w).astype(float)
    assert 0 <= m.min() and m.max() == pytest.approx(1.0, abs=1e-3)


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
