"""``python -m sertools.data.synth --size book``: generate the embedded corpora (skips complete ones)."""
from __future__ import annotations

import argparse
import sys

from .generate import PLANNERS, synthesize_all
from .plan import SIZES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sertools synth")
    ap.add_argument("--size", default="book", choices=list(SIZES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--knobs", default=None, help="mechanism knobs, e.g. \"{'gain_db': 0}\" (sertools.data.synth.knobs)")
    ap.add_argument("names", nargs="*", help=f"corpora (default: all of {', '.join(PLANNERS)})")
    args = ap.parse_args(argv)
    for name, path in synthesize_all(args.size, args.seed, args.names or None, args.workers,
                                           knobs=args.knobs).items():
        print(f"{name:9s} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
