"""A no-change rebuild keeps executed chapters: the build key says when a chapter must run again."""
import json
from pathlib import Path

from sertools import buildcache, run


def _fake_execute(calls):
    def execute(chapter, parameters=None, output=None, progress=False):
        calls.append((chapter, dict(parameters or {})))
        key = buildcache.build_key(run.find_chapter(chapter), parameters or {})
        Path(output).write_text(json.dumps({"cells": [], "metadata": {"sertools": {buildcache.KEY: key}}}))
        return output
    return execute


def test_an_up_to_date_chapter_is_kept_and_a_change_runs_it(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(run, "execute_chapter", _fake_execute(calls))
    out = tmp_path / "f.ipynb"
    args = ["foundations", "-p", "profile", "smoke", "-o", str(out)]
    assert run.main(args) == 0 and len(calls) == 1
    assert run.main(args) == 0 and len(calls) == 1            # unchanged: kept, nothing runs
    assert "up to date" in capsys.readouterr().out
    assert run.main(args[:-2] + ["-p", "corpora", "['tess']", "-o", str(out)]) == 0 and len(calls) == 2
    assert run.main(args + ["--force"]) == 0 and len(calls) == 3
    monkeypatch.setenv("SERTOOLS_CODE_HASH", "another-code")   # an edit of sertools
    assert run.main(args) == 0 and len(calls) == 4


def test_the_key_follows_source_parameters_code_and_corpora(tmp_path, monkeypatch):
    source = tmp_path / "99_x.md"
    source.write_text("# x\n")
    key = buildcache.build_key(source, {"profile": "smoke"})
    assert key == buildcache.build_key(source, {"profile": "smoke"})
    assert key != buildcache.build_key(source, {"profile": "book"})
    assert buildcache.build_key(source, {"profile": "smoke", "data_root": "/data"}) is None  # real corpora: always run
    source.write_text("# x, edited\n")
    assert buildcache.build_key(source, {"profile": "smoke"}) != key
    corpora = tmp_path / "corpora"
    (corpora / "tess-smoke-s0").mkdir(parents=True)
    monkeypatch.setenv("SERTOOLS_CORPORA", str(corpora))
    before = buildcache.build_key(source, {"profile": "smoke"})
    (corpora / "tess-smoke-s0" / "SYNTHETIC.json").write_text('{"seed": 0}')
    assert buildcache.build_key(source, {"profile": "smoke"}) != before
    nb = tmp_path / "x.ipynb"
    assert not buildcache.up_to_date(nb, before)
    nb.write_text(json.dumps({"metadata": {"sertools": {buildcache.KEY: before}}}))
    assert buildcache.up_to_date(nb, before) and not buildcache.up_to_date(nb, None)
