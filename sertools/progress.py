"""Progress bars: tqdm in interactive sessions, silent in headless builds and tests.

The book build and the test suite set ``SERTOOLS_PROGRESS=0`` (bars in a static page are
noise, and widget bars need a CDN); a reader running a chapter live gets the bars.
"""
from __future__ import annotations

import os


def enabled() -> bool:
    return os.environ.get("SERTOOLS_PROGRESS", "1") not in ("0", "false", "no")


def bar(iterable=None, **kwargs):
    """``tqdm.auto.tqdm`` that respects ``SERTOOLS_PROGRESS``."""
    from tqdm.auto import tqdm

    kwargs.setdefault("leave", False)
    disable = kwargs.pop("disable", False) or not enabled()
    return tqdm(iterable, disable=disable, **kwargs)
