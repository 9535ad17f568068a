"""What a notebook's namespace says about its parameters: the names it defined itself, and the
names its parameters cells assigned (so that names made by later cells are not taken for
parameters when a reader re-runs the parameters cell)."""
from __future__ import annotations

import types
from typing import Any, Mapping

# Names the IPython kernel itself puts into a notebook's namespace.
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def user_names(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The names a notebook defined itself (parameters and papermill-injected values)."""
    out = {}
    for k, v in namespace.items():
        if k.startswith("_") or k in _KERNEL_NAMES:
            continue
        if isinstance(v, types.ModuleType) or callable(v):  # imports are not parameters
            continue
        out[k] = v
    return out


def assigned_literals(cell: str) -> set[str] | None:
    """The names a parameters cell assigns (every statement ``name = literal``, imports aside), or
    ``None`` when ``cell`` is not such a cell."""
    import ast

    try:
        tree = ast.parse(cell)
    except SyntaxError:
        return None
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):  # imports are not parameters
            continue
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            return None
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            elts = t.elts if isinstance(t, ast.Tuple) else [t]
            if not all(isinstance(e, ast.Name) for e in elts):
                return None
            names |= {e.id for e in elts}
        try:
            ast.literal_eval(stmt.value)
        except (ValueError, SyntaxError, TypeError):
            return None
    return names


def parameter_cell_names(namespace: Mapping[str, Any]) -> set[str] | None:
    """In a live kernel (``namespace`` is the notebook's own), the names set by the parameters
    cells executed just before this one (the chapter's ``parameters`` cell and papermill's injected
    cell: cells of literal assignments only). ``None`` outside a kernel or without an input history:
    then every name of ``namespace`` counts.

    This is what lets a reader re-run the parameters cell after later cells: the names those cells
    made (``P``, ``d``, ``res``, ...) are not taken for parameters."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    ip = get_ipython()
    if ip is None or namespace is not ip.user_ns:
        return None
    history = [c for c in ip.user_ns.get("In", []) if c.strip()]
    if not history:
        return None
    names: set[str] = set()
    for cell in reversed(history[:-1]):  # history[-1] is the cell running now
        assigned = assigned_literals(cell)
        if assigned is None:
            break
        names |= assigned
    return names
