"""Fault injection: each bad input, corrupt cache, wrong path, missing extra, concurrent run or crash
of issue 38 is made here, and the test asserts a clear error (file, line or parameter, and what was
expected) or the right handling. Each test failed on 00babd6's behaviour (said in its docstring)."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sertools import data
from sertools.data import AudioError, CorpusLayoutError, CountMismatchWarning, read_audio
from sertools.data.columns import MetadataError
from sertools.storage import CorruptResultWarning, StateError
from test_loaders import make_iemocap

ROOT = Path(__file__).resolve().parent.parent


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


# --------------------------------------------------------------------------- corrupt caches heal
def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught if issubclass(w.category, CorruptResultWarning)]


def _experiment(tmp_path):
    from sertools.results import Experiment

    return Experiment("t", "p", "c", "s", root=tmp_path / "results")


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_corrupt_result_npz_is_moved_aside_and_recomputed(tmp_path, damage):
    """00babd6 failed every rerun with ``BadZipFile`` (or ``zlib.error``) and no file name."""
    exp, calls = _experiment(tmp_path), []
    key = {"system": "a", "seed": 0}
    job = lambda: calls.append(1) or ({"ua": 0.5}, {"prob": np.linspace(0, 1, 400)})  # noqa: E731
    exp.unit(key, job)
    npz = next((exp.dir / "units").glob("*.npz"))
    raw = npz.read_bytes()
    npz.write_bytes(raw[: len(raw) // 2] if damage == "truncate" else raw[:60] + bytes(b ^ 0xFF for b in raw[60:90])
                    + raw[90:])
    (rows, arrays), messages = _caught(lambda: exp.unit(key, job))
    assert len(calls) == 2 and np.array_equal(arrays["prob"], np.linspace(0, 1, 400))
    assert any(str(npz) in m for m in messages), messages
    assert npz.with_name(npz.name + ".corrupt").exists() and npz.exists()
    assert len(exp.table()) == 1


def test_a_corrupt_feature_array_is_moved_aside_and_recomputed(tmp_path, tone, monkeypatch):
    """00babd6 failed with ``EOF: reading array header``, no path, and the file stayed."""
    from sertools import features

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    paths = [tone(tmp_path / f"a{i}.wav", freq=150 + 50 * i) for i in range(2)]
    first = features.extract(paths, features.LogMel(), progress=False)
    npy = sorted((tmp_path / "cache" / "features").rglob("*.npy"))[0]
    npy.write_bytes(npy.read_bytes()[:50])
    stats = {}
    again, messages = _caught(lambda: features.extract(paths, features.LogMel(), progress=False, stats=stats))
    assert all(np.array_equal(a, b) for a, b in zip(first, again)) and stats["computed"] == 1
    assert any(str(npy) in m and "EOF" in m for m in messages), messages
    assert npy.with_name(npy.name + ".corrupt").exists()


def test_a_truncated_checkpoint_is_moved_aside_and_trained_again(tmp_path):
    import torch

    from sertools.train import ItemDataset, System, TrainConfig, fit

    class Tiny(System):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)

        def forward(self, batch):
            return {"logits": self.net(batch["x"].mean(1))}

    items = ItemDataset([{"x": np.full((3, 2), i % 2, np.float32), "y": i % 2, "utt": i} for i in range(8)])
    cfg, ckpt = TrainConfig(epochs=1, batch_size=4, lr=0.1, monitor=None), tmp_path / "ck" / "m.pt"
    fit(Tiny(), items, cfg, checkpoint=ckpt, device="cpu")
    assert fit(Tiny(), items, cfg, checkpoint=ckpt, device="cpu").resumed
    for damage in (ckpt.read_bytes()[:200], b"\x80\x04N."):     # cut short; a pickle that holds no weights
        ckpt.write_bytes(damage)
        hist, messages = _caught(lambda: fit(Tiny(), items, cfg, checkpoint=ckpt, device="cpu"))
        assert not hist.resumed and any(str(ckpt) in m for m in messages)
        assert fit(Tiny(), items, cfg, checkpoint=ckpt, device="cpu").resumed   # the new one is whole
    assert not list(ckpt.parent.glob(".*.tmp"))


def test_a_corrupt_corpus_marker_is_moved_aside_and_the_corpus_written_again(tmp_path, monkeypatch):
    from sertools.data.corpus import read_marker
    from sertools.data.synth import generate

    monkeypatch.setenv("SERTOOLS_CORPORA", str(tmp_path))
    folder = tmp_path / "emovo-smoke-s0"
    folder.mkdir()
    (folder / "SYNTHETIC.json").write_text('{"generator": "sertools.data.synth", "vers')   # cut short
    with pytest.raises(CorpusLayoutError, match=r"SYNTHETIC.json is corrupt .*delete the folder"):
        read_marker(folder)                                    # a loader names it
    written = []

    def fake_write(name, plan, folder, size, seed, knobs, workers, progress, store):
        written.append(name)
        (folder / "SYNTHETIC.json").write_text(json.dumps(dict(version=generate.GENERATOR_VERSION, size=size,
                                                                seed=seed, code=generate.generator_hash())))

    monkeypatch.setattr(generate, "_write", fake_write)
    _, messages = _caught(lambda: generate.synthesize("emovo", size="smoke"))
    assert written == ["emovo"] and any("SYNTHETIC.json" in m for m in messages)
    assert (folder / "SYNTHETIC.json.corrupt").exists()
    generate.synthesize("emovo", size="smoke")
    assert written == ["emovo"]                                 # whole again: reused


def test_a_corrupt_audio_hash_index_is_rebuilt(tmp_path, tone, monkeypatch):
    from sertools.features.cache import AudioHashIndex

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    path = str(tone(tmp_path / "a.wav"))
    h = AudioHashIndex().hashes([path])
    index = tmp_path / "cache" / "audio_index.v2.sqlite"
    index.write_bytes(b"garbage, not a database" * 100)
    again, messages = _caught(lambda: AudioHashIndex().hashes([path]))
    assert again == h and any(str(index) in m for m in messages)


# --------------------------------------------------------------------------- writes that fail
def _disk_full(real):
    """A writer that writes half of what it is given, then fails as a full disk does."""
    def write(fh, *args, **kwargs):
        import io

        buf = io.BytesIO()
        real(buf, *args, **kwargs)
        fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


def test_a_full_disk_leaves_no_partial_file_and_says_so(tmp_path, tone, monkeypatch):
    """00babd6 failed with "7310 requested and 5088 written" and left a ``.tmp.npy`` behind for good."""
    from sertools import features
    from sertools.features import cache

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    paths = [tone(tmp_path / "a.wav")]
    monkeypatch.setattr(cache.np, "save", _disk_full(np.save))
    with pytest.raises(StateError, match=r"cannot write .*\.npy: the disk is full .*SERTOOLS_HOME"):
        features.extract(paths, features.LogMel(), progress=False)
    monkeypatch.undo()
    left = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.suffix in (".tmp", ".npy")]
    assert left == [], left
    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    assert features.extract(paths, features.LogMel(), progress=False)[0].shape[1] == 40   # room again: it works

    exp = _experiment(tmp_path)
    monkeypatch.setattr(np, "savez_compressed", _disk_full(np.savez_compressed))
    with pytest.raises(StateError, match=r"cannot write .*units/\w+\.npz: the disk is full"):
        exp.unit({"seed": 0}, lambda: ({"ua": 1.0}, {"p": np.zeros(1000)}))
    assert [p.name for p in (exp.dir / "units").iterdir()] == []


def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    """A SIGKILL mid-write leaves the temporary (never the target); 00babd6 kept such files for good."""
    from sertools.storage import atomic_write

    target = tmp_path / "unit.npz"
    code = (f"import os, signal, sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from sertools.storage import atomic_write\n"
            f"with atomic_write({str(target)!r}) as fh:\n"
            "    fh.write(b'half of it'); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == -9
    left = list(tmp_path.glob(".unit.npz.*.tmp"))
    assert len(left) == 1 and not target.exists()
    with atomic_write(target) as fh:
        fh.write(b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["unit.npz"] and target.read_bytes() == b"whole"


def test_a_read_only_state_folder_is_named_with_what_to_do(tmp_path, tone, monkeypatch):
    """00babd6 said only "attempt to write a readonly database"."""
    import sqlite3

    from sertools import features
    from sertools.results import Experiment

    monkeypatch.setenv("SERTOOLS_CACHE", str(tmp_path / "cache"))
    paths = [tone(tmp_path / "a.wav")]
    features.extract(paths, features.LogMel(), progress=False)
    connect = sqlite3.connect                                  # root ignores chmod: open it read-only instead
    monkeypatch.setattr(sqlite3, "connect", lambda p, **kw: connect(f"file:{p}?mode=ro", uri=True, **kw))
    with pytest.raises(StateError, match=r"cannot write .*audio_index.v2.sqlite: the folder is read-only "
                                         r"\(attempt to write a readonly database\); make it writable, or point "
                                         r"SERTOOLS_HOME"):
        features.extract([tone(tmp_path / "b.wav", freq=300)], features.LogMel(), progress=False)
    monkeypatch.undo()

    def refuse(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(StateError, match=r"cannot create .*results/t/\w+/units: the folder is read-only"):
        Experiment("t", "p", "c", "s", root=tmp_path / "results")


def test_a_script_from_stdin_that_starts_workers_says_what_to_do(tmp_path):
    """00babd6 failed with ``FileNotFoundError: '<stdin>'`` inside a ``BrokenProcessPool``."""
    code = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom sertools.parallel import map_units\n" \
           "print(map_units(abs, [(-1,), (2,)], workers=2))\n"
    res = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "SERTOOLS_UNIT_PROGRESS": "0"})
    assert res.returncode != 0
    assert "UnimportableScriptError: worker processes import the script that starts them, and '<stdin>'" in res.stderr
    assert "save the script to a file" in res.stderr and "BrokenProcessPool" not in res.stderr, res.stderr[-3000:]


# --------------------------------------------------------------------------- paths, the CLI, clean logs
NOTEBOOK = """---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

