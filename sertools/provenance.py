"""Provenance: stable hashes of configurations and splits, package versions, git SHA.

Every result row in the book carries ``config_hash``, ``split_hash``, the seed and the
versions below, so that a number can always be traced to what produced it.
"""
from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .paths import PROJECT_ROOT

TRACKED_PACKAGES = ("sertools", "torch", "torchaudio", "numpy", "scipy", "pandas", "scikit-learn",
                    "opensmile", "espeakng-loader", "soundfile")


def _canonical(obj: Any) -> Any:
    """Turn ``obj`` into something ``json.dumps(sort_keys=True)`` renders the same every time."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_canonical(v) for v in obj)
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if isinstance(obj, float):
        return float(repr(obj))
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return repr(obj)


def stable_hash(obj: Any, length: int = 12) -> str:
    """A short, stable SHA-256 hex digest of any JSON-like object (dict order does not matter)."""
    text = json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of the packages that can change a number in the book."""
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


@lru_cache(maxsize=1)
def git_sha() -> str:
    """The checkout's commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5).stdout
        return (sha + ("-dirty" if dirty.strip() else "")) if sha else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, str]:
    """A one-line description of the machine a result was computed on."""
    import os

    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": str(os.cpu_count()),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_threads": str(torch.get_num_threads()), "gpu": gpu}


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``, else :func:`platform.processor`): times
    measured on two machines of the same size differ by a quarter between CPU generations."""
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        name = fields.get("model name\t", "").strip()
        family, model = fields.get("cpu family\t", "").strip(), fields.get("model\t\t", "").strip()
        if name and family:
            return f"{name} (family {family}, model {model})"
        return name or platform.processor() or "unknown"
    except OSError:
        return platform.processor() or "unknown"


def provenance_columns(config_hash: str, split_hash: str, seed: int | str) -> dict[str, str]:
    """The provenance columns every result row carries."""
    v = versions()
    return {"config_hash": config_hash, "split_hash": split_hash, "seed": str(seed),
            "git_sha": git_sha(), "sertools": v["sertools"], "torch": v["torch"],
            "numpy": v["numpy"], "sklearn": v["scikit-learn"]}
