"""The ``sertools`` command: ``sertools run|sweep|bench|synth ...`` (one entry point, installed
with the package; each subcommand is the module of the same name).

    sertools run li2020 -p profile smoke       # = python -m sertools.run ...
    sertools run li2020 --help                 # every parameter of a chapter
    sertools sweep li2020 --grid lambda_=0.3,0.7
    sertools synth --size book                 # the embedded corpora
    sertools bench                             # the performance tables
"""
from __future__ import annotations

import sys

COMMANDS = ("run", "sweep", "bench", "synth")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        from .run import main as run
        return run(rest)
    if command == "sweep":
        from .sweep import main as sweep
        return sweep(rest)
    if command == "synth":
        from .data.synth.__main__ import main as synth
        return synth(rest)
    from .bench import main as bench
    return bench(rest)


if __name__ == "__main__":
    sys.exit(main())
