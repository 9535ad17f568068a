"""Editions of the book: the one the build renders, and a student edition without solutions.

``python -m sertools.edition student`` (``make student``) renders the executed chapters of the last
``make book`` (``book/*.ipynb``) without the exercises' solutions and without the teacher's guide,
into ``book/_build/student/html``, and writes the chapters' sources without solutions to
``book/_build/student/notebooks/`` (jupytext MyST: a student opens them in Jupyter).

sphinx-exercise's own ``hide_solutions`` cannot be used: with solutions written as
``{solution-start}`` … ``{solution-end}`` around executed code cells, it fails on the end marker.
The solutions are cut out of the notebooks instead (:func:`strip_solutions`).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .paths import PROJECT_ROOT

START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}[^\n]*\n.*?^\1[ \t]*$\n?", re.M | re.S)
END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[^\n]*\n\1[ \t]*$\n?", re.M)
TEACHER_ONLY = ("book/08_teachers",)


def strip_solutions(nb):
    """``nb`` without the solutions: everything from each ``{solution-start}`` fence to its
    ``{solution-end}`` fence, code cells between them included."""
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if not inside:
                cells.append(cell)
            continue
        text, kept, pos = cell.source, [], 0
        while pos <= len(text):
            marker = (END if inside else START).search(text, pos)
            if marker is None:
                if not inside:
                    kept.append(text[pos:])
                break
            if not inside:
                kept.append(text[pos:marker.start()])
            inside = not inside
            pos = marker.end()
        source = "".join(kept).strip("\n")
        if source.strip():
            cell.source = source
            cells.append(cell)
    if inside:
        raise ValueError("a {solution-start} has no {solution-end}")
    nb.cells = cells
    return nb


def unlink_guide(text: str) -> str:
    """``text`` with its cross-references to the teacher's guide as plain words (the student
    edition has no guide to link to)."""
    return re.sub(r"\{(?:doc|ref)\}`(?:[^`<]*<)?(?:08_teachers|teachers-guide|teachers-times)>?`",
                  "the teacher's guide", text)


def build(executed: Path, out: Path, student: bool = False, root: Path = PROJECT_ROOT) -> Path:
    """Render the book from the executed notebooks in ``executed`` into ``out``; ``student``
    leaves out solutions and the teacher's guide. → the HTML folder."""
    import yaml

    notebooks = sorted(Path(executed).glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no executed chapters in {executed}: run `make book` first (or pass --from, e.g. "
                         f"tests/_artifacts/executed after `make test`)")
    src = out / "src"
    shutil.rmtree(out, ignore_errors=True)
    (src / "book").mkdir(parents=True)
    shutil.copy(root / "_config.yml", src / "_config.yml")
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    if student:
        for part in toc["parts"]:
            part["chapters"] = [c for c in part["chapters"] if c["file"] not in TEACHER_ONLY]
        toc["parts"] = [p for p in toc["parts"] if p["chapters"]]
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True))
    for f in (root / "book").glob("*.md"):
        if not (student and f"book/{f.stem}" in TEACHER_ONLY):
            (src / "book" / f.name).write_text(unlink_guide(f.read_text()) if student else f.read_text())
    shutil.copy(root / "book" / "references.bib", src / "book" / "references.bib")
    for path in notebooks:
        if student and f"book/{path.stem}" in TEACHER_ONLY:
            continue
        nb = nbformat.read(path, as_version=4)
        if student:
            nb = strip_solutions(nb)
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = unlink_guide(cell.source)
        nbformat.write(nb, src / "book" / path.name)
    for name in ("vendor", "_static", "_ext"):
        if (root / "book" / name).exists():
            (src / "book" / name).symlink_to(root / "book" / name)
    (src / "sertools").symlink_to(root / "sertools")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"jupyter-book build failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return out / "_build" / "html"


def student_sources(out: Path, root: Path = PROJECT_ROOT) -> list[Path]:
    """The chapters' jupytext sources without solutions, for students to open in Jupyter."""
    import jupytext

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted((root / "notebooks").glob("*.md")):
        nb = strip_solutions(jupytext.read(source))
        jupytext.write(nb, out / source.name, fmt="md:myst")
        written.append(out / source.name)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sertools.edition", description=__doc__.split("\n\n")[1])
    ap.add_argument("edition", choices=["student"])
    ap.add_argument("--from", dest="executed", default=str(PROJECT_ROOT / "book"),
                    help="folder of executed chapters (default: book/, what `make book` executed)")
    ap.add_argument("--out", default=str(PROJECT_ROOT / "book" / "_build" / "student"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    html = build(Path(args.executed), out, student=True)
    sources = student_sources(out / "notebooks")
    print(f"student edition: {html} ({len(sources)} chapter sources without solutions in {out / 'notebooks'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
