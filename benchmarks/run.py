"""`make bench`: measure generation, feature extraction (cold vs cached), training throughput
(cached + bucketed vs naive on-the-fly), sweep scaling over Ray CPUs, and the recorded chapter
wall times; print the tables and keep them for the performance page.

    .venv/bin/python benchmarks/run.py [--utterances 120] [--no-sweep]
"""
import argparse
import os

import pandas as pd

from sertools import bench, data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utterances", type=int, default=120, help="utterances of the IEMOCAP-like corpus to use")
    ap.add_argument("--size", default="book", choices=["smoke", "book"])
    ap.add_argument("--no-sweep", action="store_true", help="skip the Ray sweep scaling measurement")
    a = ap.parse_args()
    pd.set_option("display.width", 160)
    print(f"machine: {os.cpu_count()} CPU cores\n")
    tables = {"generation": bench.generation_speed()}
    print("Synthetic corpus generation\n", tables["generation"].to_string(), "\n", sep="")
    paths = list(data.embedded("iemocap", a.size, progress=False).utterances.path[: a.utterances])
    tables["features"] = bench.feature_speed(paths)
    print(f"Feature extraction on {len(paths)} utterances: cold vs cached\n", tables["features"].to_string(), "\n", sep="")
    tables["training"] = bench.training_speed(paths)
    print(f"Training throughput, one epoch on {len(paths)} utterances\n", tables["training"].to_string(), "\n", sep="")
    many = list(data.embedded("iemocap", a.size, progress=False).utterances.path[: 4 * a.utterances])
    tables["efficiency"] = bench.pipeline_efficiency(many)
    print(f"Pipeline efficiency: the trainer vs a bare loop, {len(many)} utterances\n",
          tables["efficiency"].to_string(), "\n", sep="")
    if not a.no_sweep:
        tables["sweep"] = bench.sweep_scaling()
        print("Sweep of 4 smoke-profile runs of li2020 on a local Ray\n", tables["sweep"].to_string(), "\n", sep="")
    print("Chapter wall times (latest recorded)\n", bench.chapter_timings().to_string(index=False), sep="")
    print("\nTargets:", "; ".join(f"{k}: {v}" for k, v in bench.TARGETS.items()))
    print(f"\nsaved to {bench.save(tables)}")


if __name__ == "__main__":
    main()
