"""Typed reading of corpus metadata, in one place for every loader.

A CSV cell is text until this module says what it is: ``yes`` never becomes ``True`` because it
is a non-empty string, ``abc`` never turns a column of numbers into text, ``99`` on a 1–5 scale
is refused, a label outside the label set is refused, and a duplicated id is reported as one.
Each error names the file, the column, the offending values, their lines (and ids) and what was
expected. Loaders that parse text formats (IEMOCAP's EmoEvaluation files) check their tables
with :func:`check_table` and the same column declarations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

TRUE = frozenset({"true", "yes", "y", "t", "1"})
FALSE = frozenset({"false", "no", "n", "f", "0"})
GENDERS = {"f": "F", "female": "F", "w": "F", "woman": "F", "m": "M", "male": "M", "man": "M"}
SCALE = (1.0, 5.0)
"""Default range of ``valence``/``arousal``/``dominance`` (the 1–5 scales of IEMOCAP and NNIME);
a manifest corpus on another scale declares it in ``corpus.json``: ``{"ranges": {"valence": [1, 7]}}``."""


class MetadataError(ValueError):
    """A metadata value is not what its column holds; the message names file, column, lines, ids."""


@dataclass(frozen=True)
class Column:
    """What one metadata column holds.

    ``kind``: ``text`` (non-empty string), ``id`` (text, unique unless ``unique=False``),
    ``bool`` (true/false, yes/no, y/n, t/f, 1/0, any case), ``number`` (within ``low``..``high``),
    ``integer``, ``label`` (one of ``choices``, exact), ``gender`` (F/M, female/male... → F/M), or
    ``any`` (kept as pandas reads it). ``required``: the column must exist; ``missing``: cells may
    be empty."""

    kind: str
    required: bool = False
    missing: bool = True
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    unique: bool = True
    hint: str = ""


def _where(where: str, column: str) -> str:
    return f"{where}, column {column!r}"


def _rows(bad: pd.Series, ids: pd.Series | None, line0: int | None) -> str:
    """`` in line(s) 3, 7 (ids a, b)``: CSV lines (header = line 1) and ids of the first offenders."""
    idx = list(np.flatnonzero(bad.to_numpy()))[:5]
    parts = []
    named = ", ".join(str(ids.iloc[i]) for i in idx) if ids is not None else ""
    if line0 is not None:
        where = "line(s) " + ", ".join(str(line0 + i) for i in idx) + (f" ({named})" if named else "")
    else:
        where = named or "row(s) " + ", ".join(str(i) for i in idx)
    more = int(bad.sum()) - len(idx)
    return " in " + where + (f" and {more} more" if more > 0 else "")


def _sample(values: pd.Series, bad: pd.Series) -> list[str]:
    return sorted({str(v) for v in values[bad]})[:5]


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings; empty and NaN as <NA>."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def booleans(values: pd.Series, where: str, column: str, ids: pd.Series | None = None,
             line0: int | None = None, missing: bool = False) -> pd.Series:
    """Strict booleans: true/false, yes/no, y/n, t/f, 1/0 (any case) → bool; anything else refused."""
    text = _text(values).str.lower()
    out = text.map(lambda v: True if v in TRUE else False if v in FALSE else None)
    bad = text.notna() & out.isna()
    if not missing:
        bad |= text.isna()
    if bad.any():
        raise MetadataError(f"{_where(where, column)}: expected true/false (or yes/no, 1/0); found "
                            f"{_sample(values.fillna(''), bad)}{_rows(bad, ids, line0)}")
    return out.astype(bool) if not missing else out.astype("boolean")


def numbers(values: pd.Series, where: str, column: str, low: float | None = None, high: float | None = None,
            ids: pd.Series | None = None, line0: int | None = None, missing: bool = True,
            integer: bool = False) -> pd.Series:
    """Numbers (ints stay ints), within ``[low, high]``; text, or a value out of range, refused."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values
        bad = pd.Series(False, index=values.index)
    else:
        text = _text(values)
        out = pd.to_numeric(text.astype(object).where(text.notna(), np.nan), errors="coerce")
        bad = text.notna() & out.isna()
    if integer:
        bad |= out.notna() & (out != np.floor(out.fillna(0)))
    if bad.any():
        raise MetadataError(f"{_where(where, column)}: expected {'an integer' if integer else 'a number'}; found "
                            f"{_sample(values, bad)}{_rows(bad, ids, line0)}")
    if not missing and out.isna().any():
        bad = out.isna()
        raise MetadataError(f"{_where(where, column)}: a value is required{_rows(bad, ids, line0)}")
    below = (out < low) if low is not None else False
    above = (out > high) if high is not None else False
    outside = out.notna() & (below | above)
    if np.any(outside):
        raise MetadataError(f"{_where(where, column)}: expected a value in [{'' if low is None else low}, "
                            f"{'' if high is None else high}]; found {_sample(values, outside)}"
                            f"{_rows(outside, ids, line0)}")
    if integer and out.notna().all():
        out = out.astype(np.int64)
    return out


