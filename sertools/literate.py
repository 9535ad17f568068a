"""What a chapter shows a reader, the same in Jupyter and in the rendered book.

* :func:`show`: the source of a function or class. A student who opens a chapter in Jupyter sees
  the code the prose discusses (``{literalinclude}`` shows nothing there); the book renders it
  as a highlighted code block, like a literal include.
* :func:`table`: a results table with a caption and a label that ``{numref}`` reaches
  ("Table 2.3"), with fixed decimals, integer counts and no NaN cells.
* :func:`audio`: an audio player with its own label (caption and accessible name).

Each returns an object with two representations: HTML for Jupyter, and MyST Markdown for the
book (``nb_mime_priority_overrides`` in ``_config.yml`` makes the book prefer Markdown, and
``nb_render_markdown_format: myst`` parses it as MyST).
"""
from __future__ import annotations

import html
import inspect
import re
import textwrap
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

WIDTH = 88  # shown code is written to this many columns (tests/test_literate.py checks it)
MISSING = "–"


# --------------------------------------------------------------------------- source code
class Source:
    """Source code to display: Markdown (a fenced block) for the book, highlighted HTML in Jupyter."""

    def __init__(self, code: str, name: str = ""):
        self.code, self.name = code.rstrip() + "\n", name

    def _repr_markdown_(self) -> str:
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", self.code)), default=0))
        return f"{fence}python\n{self.code}{fence}\n"

    def _repr_html_(self) -> str:
        from IPython.display import Code

        return Code(self.code, language="python")._repr_html_()

    def __repr__(self) -> str:
        return self.code


def source(obj: Callable | type) -> str:
    """The dedented source of a function, method or class."""
    return textwrap.dedent(inspect.getsource(inspect.unwrap(obj)))


def show(obj: Callable | type) -> Source:
    """Display the source of ``obj`` (a function, method or class) as the chapter discusses it."""
    return Source(source(obj), getattr(obj, "__qualname__", ""))


def too_wide(obj: Callable | type, width: int = WIDTH) -> list[str]:
    """The lines of ``obj``'s source longer than ``width`` columns (shown code must fit a page)."""
    return [line for line in source(obj).splitlines() if len(line) > width]


# --------------------------------------------------------------------------- tables
def fmt(value: Any, decimals: int = 2) -> str:
    """One table cell as text: a fixed number of decimals for floats, integers as integers,
    a dash for missing values (never "nan")."""
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)) or value is pd.NA:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}".replace(",", " ") if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{decimals}f}"
    text = str(value)
    return MISSING if text.lower() in ("nan", "none", "<na>") else text


def formatted(frame: pd.DataFrame, decimals: int | Mapping[str, int] = 2) -> pd.DataFrame:
    """``frame`` with every cell as text (:func:`fmt`); ``decimals`` per column where a mapping.
    Counts must be integers (``astype(int)``, or ``"Int64"`` where some are missing) to print
    as integers: a float column always prints its decimals."""
    out = pd.DataFrame(index=frame.index)
    for i, col in enumerate(frame.columns):
        d = decimals.get(col, 2) if isinstance(decimals, Mapping) else decimals
        out[i] = frame.iloc[:, i].map(lambda v, d=d: fmt(v, d))
    out.columns = frame.columns
    return out


def _label(key: Any) -> str:
    if isinstance(key, tuple):
        parts = [str(k) for k in key if str(k) != ""]
        return " · ".join(dict.fromkeys(parts))
    return str(key)


_ESCAPE = re.compile(r"([\\`*_{}\[\]<>#|$~^])")


def _md(text: str, markup: bool = False) -> str:
    """``text`` as literal Markdown (every character that MyST would read as syntax escaped), or
    with ``markup`` as MyST (roles such as ``{ref}`` work; only a table's pipes are escaped)."""
    text = str(text).replace("\n", " ")
    return text.replace("|", "\\|") if markup else _ESCAPE.sub(r"\\\1", text)


class Table:
    """A captioned results table: a MyST ``{table}`` for the book (numbered, reachable by
    ``{numref}``), an HTML table with its caption in Jupyter."""

    def __init__(self, frame: pd.DataFrame, caption: str, name: str, decimals: int | Mapping[str, int] = 2,
                 index: bool = True, markup: bool = False):
        self.frame, self.caption, self.name, self.index, self.markup = frame, caption, name, index, markup
        self.cells = formatted(frame, decimals)

    def _rows(self) -> tuple[list[str], list[list[str]], list[bool]]:
        cells = self.cells
        header = [_label(c) for c in cells.columns]
        body = [[str(v) for v in row] for row in cells.itertuples(index=False)]
        numeric = [pd.api.types.is_numeric_dtype(self.frame.iloc[:, i].dtype) for i in range(cells.shape[1])]
        if self.index:
            name = " · ".join(str(n) for n in cells.index.names if n is not None)
            header = [name] + header
            body = [[_label(k)] + row for k, row in zip(cells.index, body)]
            numeric = [False] + numeric
        return header, body, numeric

    def _repr_markdown_(self) -> str:
        header, body, numeric = self._rows()
        lines = ["| " + " | ".join(_md(h) or " " for h in header) + " |",
                 "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(_md(v, self.markup) for v in row) + " |" for row in body]
        return (f":::{{table}} {_md(self.caption)}\n:name: {self.name}\n:class: sertools-table\n\n"
                + "\n".join(lines) + "\n:::\n")

    def _repr_html_(self) -> str:
        header, body, numeric = self._rows()
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        rows = "".join("<tr>" + "".join(f"<td style='text-align:{'right' if n else 'left'}'>{esc(v)}</td>"
                                        for v, n in zip(row, numeric)) + "</tr>" for row in body)
        return (f"<table class='sertools-table'><caption>{esc(self.caption)}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.cells.to_string()}"


def table(frame: pd.DataFrame | pd.Series, caption: str, name: str, decimals: int | Mapping[str, int] = 2,
          index: bool = True, markup: bool = False) -> Table:
    """A results table the book numbers ("Table 2.3") and ``{numref}`` reaches by ``name``;
    ``markup``: its cells are MyST (cross-references), not literal text."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"table name {name!r}: use lower-case letters, digits and '-' (e.g. 'tbl-li-table2')")
    return Table(frame, caption, name, decimals, index, markup)


# --------------------------------------------------------------------------- audio
def audio(source: Any, label: str, rate: int = 16000):
    """A labelled audio player: the label is printed above the player and is its accessible
    name (``aria-label``), so a screen reader and a reader of several players know which is which.
    ``source`` is a file path or a 1-D array of samples at ``rate``."""
    from IPython.display import Audio

    class LabelledAudio(Audio):
        def _repr_html_(self) -> str:
            inner = super()._repr_html_()
            name = html.escape(label, quote=True)
            inner = inner.replace("<audio ", f'<audio aria-label="{name}" title="{name}" ', 1)
            return (f'<figure class="sertools-audio"><figcaption>{html.escape(label)}</figcaption>'
                    f"{inner}</figure>")

    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        return LabelledAudio(filename=str(source), embed=True)
    return LabelledAudio(data=np.asarray(source), rate=rate)