```{code-cell} ipython3
:tags: [parameters]

data_root = None
fail = False
```

```{code-cell} ipython3
from pathlib import Path
from sertools import data
from sertools.parallel import start_fork_server

start_fork_server()   # as a chapter does when it resolves its parameters: still importing when a quick run ends
if fail:
    data.load("iemocap", data_root)
print("DATA_ROOT", Path(data_root).resolve())
```
"""


def _run_cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "SERTOOLS_WORKERS"}
    return subprocess.run([sys.executable, "-m", "sertools.run", str(tmp_path / "tiny.md"), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={**env, "SERTOOLS_RECORD_TIMING": "0"})


def test_user_paths_resolve_against_the_callers_folder_and_logs_stay_clean(tmp_path):
    """00babd6 resolved a relative ``data_root`` against the output notebook's folder (where papermill
    starts the kernel); its one-line failure summary showed the last line of the error (a line of
    the expected layout, not "does not exist"); a run logged "KeyboardInterrupt caught in kernel"
    and, when it ended while the fork server imported, a fork-server traceback."""
    import nbformat

    (tmp_path / "tiny.md").write_text(NOTEBOOK)
    (tmp_path / "corpora").mkdir()
    ok = _run_cli(tmp_path, "-p", "data_root", "corpora", "-o", "out/tiny.ipynb")
    assert ok.returncode == 0, ok.stderr[-3000:]
    nb = nbformat.read(tmp_path / "out" / "tiny.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"DATA_ROOT {tmp_path / 'corpora'}\n" in printed, printed
    assert "KeyboardInterrupt" not in ok.stderr + ok.stdout and "Traceback" not in ok.stderr, ok.stderr[-3000:]

    bad = _run_cli(tmp_path, "-p", "data_root", "missing", "-p", "fail", "True", "-o", "out/tiny.ipynb")
    assert bad.returncode == 1
    first = bad.stderr.strip().splitlines()[0]
    assert first.startswith("tiny: FAILED after") and f"CorpusLayoutError: iemocap: {tmp_path / 'missing'} does not " \
        "look like a iemocap corpus: the folder does not exist" in first, bad.stderr[-3000:]
    assert "Traceback" not in bad.stderr and "KeyboardInterrupt" not in bad.stderr, bad.stderr[-3000:]


def test_state_folders_from_the_environment_are_made_absolute_for_the_kernel(tmp_path, monkeypatch):
    from sertools.run import absolute_paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERTOOLS_HOME", "state")
    out = absolute_paths({"data_root": "~/x", "results_from": "sweep", "seeds": [0], "device": "cpu"})
    assert out == {"data_root": str(Path("~/x").expanduser()), "results_from": str(tmp_path / "sweep"), "seeds": [0],
                   "device": "cpu"}
    assert os.environ["SERTOOLS_HOME"] == str(tmp_path / "state")


def test_an_installed_package_finds_its_chapters_or_says_what_to_set(tmp_path, monkeypatch, capsys):
    """00babd6, installed with ``pip install .``, printed a blank line for ``--list`` and "chapters: "
    (empty) for a chapter, with no word of SERTOOLS_BOOK_ROOT."""
    from sertools import run

    monkeypatch.setattr(run, "PROJECT_ROOT", tmp_path / "site-packages")
    monkeypatch.setattr(run, "PACKAGED", tmp_path / "site-packages" / "sertools" / "_book")
    monkeypatch.delenv("SERTOOLS_BOOK_ROOT", raising=False)
    for argv in (["--list"], ["li2020", "--help"], ["li2020", "-p", "profile", "smoke"]):
        assert run.main(argv) == 2
        err = capsys.readouterr().err
        assert "no chapter sources found" in err and "Set SERTOOLS_BOOK_ROOT to a checkout of the book" in err, err
    monkeypatch.setenv("SERTOOLS_BOOK_ROOT", str(tmp_path))
    assert run.main(["--list"]) == 2 and "holds no chapter sources" in capsys.readouterr().err
    monkeypatch.setenv("SERTOOLS_BOOK_ROOT", str(ROOT))
    assert run.main(["--list"]) == 0 and "02_li2020" in capsys.readouterr().out
    monkeypatch.delenv("SERTOOLS_BOOK_ROOT")
    shipped = _build_py(tmp_path / "build")                    # what the wheel holds
    monkeypatch.setattr(run, "PACKAGED", shipped)
    assert run.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == sorted(p.stem for p in (ROOT / "notebooks").glob("*.md"))


def _build_py(build_lib: Path) -> Path:
    """Run setup.py's build hook as a wheel build does; → the packaged book folder it wrote."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sertools_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ship_chapters(ROOT, build_lib)
    assert "notebooks/*.md" in (ROOT / "MANIFEST.in").read_text()   # an sdist carries them to its wheel
    return build_lib / "sertools" / "_book"


