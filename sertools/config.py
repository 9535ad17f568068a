"""Profiles, chapter parameters, seeding and device selection.

A chapter's first code cell is a papermill ``parameters`` cell of plain assignments. The
next cell hands the notebook's namespace to :func:`resolve_parameters`, which

* fails on an unknown parameter name or value with a message listing the valid ones,
* fills every parameter left at ``None`` from the chosen profile, and
* returns a read-only :class:`Params` whose :attr:`Params.hash` keys all results.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .namespace import parameter_cell_names, user_names
from .provenance import stable_hash

PROFILES = ("smoke", "book", "full")
DEVICES = ("auto", "cpu", "cuda")

class ParameterError(ValueError):
    """A chapter parameter has an unknown name or an invalid value."""


@dataclass(frozen=True)
class Param:
    """One chapter parameter: the single declaration behind validation, ``--help`` and the
    comments of a chapter's parameters cell.

    ``default=None`` means "take it from the profile". ``kind`` (int, float, str) types the
    value (or each item when ``many``), ``low``/``high`` bound it, ``choices`` restricts it.
    A ``many`` parameter takes a list (a single value becomes a one-item list); its items must
    be ``unique`` and the list may be empty only when ``empty``. ``check`` is an extra
    validator returning an error message or ``None``.

    ``selects=True`` marks a parameter that only chooses **which** units run (seeds, systems,
    folds, corpora): no unit's result depends on it, so it is left out of
    :attr:`Params.unit_hash` and a unit is reused whatever list it was asked for in.
    """

    default: Any = None
    doc: str = ""
    choices: tuple | None = None
    many: bool = False
    check: Callable[[Any], str | None] | None = None
    semantic: bool = True  # False: does not change results (excluded from the config hash)
    selects: bool = False  # True: chooses which units run, changes none of them (excluded from the unit hash)
    kind: type | None = None
    low: float | None = None
    high: float | None = None
    unique: bool = True
    empty: bool = False
    convert: Callable[[Any], Any] | None = None
    aliases: tuple[str, ...] = ()  # former names, accepted for one release with a deprecation warning

    def describe(self) -> str:
        """One line for ``--help`` and the parameters cell: type, allowed values, meaning."""
        kind = self.kind.__name__ if self.kind else ("bool" if self.choices == (True, False) else "")
        if self.many:
            kind = f"list of {kind or 'values'}"
        bounds = ""
        if self.low is not None or self.high is not None:
            bounds = f" in [{'' if self.low is None else self.low}, {'' if self.high is None else self.high}]"
        values = "" if self.choices is None or self.choices == (True, False) else \
            " (" + " | ".join(map(str, self.choices)) + ")"
        return f"{kind}{bounds}{values}: {self.doc}".lstrip(": ")


def _knobs(value: Any) -> dict[str, float]:
    """A knob setting in canonical form (the non-default values; see :mod:`sertools.data.synth.knobs`)."""
    from .data.synth.knobs import validate

    return validate(value)


COMMON_PARAMS: dict[str, Param] = {
    "profile": Param("book", "smoke (seconds, tests) | book (the rendered book, CPU minutes) | "
                     "full (the paper's protocol and sizes, for a GPU and real corpora)",
                     choices=PROFILES),
    "data_root": Param(None, "folder of a real corpus; None uses the embedded synthetic corpus"),
    "seeds": Param(None, "random seeds, one run each; None takes the profile's", many=True, kind=int, low=0,
                   selects=True),
    "device": Param("auto", "auto (CUDA when present) | cpu | cuda", choices=DEVICES, semantic=False),
    "results_from": Param(None, "a finished sweep folder to render tables from instead of training",
                          semantic=False),
    "knobs": Param(None, "mechanism knobs of the simulator, a dict such as {'li_confound': 0.4} (see "
                   "sertools.data.synth.knobs; None or {}: the book's defaults)", convert=_knobs),
    "meter_corpora": Param(None, "simulated corpora generated at the small 'meter' size (the mechanism meters' "
                           "corpora) instead of the profile's: positive controls whose knob re-renders audio "
                           "(sertools.controls); None: none", many=True, empty=True,
                           choices=("iemocap", "voxceleb", "crema-d")),
    "dry_run": Param(False, "check the profile's code paths in minutes: the full speaker set with few utterances "
                     "each, one epoch of two batches per unit, the first seed; the numbers mean nothing",
                     choices=(True, False)),
}


class Params(Mapping[str, Any]):
    """Resolved, read-only chapter parameters with attribute access and a stable hash."""

    def __init__(self, chapter: str, values: dict[str, Any], spec: dict[str, Param]):
        self._chapter, self._values, self._spec = chapter, dict(values), spec

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def chapter(self) -> str:
        return self._chapter

    @property
    def hash(self) -> str:
        """Hash of everything that can change a result (device and output options excluded)."""
        semantic = {k: v for k, v in self._values.items() if self._spec[k].semantic}
        return stable_hash({"chapter": self._chapter, **semantic})

    @property
    def unit_hash(self) -> str:
        """Hash of what can change **one unit's** result: :attr:`hash` without the parameters that
        only select units (``Param.selects``: seeds, systems, folds ...). Result stores are keyed
        by it, so ``seeds=[0]`` after ``seeds=[0, 1]`` reuses seed 0's units and trains nothing."""
        kept = {k: v for k, v in self._values.items() if self._spec[k].semantic and not self._spec[k].selects}
        return stable_hash({"chapter": self._chapter, "units": True, **kept})

    @property
    def selection(self) -> dict[str, Any]:
        """The parameters that choose which units run (for display beside the unit hash)."""
        return {k: v for k, v in self._values.items() if self._spec[k].selects}

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def updated(self, **values: Any) -> "Params":
        """A copy with ``values`` replaced: for a chapter's ``parameters`` that derives a value
        left at ``None`` from the others (validated by the chapter)."""
        return Params(self._chapter, {**self._values, **values}, self._spec)

    def __repr__(self) -> str:
        body = "\n".join(f"  {k} = {v!r}" for k, v in self._values.items())
        return f"Params({self._chapter}, hash={self.hash})\n{body}"


