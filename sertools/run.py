"""Run a chapter headlessly: jupytext MyST source → papermill (parameters injected) → .ipynb.

papermill reads only ``.ipynb``; this wrapper does the jupytext conversion in memory so that
one command works for the book build, the tests and users::

    python -m sertools.run li2020 -p profile smoke -p seeds "[0, 1]" -o out.ipynb
    python -m sertools.run --list

A chapter whose executed notebook is up to date (same source, parameters, code, packages, machine
and corpora: :mod:`sertools.buildcache`) is kept without running; ``--force`` runs it anyway.

The same works with papermill itself after a conversion::

    jupytext --to ipynb -o - notebooks/02_li2020.md | papermill - out.ipynb -p profile smoke
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .kernel import _kernel_failed_to_start, ipc_kernel_manager
from .paths import PROJECT_ROOT

BOOK = PROJECT_ROOT / "book"


class ChapterError(SystemExit):
    """A chapter name that names no chapter, or more than one."""


PACKAGED = Path(__file__).resolve().parent / "_book"
"""Where a wheel ships the chapter sources (``sertools/_book/notebooks/``, copied by setup.py's build hook)."""
NO_BOOK = ("no chapter sources found: this sertools runs from {where}, which holds no notebooks/ folder, and the "
           "package ships no copy of them (sertools/_book/notebooks). Set "
           "SERTOOLS_BOOK_ROOT to a checkout of the book (the folder that holds notebooks/), e.g. "
           "`export SERTOOLS_BOOK_ROOT=/path/to/ser-book`, or install sertools from a checkout (`pip install .`), "
           "which ships the chapters inside the package")


def book_root() -> Path:
    """The folder holding ``notebooks/`` (the chapter sources): ``SERTOOLS_BOOK_ROOT`` if set, else
    the checkout this package runs from, else the copy an installed wheel ships. Raises
    :class:`ChapterError` saying what to set when there is none."""
    if os.environ.get("SERTOOLS_BOOK_ROOT"):
        root = Path(os.environ["SERTOOLS_BOOK_ROOT"]).expanduser().resolve()
        if not any((root / "notebooks").glob("*.md")):
            raise ChapterError(f"SERTOOLS_BOOK_ROOT={os.environ['SERTOOLS_BOOK_ROOT']}: {root / 'notebooks'} holds no "
                               "chapter sources (*.md); point it at a checkout of the book (the folder that holds "
                               "notebooks/)")
        return root
    for root in (PROJECT_ROOT, PACKAGED):
        if any((root / "notebooks").glob("*.md")):
            return root
    raise ChapterError(NO_BOOK.format(where=PROJECT_ROOT))


def chapters() -> list[str]:
    """Chapter source names (``00_foundations``, ...), in book order."""
    return sorted(p.stem for p in (book_root() / "notebooks").glob("*.md"))


PATH_PARAMETERS = ("data_root", "results_from")
STATE_VARIABLES = ("SERTOOLS_HOME", "SERTOOLS_RESULTS", "SERTOOLS_CACHE", "SERTOOLS_CORPORA", "SERTOOLS_BOOK_ROOT")


def absolute_paths(parameters: dict[str, Any] | None) -> dict[str, Any]:
    """The paths a user gives (``data_root``, ``results_from``, and the ``SERTOOLS_*`` folders in
    the environment) made absolute against the caller's working directory: the chapter's kernel
    runs in the output notebook's folder, a sweep's points in Ray's, where a relative path would
    name another place. Call it in the process the user started."""
    out = dict(parameters or {})
    for name in PATH_PARAMETERS:
        value = out.get(name)
        if isinstance(value, (str, os.PathLike)) and str(value) not in ("", "None"):
            out[name] = str(Path(value).expanduser().absolute())
    for var in STATE_VARIABLES:
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).expanduser().absolute())
    return out


class MissingExtraError(ImportError):
    """Running chapters needs the ``book`` extra (papermill, jupytext, ipykernel)."""