def labels(values: pd.Series, where: str, column: str, choices: Iterable[str], ids: pd.Series | None = None,
           line0: int | None = None, missing: bool = True, hint: str = "") -> pd.Series:
    """Labels from a fixed set (exact, case-sensitive); empty cells are NaN when ``missing``."""
    choices = tuple(choices)
    text = _text(values)
    bad = text.notna() & ~text.isin(choices)
    if not missing:
        bad |= text.isna()
    if bad.any():
        raise MetadataError(f"{_where(where, column)}: expected one of {', '.join(choices)}"
                            f"{'' if not missing else ' (or empty)'}; found {_sample(values.fillna(''), bad)}"
                            f"{_rows(bad, ids, line0)}{hint}")
    return text.astype(str)


def genders(values: pd.Series, where: str, column: str = "gender", ids: pd.Series | None = None,
            line0: int | None = None) -> pd.Series:
    """``f``, ``Female``, ``F`` → ``F`` (and likewise ``M``), any case; empty stays unknown (None)."""
    text = _text(values).str.lower()
    out = text.map(GENDERS)
    bad = text.notna() & out.isna()
    if bad.any():
        raise MetadataError(f"{_where(where, column)}: expected F/M (female/male, any case) or empty; found "
                            f"{_sample(values, bad)}{_rows(bad, ids, line0)}")
    return out.astype(object).where(out.notna(), None)


def texts(values: pd.Series, where: str, column: str, ids: pd.Series | None = None, line0: int | None = None,
          missing: bool = True, unique: bool = False) -> pd.Series:
    """Non-empty strings (ids, paths, speakers); optionally required and unique."""
    text = _text(values)
    if not missing and text.isna().any():
        bad = text.isna()
        raise MetadataError(f"{_where(where, column)}: {int(bad.sum())} rows without a value (one is required)"
                            f"{_rows(bad, ids, line0)}")
    if unique:
        bad = text.notna() & text.duplicated(keep=False)
        if bad.any():
            raise MetadataError(f"{_where(where, column)}: duplicated id(s) {_sample(values, bad)}"
                                f"{_rows(bad, None, line0)}: each must appear once")
    return text.astype(str)  # pandas' default text dtype, NaN where empty


def _column(schema: Mapping[str, Column], name: str) -> Column | None:
    return schema.get(name) or next((c for k, c in schema.items() if k.startswith("^") and re.match(k, name)), None)


def check_table(df: pd.DataFrame, schema: Mapping[str, Column], where: str, id_column: str | None = None,
                line0: int | None = None, ranges: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """``df`` with every column of ``schema`` checked and typed (``p_*``-style patterns as regex keys
    beginning with ``^``); columns the schema does not name are kept as read. ``line0``: the file
    line of the first row (2 for a CSV with a header), so that errors point at lines."""
    missing_cols = [c for c, col in schema.items() if col.required and not c.startswith("^") and c not in df.columns]
    if missing_cols:
        raise MetadataError(f"{where}: lacks column(s) {missing_cols}; columns found: {list(df.columns)}")
    df = df.reset_index(drop=True).copy()
    ids = None
    if id_column is not None and id_column in df:
        ids = _text(df[id_column]).fillna("<empty>")
    for name in list(df.columns):
        col = _column(schema, name)
        if col is None or col.kind == "any":
            continue
        v, kw = df[name], dict(ids=None if name == id_column else ids, line0=line0)
        low, high = (ranges or {}).get(name, (col.low, col.high))
        if col.kind in ("text", "id"):
            df[name] = texts(v, where, name, missing=col.missing, unique=col.kind == "id" and col.unique, **kw)
        elif col.kind == "bool":
            df[name] = booleans(v, where, name, missing=col.missing, **kw)
        elif col.kind in ("number", "integer"):
            df[name] = numbers(v, where, name, low, high, missing=col.missing, integer=col.kind == "integer", **kw)
        elif col.kind == "label":
            df[name] = labels(v, where, name, col.choices or (), missing=col.missing, hint=col.hint, **kw)
        elif col.kind == "gender":
            df[name] = genders(v, where, name, **kw)
        else:
            raise ValueError(f"unknown column kind {col.kind!r}")
    return df


def read_csv(path: str | Path, schema: Mapping[str, Column], id_column: str | None = None,
             ranges: Mapping[str, tuple[float, float]] | None = None, **kwargs) -> pd.DataFrame:
    """Read a metadata CSV with :func:`check_table`: the columns ``schema`` types are read as text
    (so that nothing is converted before it is checked), the others as pandas infers them."""
    path = Path(path)
    try:
        header = pd.read_csv(path, nrows=0, **kwargs).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise MetadataError(f"{path}: cannot be read as CSV ({err})") from err
    typed = [c for c in header if _column(schema, c) is not None and _column(schema, c).kind != "any"]
    try:
        df = pd.read_csv(path, dtype={c: str for c in typed}, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise MetadataError(f"{path}: cannot be read as CSV ({err})") from err
    return check_table(df, schema, str(path), id_column=id_column, line0=2, ranges=ranges)