def _parse_list(text: str) -> list[Any]:
    """``"[0, 1]"`` or ``"0,1"`` → ``[0, 1]`` (papermill's ``-p`` hands lists over as text)."""
    import ast

    try:
        value = ast.literal_eval(text)
        return list(value) if isinstance(value, (list, tuple)) else [value]
    except (ValueError, SyntaxError):
        items = [t.strip() for t in text.strip("[]").split(",") if t.strip()]
        out: list[Any] = []
        for t in items:
            try:
                out.append(ast.literal_eval(t))
            except (ValueError, SyntaxError):
                out.append(t)
        return out


def _typed(name: str, item: Any, p: Param) -> Any:
    """``item`` as ``p.kind`` (an int is a valid float), within ``p.low``/``p.high``."""
    if p.kind is not None:
        ok = (isinstance(item, (int, float)) and not isinstance(item, bool)) if p.kind is float else \
            (isinstance(item, p.kind) and not (p.kind is int and isinstance(item, bool)))
        if not ok:
            raise ParameterError(f"invalid value {item!r} for parameter {name!r}: expected "
                                 f"{'a list of ' if p.many else ''}{p.kind.__name__}; {name}: {p.describe()}")
        item = p.kind(item)
    if p.low is not None and item < p.low or p.high is not None and item > p.high:
        raise ParameterError(f"invalid value {item!r} for parameter {name!r}: must be in "
                             f"[{p.low if p.low is not None else '-inf'}, {p.high if p.high is not None else 'inf'}]")
    return item


def _validate(name: str, value: Any, p: Param) -> Any:
    """Check ``value`` against ``p`` and return it typed (a list for ``many`` parameters)."""
    if p.convert is not None:
        try:
            value = p.convert(value)
        except ValueError as err:
            raise ParameterError(f"invalid value {value!r} for parameter {name!r}: {err}") from None
    if value is None:
        return None
    if p.many and isinstance(value, (str, bytes)):
        raise ParameterError(f"parameter {name!r} takes a list, got the string {value!r}")
    if p.many and not isinstance(value, (list, tuple)):
        value = [value]  # a single value where a list is expected
    items = list(value) if p.many else [value]
    if p.many and not items and not p.empty:
        raise ParameterError(f"parameter {name!r} needs at least one value; {name}: {p.describe()}")
    items = [_typed(name, v, p) for v in items]
    if p.many and p.unique and len(set(map(repr, items))) != len(items):
        dup = sorted({repr(v) for v in items if sum(repr(w) == repr(v) for w in items) > 1})
        raise ParameterError(f"parameter {name!r} repeats {', '.join(dup)}: each value must appear once "
                             f"(repeated seeds would count one run twice)")
    value = items if p.many else items[0]
    if p.choices is not None:
        bad = [v for v in items if v not in p.choices]
        if bad:
            raise ParameterError(f"invalid value {bad[0]!r} for parameter {name!r}; "
                                 f"valid values: {', '.join(map(repr, p.choices))}")
    if p.check is not None:
        msg = p.check(value)
        if msg:
            raise ParameterError(f"invalid value {value!r} for parameter {name!r}: {msg}")
    return value