def require_book_extra() -> None:
    """Raise :class:`MissingExtraError`, naming the extra to install, when a chapter cannot run here."""
    for module in ("papermill", "jupytext", "ipykernel", "nbformat"):
        try:
            __import__(module)
        except ImportError as err:
            raise MissingExtraError(f"running a chapter needs the 'book' extra, which is not installed (no module "
                                    f"{module!r}): pip install 'sertools[book]'") from err


def failure_summary(err: BaseException) -> str:
    """The first line of what went wrong: for a cell that raised, its exception and the first line of
    its message (a layout error's "does not exist", not its last line of expected layout)."""
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename:
        first = next((ln.strip() for ln in str(evalue or "").splitlines() if ln.strip()), "")
        return f"{ename}: {first}" if first else str(ename)
    first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {first}" if first else repr(err)


def find_chapter(name: str) -> Path:
    """``li2020``, ``02_li2020`` or a path → the chapter's MyST source. Only exact names match:
    a prefix such as ``li`` is refused with the list of chapters, never guessed."""
    path = Path(name)
    if path.suffix == ".md" and path.exists():
        return path.resolve()
    matches = [c for c in chapters() if name in (c, c.split("_", 1)[-1])]
    if len(matches) != 1:
        close = [c for c in chapters() if name and name in c]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ChapterError(f"chapter {name!r} not found{hint}; chapters: "
                           f"{', '.join(c.split('_', 1)[-1] for c in chapters())}")
    return book_root() / "notebooks" / f"{matches[0]}.md"


MODULES = {"00_foundations": "foundations", "01_chou2020": "chou2020", "02_li2020": "li2020",
           "03_parry2022": "parry2022", "04_xi2019": "xi2019", "05_fan2020": "fan2020", "06_scoreboard": "scoreboard",
           "07_performance": "performance", "08_teachers": "teachers"}


def describe_parameters(chapter: str) -> str:
    """Every parameter of a chapter with its type, allowed values, meaning and per-profile
    defaults: from the same declarations that validate the parameters cell."""
    import importlib

    from .config import COMMON_PARAMS

    stem = find_chapter(chapter).stem
    module = importlib.import_module(f"sertools.experiments.{MODULES[stem]}")
    spec = {**COMMON_PARAMS, **module.PARAMS}
    lines = [f"parameters of {stem} (python -m sertools.run {stem.split('_', 1)[1]} -p NAME VALUE):"]
    for name, p in spec.items():
        by_profile = {k: v[name] for k, v in module.PROFILES.items() if name in v}
        default = f" [default {p.default!r}]" if p.default is not None else ""
        profiles = "; ".join(f"{k}: {v!r}" for k, v in by_profile.items())
        former = f" (formerly {', '.join(map(repr, p.aliases))}, accepted until the next release)" if p.aliases else ""
        lines.append(f"  {name:<18} {p.describe()}{default}{former}"
                     + (f"\n  {'':<18} profiles → {profiles}" if profiles else ""))
    return "\n".join(lines)


