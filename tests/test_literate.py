"""What the chapters show a reader: tables (fixed decimals, integer counts, no NaN), shown source
(at most 88 columns), labelled audio; the exercises (titles, metadata, executed solutions, at
least three per paper chapter); the student edition's solution stripping."""
import re
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from sertools import course, literate
from sertools.edition import strip_solutions

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))
PAPERS = [p for p in CHAPTERS if re.match(r"0[1-5]_", p.name)]


def test_cells_have_fixed_decimals_integer_counts_and_no_nan():
    frame = pd.DataFrame({"UA": [60.7, np.nan], "n": pd.array([3, None], dtype="Int64"), "note": ["a", None]})
    cells = literate.formatted(frame)
    assert list(cells.UA) == ["60.70", "–"] and list(cells.n) == ["3", "–"] and list(cells.note) == ["a", "–"]
    assert literate.fmt(0.9) == "0.90" and literate.fmt(np.int64(1_800_000)) == "1 800 000"


def test_a_table_is_a_numbered_myst_table_with_its_text_escaped():
    t = literate.table(pd.DataFrame({"x|y": [1.0]}, index=pd.Index(["$a*"], name="row")), "A *caption*", "tbl-x")
    md = t._repr_markdown_()
    assert md.startswith(":::{table} A \\*caption\\*\n:name: tbl-x\n") and md.rstrip().endswith(":::")
    assert "| row | x\\|y |" in md and "| \\$a\\* | 1.00 |" in md
    assert "<caption>A *caption*</caption>" in t._repr_html_()
    with pytest.raises(ValueError, match="table name"):
        literate.table(pd.DataFrame({"a": [1]}), "c", "Table 1")


def test_markup_tables_keep_roles():
    md = literate.table(pd.DataFrame({"e": ["{ref}`ex-a`: a | b"]}), "c", "tbl-y", markup=True)._repr_markdown_()
    assert "{ref}`ex-a`: a \\| b" in md


def test_show_gives_the_source_in_both_forms():
    src = literate.show(literate.fmt)
    assert src._repr_markdown_().startswith("```python\ndef fmt(") and ">fmt<" in src._repr_html_()


def test_audio_is_labelled(tone, tmp_path):
    html = literate.audio(tone(tmp_path / "a.wav"), 'speaker "1", angry')._repr_html_()
    assert 'aria-label="speaker &quot;1&quot;, angry"' in html and "<figcaption>" in html


def shown_objects():
    """Every object a chapter shows with ``literate.show(...)``: (chapter, expression)."""
    found = []
    for path in CHAPTERS:
        for expr in re.findall(r"literate\.show\(([\w.]+)\)", path.read_text()):
            found.append((path.stem, expr))
    return found


def _resolve(expr: str):
    import importlib

    aliases = {"menan": "sertools.models.menan", "cnn_lstm": "sertools.models.cnn_lstm",
               "resnet_adapters": "sertools.models.resnet_adapters", "adarl": "sertools.models.adarl",
               "blstm_attention": "sertools.models.blstm_attention", "losses": "sertools.nn.losses",
               "reference": "sertools.reference", "train": "sertools.train"}
    head, *rest = expr.split(".")
    obj = importlib.import_module(aliases.get(head, f"sertools.experiments.{head}"))
    for part in rest:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("chapter, expr", shown_objects())
def test_shown_code_fits_88_columns(chapter, expr):
    assert literate.too_wide(_resolve(expr)) == [], f"{chapter} shows {expr} with lines over 88 columns"


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.stem != "07_performance"], ids=lambda p: p.stem)
def test_shown_cells_fit_88_columns(path):
    """Code cells a reader sees unfolded (not hidden or removed) are written to 88 columns (the
    performance page's cells are measurement code, wrapped by the stylesheet)."""
    for cell in jupytext.read(path).cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and not tags & {"hide-input", "remove-input", "remove-cell", "parameters"}:
            long = [line for line in cell.source.splitlines() if len(line) > literate.WIDTH]
            assert not long, f"{path.name}: {long[0][:60]}… is {len(long[0])} columns"


def test_no_chapter_uses_literalinclude():
    """A student who opens a chapter in Jupyter sees nothing of a literalinclude: source is shown with
    literate.show, which works in both."""
    assert not [p.name for p in CHAPTERS if "{literalinclude}" in p.read_text()]


@pytest.mark.parametrize("path", PAPERS, ids=lambda p: p.stem)
def test_paper_chapters_have_three_exercises_with_executed_solutions(path):
    labels = [e["label"] for e in course.exercises_in(path)]
    assert len(labels) >= 3, f"{path.name} has {len(labels)} exercises"
    solved = {label for label, _ in course.solution_cells(jupytext.read(path))}
    assert solved == set(labels), f"{path.name}: exercises without an executed solution: {set(labels) - solved}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_objectives_and_ends_with_takeaways(path):
    text = path.read_text()
    if not course.exercises_in(path):
        return
    assert ":class: chapter-card" in text and "**You will**" in text and "**You need**" in text
    takeaways = text[text.index("## Takeaways"):text.index("## Exercises")]
    assert len(re.findall(r"^\* ", takeaways, re.M)) == 3
    assert "```text" in text, f"{path.name} has no diagram of its model"


def test_every_exercise_is_catalogued_with_a_title():
    cat = course.catalogue(ROOT)
    assert cat.label.is_unique and (cat.title != cat.label).all()
    assert set(cat.label) == set(course.EXERCISES), "sertools.course.EXERCISES lists an exercise no chapter has"
    assert set(cat.kind) <= set(course.KINDS)


def test_parameters_cell_is_the_first_code_cell():
    """papermill's injected cell and a reader's re-run both start from it; nothing imports before it."""
    for path in CHAPTERS:
        first = next(c for c in jupytext.read(path).cells if c.cell_type == "code")
        assert "parameters" in first.metadata.get("tags", []), path.name


def test_strip_solutions_removes_solutions_and_their_code():
    source = "\n".join([
        "```{exercise} T", ":label: ex-a", "", "Do it.", "```", "",
        "```{solution-start} ex-a", ":class: dropdown", "```", "", "Text.", "",
        "```{code-cell} ipython3", "print(42)", "```", "",
        "```{solution-end}", "```", "", "After.", "",
        "```{code-cell} ipython3", "print(1)", "```"])
    nb = jupytext.reads(source, fmt="md:myst")
    assert course.solution_seconds(nb, {i: 1.0 for i in range(len(nb.cells))}) == {"ex-a": 1.0}
    out = strip_solutions(jupytext.reads(source, fmt="md:myst"))
    text = "\n".join(c.source for c in out.cells)
    assert "Do it." in text and "After." in text and "print(1)" in text
    assert "Text." not in text and "print(42)" not in text and "solution" not in text