def test_a_run_without_the_book_extra_names_it(monkeypatch, capsys):
    """00babd6 failed on ``No module named 'papermill'`` with no hint of the extra."""
    from sertools import run

    monkeypatch.setitem(sys.modules, "papermill", None)       # as if it were not installed
    assert run.main(["li2020", "-p", "profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "needs the 'book' extra" in err and "pip install 'sertools[book]'" in err and "'papermill'" in err


def test_device_cuda_without_cuda_fails_even_when_every_unit_is_stored():
    """00babd6 resolved the device inside the units only: with every unit cached, ``device cuda`` on a
    machine without CUDA succeeded silently."""
    import torch

    from sertools.config import ParameterError, resolve_parameters

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ParameterError, match="device='cuda' was asked for but torch sees no CUDA device"):
        resolve_parameters("t", {"device": "cuda"}, {}, {"book": {"seeds": [0]}})


# --------------------------------------------------------------------------- concurrent runs, a killed run
EXPERIMENT = '''
import json, os, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path

import numpy as np

from sertools.results import Experiment
from sertools.storage import atomic_write


def unit(exp, i, log, pause):
    key = {{"unit": i, "seed": i}}

    def work():  # a small least-squares model per unit, with its weights as the unit's checkpoint
        with open(log, "a") as fh:
            fh.write(f"{{os.getpid()}} {{i}}\\n")
        rng = np.random.default_rng(i)
        x, w = rng.standard_normal((400, 20)), rng.standard_normal(20)
        y = x @ w + 0.1 * rng.standard_normal(400)
        fit, *_ = np.linalg.lstsq(x, y, rcond=None)
        with atomic_write(exp.checkpoint(key)) as fh:
            np.save(fh, fit)
        time.sleep(pause)
        return {{"error": float(np.abs(fit - w).max())}}, {{"weights": fit, "pred": x @ fit}}

    return exp.unit(key, work)


if __name__ == "__main__":
    root, log, order, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    if len(sys.argv) > 5:  # a start barrier: wait (at most 2 min) until every process is ready
        ready, n = Path(sys.argv[5]), int(sys.argv[6])
        ready.mkdir(exist_ok=True)
        (ready / str(os.getpid())).touch()
        t0 = time.time()
        while len(list(ready.iterdir())) < n and time.time() - t0 < 120:
            time.sleep(0.01)
    exp = Experiment("faults", "p", "c", "s", root=Path(root))
    units = range(8) if order == "up" else range(7, -1, -1)
    arrays = {{i: unit(exp, i, log, pause)[1]["pred"] for i in units}}
    table = exp.table().sort_values("unit").reset_index(drop=True)
    print(json.dumps({{"table": table.to_dict("list"), "pred": {{i: a.tolist() for i, a in sorted(arrays.items())}}}}))
'''


def _script(tmp_path) -> Path:
    path = tmp_path / "experiment.py"
    path.write_text(EXPERIMENT.format(root=str(ROOT)))
    return path


def _start(tmp_path, state: str, log: str, order: str = "up", pause: float = 0.0, together: int = 0):
    """Run the experiment script; ``together`` processes started this way wait for each other
    (after their imports) before their first unit."""
    barrier = [str(tmp_path / "ready"), str(together)] if together else []
    return subprocess.Popen([sys.executable, str(_script(tmp_path)), str(tmp_path / state), str(tmp_path / log),
                             order, str(pause), *barrier], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SERTOOLS_UNIT_PROGRESS": "0"})


def _finish(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _computed(tmp_path, log: str) -> list[tuple[str, int]]:
    path = tmp_path / log
    return [(ln.split()[0], int(ln.split()[1])) for ln in path.read_text().splitlines()] if path.exists() else []


def test_two_runs_on_one_state_folder_share_the_units(tmp_path):
    """00babd6 trained every unit in both runs (no lock per unit)."""
    a = _start(tmp_path, "state", "log", "up", pause=0.3, together=2)
    b = _start(tmp_path, "state", "log", "down", pause=0.3, together=2)   # from the other end: they meet in the middle
    ra, rb = _finish(a), _finish(b)
    done = _computed(tmp_path, "log")
    assert sorted(i for _, i in done) == list(range(8)), done        # each unit computed once
    assert len({pid for pid, _ in done}) == 2                         # by both processes
    assert ra == rb                                                   # the same table and arrays
    assert not list((tmp_path / "state").rglob("*.tmp")) and not list((tmp_path / "state").rglob("*.corrupt"))


def test_a_run_killed_at_a_random_unit_resumes_to_the_tables_of_a_clean_run(tmp_path):
    """A kill can land anywhere (mid-training, mid-write); the rerun computes what is missing, and its
    table and arrays equal those of a run that was never interrupted."""
    import random
    import signal
    import time

    clean = _finish(_start(tmp_path, "clean", "clean.log"))
    stop_after = random.Random().randint(1, 5)
    proc = _start(tmp_path, "killed", "killed.log", pause=0.3)  # ≥ 0.9 s of work left after the 5th unit
    t0 = time.time()
    while len(list((tmp_path / "killed").rglob("units/*.json"))) < stop_after and proc.poll() is None:
        assert time.time() - t0 < 240
        time.sleep(0.02)
    time.sleep(random.Random().uniform(0, 0.3))               # somewhere inside the next unit
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list((tmp_path / "killed").rglob("units/*.json")))
    assert 0 < finished < 8, f"the kill came after {finished} units"
    resumed = _finish(_start(tmp_path, "killed", "killed.log"))
    assert resumed["pred"] == clean["pred"]
    # the folders differ, not the config; the checkout's commit may move while a developer runs this
    keep = [c for c in clean["table"] if c not in ("config_hash", "git_sha")]
    assert {c: resumed["table"][c] for c in keep} == {c: clean["table"][c] for c in keep}
    recomputed = [i for _, i in _computed(tmp_path, "killed.log")]
    assert sorted(set(recomputed)) == list(range(8)) and len(recomputed) <= 9   # at most the killed unit twice
    assert not list((tmp_path / "killed").rglob("*.tmp"))     # a temporary the kill left was removed


def test_a_checkpoint_two_trainers_ask_for_is_trained_once(tmp_path):
    """Units that share a pretrained network (Xi's), in two runs or two workers: 00babd6 trained it twice."""
    import threading

    import torch

    from sertools.train import ItemDataset, System, TrainConfig, fit

    class Tiny(System):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)

        def forward(self, batch):
            return {"logits": self.net(batch["x"].mean(1))}

    items = ItemDataset([{"x": np.full((3, 2), i % 2, np.float32), "y": i % 2, "utt": i} for i in range(64)])
    cfg, ckpt, out = TrainConfig(epochs=4, batch_size=4, lr=0.1, monitor=None), tmp_path / "shared.pt", []
    threads = [threading.Thread(target=lambda: out.append(fit(Tiny(), items, cfg, checkpoint=ckpt, device="cpu")))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(h.resumed for h in out) == [False, True]