def parse_value(text: str) -> Any:
    """A ``-p`` value: a Python literal when it parses as one (``3``, ``0.5``, ``[0, 1]``,
    ``None``, ``True``), otherwise the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def load_notebook(source: Path, parameters: dict[str, Any] | None = None):
    """Read a MyST chapter as a notebook; with ``parameters``, inject them as papermill does."""
    require_book_extra()
    import jupytext
    from papermill.parameterize import parameterize_notebook

    nb = jupytext.read(source)
    nb.metadata.setdefault("papermill", {})
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if parameters:
        for cell in nb.cells:  # papermill reads every cell's tags
            cell.metadata.setdefault("tags", [])
        nb = hide_injected(parameterize_notebook(nb, parameters))
    return nb


def execute_chapter(chapter: str, parameters: dict[str, Any] | None = None,
                    output: str | Path | None = None, progress: bool = False) -> Path:
    """Execute a chapter with papermill and write the executed notebook (default: ``book/``).

    The kernel runs over Unix sockets (:func:`ipc_kernel_manager`); a kernel that dies
    before it answered its first request is started once more before the run fails. The
    notebook stores its build key (:mod:`sertools.buildcache`), so that :func:`up_to_date` can
    tell later whether it needs to run again."""
    require_book_extra()
    from .buildcache import build_key

    source = find_chapter(chapter)
    output = _output(source, output)
    parameters = absolute_paths(parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    key = build_key(source, parameters or {})
    nb = load_notebook(source)
    import tempfile

    profile_file = Path(tempfile.mkdtemp(prefix="sertools-profile-")) / "phases.json"
    # One thread per process in the kernel (and the workers it starts) for torch, OpenMP and the
    # BLAS of NumPy and SciPy: the chapters' work is small operations (spectrograms of one file,
    # logistic regressions on a few thousand × 88, t-SNE of a few hundred points) which two threads
    # on two cores slow down, and the cores are used by worker processes instead. Measured on a
    # busy 2-core machine, same results: foundations' sanity classifier 18-27 s → 0.7 s, Li's
    # spectrograms with pitch of 40 files 13-15 s → 2-3 s. Set the variables yourself to keep others.
    threads = {var: os.environ.get(var, "1") for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    # The kernel inherits these; the caller's environment is restored however the run ends (a
    # profile file left set made every later process of a test session write to it).
    try:
        with _environment(SERTOOLS_PROFILE_FILE=str(profile_file), **threads):
            wall = _execute(source, nb, output, parameters, progress)
        if os.environ.get("SERTOOLS_RECORD_TIMING", "1") != "0":  # side by side, the parent records it
            _record(source.stem, timing_profile(parameters), output, profile_file, wall)
    finally:
        import shutil

        shutil.rmtree(profile_file.parent, ignore_errors=True)
    _scrub(output, source, key)
    return output


def _record(chapter: str, profile: str, output: Path, profile_file: Path, wall: float) -> None:
    """Record one chapter run's wall time, phases and executed solutions' seconds."""
    import nbformat

    from .bench import record_timing
    from .course import record_solutions, solution_seconds
    from .profiling import record_chapter

    record_timing(chapter, profile, wall)
    record_chapter(chapter, profile, output, profile_file, wall)
    record_solutions(chapter, profile, solution_seconds(nbformat.read(output, as_version=4)))


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, and restore the caller's values afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _execute(source: Path, nb, output: Path, parameters: dict[str, Any] | None, progress: bool) -> float:
    """Run the notebook with papermill (a kernel that died while starting gets one more try);
    the wall-clock seconds it took."""
    import papermill as pm

    t0 = time.perf_counter()
    for attempt in (1, 2):
        try:
            pm.execute_notebook(nb, str(output), parameters=parameters or {}, kernel_name="python3",
                                cwd=str(output.parent), progress_bar=progress, log_output=False,
                                kernel_manager_class=ipc_kernel_manager())
            break
        except Exception as err:  # noqa: BLE001 - only a failed kernel start is retried
            if attempt == 2 or not _kernel_failed_to_start(err):
                raise
            print(f"{source.stem}: the kernel died while starting ({err}); starting it once more", file=sys.stderr)
    return time.perf_counter() - t0


def _output(source: Path, output: str | Path | None) -> Path:
    """The executed notebook's path: ``output``, or ``book/<chapter>.ipynb`` in a checkout (an
    installed package: the working directory)."""
    default = BOOK if (PROJECT_ROOT / "_toc.yml").exists() else Path.cwd()
    return Path(output).expanduser().absolute() if output else default / f"{source.stem}.ipynb"


def up_to_date(chapter: str, parameters: dict[str, Any] | None = None, output: str | Path | None = None) -> bool:
    """Whether ``output`` (default ``book/<chapter>.ipynb``) was executed from the same source,
    parameters, code, packages, machine and corpora (:mod:`sertools.buildcache`)."""
    from . import buildcache

    source = find_chapter(chapter)
    return buildcache.up_to_date(_output(source, output), buildcache.build_key(source, absolute_paths(parameters)))


def timing_profile(parameters: dict[str, Any] | None) -> str:
    """The profile a run's time is recorded under (a dry run is never shown as its profile's time)."""
    profile = str((parameters or {}).get("profile", "book"))
    return profile + " dry run" if str((parameters or {}).get("dry_run", False)) == "True" else profile


def _scrub(path: Path, source: Path, key: str | None = None) -> None:
    """papermill stores the in-memory input notebook as ``input_path``; store the source path,
    and the build key the notebook is up to date with."""
    import nbformat

    from .buildcache import KEY

    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = str(source.relative_to(PROJECT_ROOT)) if source.is_relative_to(PROJECT_ROOT) else str(source)
    meta["output_path"] = path.name
    nb.metadata.setdefault("sertools", {})[KEY] = key
    hide_injected(nb)
    nbformat.write(nb, path)


def hide_injected(nb):
    """Tag papermill's injected parameters cell ``remove-cell``: the book shows the chapter's own
    parameters cell and the resolved parameters below it, not a second cell of overrides."""
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    return nb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sertools.run", description=__doc__, add_help=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-h", "--help", action="store_true", help="this help, or with chapters: their parameters")
    ap.add_argument("chapters", nargs="*", help="chapter names, or 'all'")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-o", "--output", help="output .ipynb (one chapter) or folder (several)")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="chapters run side by side, each in a process of its own (default 1)")
    ap.add_argument("--force", action="store_true",
                    help="execute every chapter named, also those whose executed notebook is up to date")
    ap.add_argument("--list", action="store_true", help="list the chapters and exit")
    ap.add_argument("--help-parameters", "--params", action="store_true",
                    help="list every parameter of the named chapters and exit")
    args = ap.parse_args(argv)
    if args.help and not args.chapters:
        ap.print_help()
        return 0
    args.help_parameters = args.help_parameters or args.help
    try:
        if args.list or not args.chapters:
            print("\n".join(chapters()))
            return 0
        names = chapters() if args.chapters == ["all"] else [find_chapter(n).stem for n in args.chapters]
    except ChapterError as err:
        print(err, file=sys.stderr)
        return 2
    if args.help_parameters:
        print("\n\n".join(describe_parameters(n) for n in names))
        return 0
    try:
        require_book_extra()
    except MissingExtraError as err:
        print(err, file=sys.stderr)
        return 2
    params = absolute_paths({k: parse_value(v) for k, v in args.parameter})
    args.output = str(Path(args.output).expanduser().absolute()) if args.output else None
    if args.jobs > 1 and len(names) > 1:
        raw = [(k, params[k] if k in PATH_PARAMETERS and isinstance(params[k], str) else v) for k, v in args.parameter]
        from .side_by_side import execute_side_by_side

        return execute_side_by_side(names, raw, args.output, args.jobs, force=args.force)
    sources = {} if args.chapters == ["all"] else {find_chapter(n).stem: str(find_chapter(n)) for n in args.chapters}
    for name in names:
        out = args.output
        if out and len(names) > 1:
            out = Path(out) / f"{name}.ipynb"
        t0 = time.perf_counter()
        if not args.force and up_to_date(sources.get(name, name), params, out):
            print(f"{name}: up to date (same source, parameters, code, packages, machine and corpora): kept "
                  f"{_output(find_chapter(sources.get(name, name)), out)}", flush=True)
            continue
        try:
            path = execute_chapter(sources.get(name, name), params, out)  # a chapter given as a path keeps it
        except Exception as err:  # noqa: BLE001 - reported, and the exit status says it failed
            print(f"{name}: FAILED after {time.perf_counter() - t0:.1f} s: {failure_summary(err)}",
                  file=sys.stderr, flush=True)
            return 1
        print(f"{name}: {time.perf_counter() - t0:.1f} s -> {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
