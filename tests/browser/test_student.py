"""`make student`'s edition, rendered from the smoke notebooks: no solution and no teacher's guide
on any page, every exercise still there; the chapters' sources without solutions for Jupyter."""
import re
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[2]


def test_student_edition_has_exercises_without_solutions(site, student_html):
    _, full = site
    html = student_html
    pages = sorted(html.glob("book/0*.html"))
    assert pages and not (html / "book" / "08_teachers.html").exists()
    exercises = solutions = 0
    for page in pages:
        text = page.read_text()
        exercises += len(re.findall(r'class="exercise admonition"', text))
        solutions += len(re.findall(r'class="solution', text))
    full_exercises = sum(len(re.findall(r'class="exercise admonition"', p.read_text()))
                         for p in full.glob("book/0*.html"))
    assert solutions == 0 and exercises == full_exercises > 0


def test_student_sources_have_no_solutions(tmp_path):
    from sertools.course import exercises_in
    from sertools.edition import student_sources

    written = student_sources(tmp_path)
    assert len(written) == len(list((ROOT / "notebooks").glob("*.md")))
    for path in written:
        text = path.read_text()
        assert "{solution-start}" not in text and "{solution-end}" not in text
        original = ROOT / "notebooks" / path.name
        assert [e["label"] for e in exercises_in(path)] == [e["label"] for e in exercises_in(original)]
        assert jupytext.read(path).cells  # still a notebook