def _aliases(spec: Mapping[str, Param]) -> dict[str, str]:
    """Former parameter name → its current name."""
    return {old: name for name, p in spec.items() for old in p.aliases}


def _renamed(chapter: str, given: dict[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """``given`` with every former name (:attr:`Param.aliases`) replaced by the current one, with a
    deprecation warning (a ``FutureWarning``: shown in notebooks and on the command line). A name
    and its former name both set (not ``None``) is an error naming both."""
    import warnings

    out = dict(given)
    for old, new in _aliases(spec).items():
        if old not in out:
            continue
        value = out.pop(old)
        if value is None:
            continue
        if out.get(new) is not None:
            raise ParameterError(f"parameters {new!r} and {old!r} both set for chapter {chapter!r}: {old!r} is the "
                                 f"former name of {new!r}; set {new!r} only")
        warnings.warn(f"parameter {old!r} of chapter {chapter!r} is renamed {new!r} (every chapter names its list "
                      f"of systems 'systems'); {old!r} is accepted until the next release: write {new} = {value!r}",
                      FutureWarning, stacklevel=4)
        out[new] = value
    return out


def resolve_parameters(chapter: str, namespace: Mapping[str, Any], spec: Mapping[str, Param],
                       profile_defaults: Mapping[str, Mapping[str, Any]]) -> Params:
    """Validate a notebook's parameters and fill ``None`` values from the profile.

    ``spec`` holds the chapter's own parameters (the common ones are added here);
    ``profile_defaults[profile][name]`` gives the value used when a parameter is ``None``.
    """
    full_spec = {**COMMON_PARAMS, **spec}
    known = set(full_spec) | set(_aliases(full_spec))
    given = user_names(namespace)
    cell_names = parameter_cell_names(namespace)
    if cell_names is None:  # a mapping handed over by code: every name in it is a parameter
        unknown = sorted(set(given) - known)
        hint = ""
    else:  # a live notebook: the names its parameters cells set (later cells' names are not parameters)
        unknown = sorted(cell_names - known)
        given = {k: v for k, v in given.items() if k in known}
        hint = " (set in the parameters cell)"
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(map(repr, unknown))}{hint} for chapter "
                             f"{chapter!r}; valid parameters: {', '.join(sorted(full_spec))}")
    given = _renamed(chapter, given, full_spec)
    profile = given.get("profile", full_spec["profile"].default)
    _validate("profile", profile, full_spec["profile"])
    values: dict[str, Any] = {}
    for name, p in full_spec.items():
        value = given.get(name, p.default)
        if p.many and isinstance(value, str):  # papermill -p passes lists as strings
            value = _parse_list(value)
        if value is None:
            value = profile_defaults.get(profile, {}).get(name)
        if isinstance(value, tuple):
            value = list(value)
        values[name] = _validate(name, value, p)
    if values["dry_run"] and given.get("seeds") is None:
        values["seeds"] = values["seeds"][:1]
    if values["device"] == "cuda":
        resolve_device("cuda")  # here, not in the first unit: a run whose units are all stored fails too
    from .parallel import start_fork_server

    start_fork_server()  # the chapter's worker pools will need it: let it import while the chapter loads data
    return Params(chapter, values, full_spec)


def training_budget(P: Params, epochs: int) -> dict[str, int | None]:
    """``TrainConfig`` keywords for a chapter's training length: ``epochs`` (the profile's), or in
    a dry run one epoch of two batches, so that every unit runs its code at full size in seconds."""
    return dict(epochs=1, max_steps=2) if P.dry_run else dict(epochs=epochs, max_steps=None)


# --------------------------------------------------------------------------- seeds, device
def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch; make CPU (and, where possible, CUDA) runs deterministic."""
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic and torch.cuda.is_available():
        # CPU kernels are already deterministic for a fixed thread count; the global switch
        # only slows them (measured: LSTM backward ~1.4x), so it is set for CUDA runs only.
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def resolve_device(device: str = "auto") -> "torch.device":  # noqa: F821
    """``"auto"`` → CUDA when present, else CPU. Asking for CUDA without one is an error."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device not in DEVICES:
        raise ParameterError(f"invalid device {device!r}; valid values: {', '.join(DEVICES)}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device='cuda' was asked for but torch sees no CUDA device; use 'auto' or 'cpu'")
    return torch.device(device)
