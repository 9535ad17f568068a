"""`make bench`: measure generation, feature extraction (cold vs cached), training throughput
(cached + bucketed vs naive on-the-fly) and the recorded chapter wall times; print tables.

    .venv/bin/python benchmarks/run.py [--utterances 120]
"""
import argparse
import os

import pandas as pd

from sertools import bench, data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utterances", type=int, default=120, help="utterances of the IEMOCAP-like corpus to use")
    ap.add_argument("--size", default="book", choices=["smoke", "book"])
    a = ap.parse_args()
    pd.set_option("display.width", 160)
    print(f"machine: {os.cpu_count()} CPU cores\n")
    print("Synthetic corpus generation\n", bench.generation_speed().to_string(), "\n", sep="")
    paths = list(data.embedded("iemocap", a.size, progress=False).utterances.path[: a.utterances])
    print(f"Feature extraction on {len(paths)} utterances: cold vs cached\n", bench.feature_speed(paths).to_string(),
          "\n", sep="")
    print(f"Training throughput, one epoch on {len(paths)} utterances\n", bench.training_speed(paths).to_string(),
          "\n", sep="")
    print("Chapter wall times (latest recorded)\n", bench.chapter_timings().to_string(index=False), sep="")
    print("\nTargets:", "; ".join(f"{k}: {v}" for k, v in bench.TARGETS.items()))


if __name__ == "__main__":
    main()
