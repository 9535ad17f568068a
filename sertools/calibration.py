"""Calibration of the IEMOCAP-like corpus: the signal reference must sit in a cited band.

The band is where simple systems land on the real IEMOCAP, four classes, speaker-independent:
the baselines of the book's own papers (:data:`SOURCES`). A linear model on eGeMAPS should sit
at or a little below such baselines (Neumann & Vu, 2017, found IEMOCAP results largely
independent of the input features). The simulator's IEMOCAP expressiveness
(``specs_dyadic.IEMOCAP_GAIN``) is set so that the reference, at the ``book`` size, lands in the
band on average over :data:`SEEDS` corpus seeds; it is calibrated on the reference only, never
on a method's gain.

``python -m sertools.calibration`` (``make calibration``) generates the corpora, measures the
reference, writes :data:`RECORD` with ``--write``, and exits 1 when the mean or any seed leaves
the band: the check that the default corpus still matches the text.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import pandas as pd

BAND = (0.50, 0.60)
SOURCES = {  # the papers' simple baselines on the real IEMOCAP (UA %, four classes, speaker-independent)
    "li2020menan": ("EC only (Li et al., Table 2)", 57.45),
    "fan2020adarl": ("backbone (Fan et al., Table 3)", 56.78),
    "xi2019adapters": ("plain ResNet20 (Xi et al., Table II)", 59.00),
}
SEEDS = (0, 1, 2)
SIZE = "book"
RECORD = Path(__file__).resolve().parent / "data" / "synth" / "calibration.json"


def measure(seeds=SEEDS, size: str = SIZE, progress: bool = False) -> pd.DataFrame:
    """The signal reference on the IEMOCAP-like corpus of each corpus seed (one row per seed)."""
    from .data import embedded
    from .experiments.foundations import reference_by_corpus

    rows = []
    for seed in seeds:
        t0 = time.perf_counter()
        r = reference_by_corpus({"iemocap": embedded("iemocap", size=size, seed=seed, progress=progress)}).iloc[0]
        rows.append({"corpus seed": seed, "reference UA": float(r["reference UA"]), "speaker sd": float(r["speaker sd"]),
                     "utterances": int(r["utterances"]), "in band": bool(BAND[0] <= r["reference UA"] <= BAND[1]),
                     "seconds": round(time.perf_counter() - t0, 1)})
    return pd.DataFrame(rows).set_index("corpus seed")


def problems(table: pd.DataFrame) -> list[str]:
    """Why ``table`` fails the calibration (empty when the mean and every seed lie in the band)."""
    lo, hi = BAND
    out = [f"seed {s}: reference UA {100 * u:.1f} % outside {100 * lo:.0f}–{100 * hi:.0f} %"
           for s, u in table["reference UA"].items() if not lo <= u <= hi]
    mean = table["reference UA"].mean()
    if not lo <= mean <= hi:
        out.insert(0, f"mean reference UA {100 * mean:.1f} % outside {100 * lo:.0f}–{100 * hi:.0f} %")
    return out


def record(table: pd.DataFrame) -> dict:
    """What ``--write`` stores: the measurements with the generator's code hash and the machine."""
    from .data.synth.generate import generator_hash
    from .data.synth.specs_dyadic import IEMOCAP_GAIN

    return {"generator": generator_hash(), "iemocap_gain": IEMOCAP_GAIN, "size": SIZE, "band": list(BAND),
            "mean": float(table["reference UA"].mean()),
            "seeds": {str(s): {k: (float(v) if isinstance(v, float) else v) for k, v in row.items()}
                      for s, row in table.drop(columns="seconds").iterrows()},
            "measured": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()} {platform.processor()}".strip()}


def load_record() -> dict | None:
    """The stored calibration, with ``current`` = whether it was measured with today's generator."""
    if not RECORD.exists():
        return None
    from .data.synth.generate import generator_hash

    rec = json.loads(RECORD.read_text())
    rec["current"] = rec.get("generator") == generator_hash()
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sertools.calibration", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--write", action="store_true", help=f"store the measurement in {RECORD.name}")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table = measure(args.seeds, progress=True)
    print(table.round(4).to_string())
    print(f"mean reference UA {100 * table['reference UA'].mean():.2f} % (band {100 * BAND[0]:.0f}–{100 * BAND[1]:.0f} %), "
          f"{time.perf_counter() - t0:.0f} s")
    if args.write:
        RECORD.write_text(json.dumps(record(table), indent=1) + "\n")
        print(f"wrote {RECORD}")
    bad = problems(table)
    for b in bad:
        print("CALIBRATION FAILED:", b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
