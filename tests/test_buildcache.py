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


def test_corpora_rendered_during_a_build_and_the_record_pages_own_rows_do_not_stale_a_chapter(tmp_path, monkeypatch):
    """Measured on a cold `make book`: the controls render knob variants and meter-size corpora while
    the build runs, and the performance page and teacher's guide each wrote a row the other read, so a
    no-change rebuild re-executed foundations, Chou and both record pages (207 s instead of ~30 s)."""
    corpora, results = tmp_path / "corpora", tmp_path / "results"
    (corpora / "iemocap-book-s0").mkdir(parents=True)
    (corpora / "iemocap-book-s0" / "SYNTHETIC.json").write_text('{"seed": 0}')
    results.mkdir()
    monkeypatch.setenv("SERTOOLS_CORPORA", str(corpora))
    monkeypatch.setenv("SERTOOLS_RESULTS", str(results))
    chapter, perf = tmp_path / "01_x.md", tmp_path / "07_performance.md"
    chapter.write_text("# x\n")
    perf.write_text("# performance\n")
    timings = results / "timings.csv"
    timings.write_text("02_li2020,book,300.0\n")
    key, perf_key = buildcache.build_key(chapter, {}), buildcache.build_key(perf, {})
    for derived in ("iemocap-book-s0+chou_rater_angle=25", "iemocap-meter-s0"):
        (corpora / derived).mkdir()
        (corpora / derived / "SYNTHETIC.json").write_text('{"seed": 0}')
    assert buildcache.build_key(chapter, {}) == key
    timings.write_text("02_li2020,book,300.0\n07_performance,book,40.3\n08_teachers,book,9.4\n")
    assert buildcache.build_key(perf, {}) == perf_key            # the record pages' own rows
    timings.write_text("02_li2020,book,310.0\n07_performance,book,40.3\n")
    assert buildcache.build_key(perf, {}) != perf_key            # a chapter's new time: the page runs again
    (corpora / "iemocap-book-s0" / "SYNTHETIC.json").write_text('{"seed": 0, "rendered": "again"}')
    assert buildcache.build_key(chapter, {}) != key              # a base corpus rendered again: stale
