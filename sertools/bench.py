"""Measurements behind the performance page and ``make bench`` (measured, never asserted).

* synthetic generation speed (audio-hours per CPU-hour of the generator's workers);
* each feature extractor cold (empty cache) vs cached;
* training throughput of each chapter's main model: the cached, length-bucketed pipeline vs a
  naive loop that reads audio and extracts features on the fly for every batch;
* chapter wall times, as recorded by ``sertools.run`` in ``<results>/timings.csv``.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import features
from .data import read_audio
from .paths import results_dir

TARGETS = {"cold make book (install, corpora, features, chapters, HTML)": "≤ 30 min on 2 CPU cores",
           "smoke profile, whole book": "≤ 10 min", "smoke, one chapter": "≤ 90 s",
           "book, one paper chapter": "≤ 5 min", "second feature extraction": "≥ 20× faster than the first",
           "cached training": "≥ 3× the naive loop", "pipeline efficiency": "≥ 0.8 for every chapter's model"}


def record_timing(chapter: str, profile: str, seconds: float, alongside: int = 1) -> None:
    """Append a chapter's wall time (called by ``sertools.run``); ``alongside``: how many chapters
    ran at once (``sertools.run --jobs``)."""
    from .paths import file_lock
    from .provenance import git_sha, machine

    path = results_dir() / "timings.csv"
    row = pd.DataFrame([{"chapter": chapter, "profile": profile, "seconds": round(seconds, 1),
                         "when": time.strftime("%Y-%m-%d %H:%M:%S"), "git_sha": git_sha(),
                         "cpus": os.cpu_count(), "gpu": machine()["gpu"], "alongside": alongside}])
    with file_lock(path.with_suffix(".lock")):
        if path.exists() and "alongside" not in pd.read_csv(path, nrows=0).columns:  # a file from before the column
            pd.read_csv(path).assign(alongside=1).to_csv(path, index=False)
        row.to_csv(path, mode="a", header=not path.exists(), index=False)


def chapter_timings() -> pd.DataFrame:
    """The latest recorded wall time per (chapter, profile)."""
    path = results_dir() / "timings.csv"
    if not path.exists():
        return pd.DataFrame(columns=["chapter", "profile", "seconds", "when", "alongside"])
    t = pd.read_csv(path)
    t["alongside"] = t["alongside"].fillna(1).astype(int) if "alongside" in t else 1
    return t.sort_values("when").groupby(["chapter", "profile"]).tail(1).sort_values(["profile", "chapter"])


def generation_speed(names=("emodb", "crema-d"), size: str = "smoke") -> pd.DataFrame:
    """Render corpora into a scratch folder; report the generator's own statistics."""
    from .data.synth import synthesize

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            root = synthesize(n, root=Path(tmp) / n, size=size, progress=False)
            import json

            marker = root / "SYNTHETIC.json" if (root / "SYNTHETIC.json").exists() else root.parent / "SYNTHETIC.json"
            s = json.loads(marker.read_text())["stats"]
            rows.append({"corpus": n, "utterances": s["utterances"], "audio h": round(s["audio_hours"], 3),
                         "wall s": round(s["wall_s"], 1), "audio-h per CPU-h": round(s["audio_hours_per_cpu_hour"])})
    return pd.DataFrame(rows).set_index("corpus")


EXTRACTORS: dict[str, Callable[[], features.Extractor]] = {
    "log-Mel 40 (25/10 ms)": lambda: features.LogMel(),
    "log-Mel 40 + Kaldi-style pitch": lambda: features.LogMel(win_ms=40, pitch=True),
    "μ-law spectrogram 400 bins": lambda: features.MuLawSpectrogram(),
    "3-window log-STFT": lambda: features.MultiWindowLogSTFT(),
    "emobase 45 LLDs (openSMILE)": lambda: features.Emobase45(),
    "eGeMAPS functionals (openSMILE)": lambda: features.Functionals(),
}


def feature_speed(paths: list[str]) -> pd.DataFrame:
    """Cold (empty cache) and cached extraction of every extractor on ``paths``."""
    from .data.audio import audio_info

    seconds = sum(audio_info(p)[2] for p in paths)
    rows = []
    old = os.environ.get("SERTOOLS_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SERTOOLS_CACHE"] = tmp
        try:
            for name, make in EXTRACTORS.items():
                cold, warm = {}, {}
                features.extract(paths, make(), progress=False, stats=cold)
                features.extract(paths, make(), progress=False, stats=warm)
                rows.append({"extractor": name, "utterances": len(paths), "cold s": round(cold["seconds"], 2),
                             "cached s": round(warm["seconds"], 3), "speed-up": round(cold["seconds"] / warm["seconds"]),
                             "× real time (cold)": round(seconds / cold["seconds"])})
        finally:
            if old is None:
                os.environ.pop("SERTOOLS_CACHE", None)
            else:
                os.environ["SERTOOLS_CACHE"] = old
    return pd.DataFrame(rows).set_index("extractor")


def _models():
    """Each chapter's main model at its book-profile input size and batch size."""
    from .models.adarl import ADARL
    from .models.blstm_attention import BLSTMAttention
    from .models.cnn_lstm import AttributeSER
    from .models.menan import SpeakerInvariantSER
    from .models.resnet_adapters import ResNet20

    return {  # name → (model factory, extractor, item transform, batch size)
        "BLSTM-attention (Chou)": (lambda: BLSTMAttention(45, 64, 32, 64, 4), features.Emobase45(),
                                   lambda x: features.mean_pool(features.drop_unvoiced(x), 10), 64),
        "CNN-GRU MEnAN (Li)": (lambda: SpeakerInvariantSER(4, 8, "menan"), features.LogMel(win_ms=40, pitch=True),
                               lambda x: features.mean_pool(features.crop_or_repeat(x, 300), 2), 64),
        "CNN-LSTM GR (Parry)": (lambda: AttributeSER(4, {"speaker": 8}, "gr", 0.5, channels=48, hidden=64),
                                features.LogMel(), lambda x: features.zscore(features.mean_pool(x, 4), False), 32),
        "ResNet20 adapters (Xi)": (lambda: ResNet20(4, True, 8), features.MuLawSpectrogram(out_bins=40, time_pool=8),
                                   lambda x: features.chunks(x.astype(np.float32), 25, 25)[0], 32),
        "ADARL (Fan)": (lambda: ADARL(4, 2, "adarl", (40, 24)),
                        features.MultiWindowLogSTFT(hop_ms=3000 / 288, out_bins=40, time_pool=12),
                        lambda x: features.chunks(x.astype(np.float32), 24, 24)[0], 8),
    }


def _epoch(model, batches, opts) -> None:
    model.train()
    for b in batches:
        for name, loss in model.training_step(b, 0.5):
            opts[name].zero_grad()
            loss.backward()
            opts[name].step()


def training_speed(paths: list[str], batch_size: int = 16) -> pd.DataFrame:
    """Utterances per second for one epoch of each main model, in the same loop: batches from
    the cache with length bucketing vs batches whose audio is read and whose features are
    extracted on the fly (random order, no cache). One warm-up batch is not timed."""
    from .train import ItemDataset, TrainConfig, collate, loader

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, len(paths))

    def item(i, x):
        return {"x": x, "y": int(labels[i]), "utt": int(i), "speaker": int(labels[i]) % 8, "gender": int(labels[i]) % 2}

    rows = []
    for name, (make, extractor, transform, _) in _models().items():
        features.extract(paths, extractor, progress=False)             # make sure the cache is warm
        model = make()
        opts = model.optimizers(TrainConfig(1, batch_size, 1e-3))
        warm = [item(i, transform(extractor.compute(read_audio(paths[i])))) for i in (0, 1)]
        _epoch(model, [collate(warm)], opts)                            # warm-up, not timed

        t0 = time.perf_counter()
        arrays = features.extract(paths, extractor, progress=False)
        ds = ItemDataset([item(i, transform(x)) for i, x in enumerate(arrays)])
        _epoch(model, loader(ds, batch_size, shuffle=True, bucket=True), opts)
        cached = time.perf_counter() - t0

        t0 = time.perf_counter()
        order = rng.permutation(len(paths))
        naive = (collate([item(i, transform(extractor.compute(read_audio(paths[i])))) for i in order[s:s + batch_size]])
                 for s in range(0, len(order), batch_size))
        _epoch(model, naive, opts)
        on_the_fly = time.perf_counter() - t0
        rows.append({"model": name, "cached utt/s": round(len(paths) / cached, 1),
                     "naive utt/s": round(len(paths) / on_the_fly, 1), "speed-up": round(on_the_fly / cached, 1)})
    return pd.DataFrame(rows).set_index("model")


def pipeline_efficiency(paths: list[str], epochs: int = 2, repeats: int = 3, members: int = 2) -> pd.DataFrame:
    """The trainer's training examples per second (``fit``'s training loop: batching, collation,
    the step generator, optimisers) ÷ a bare forward + backward + step loop on the same model,
    batches and tensor shapes; 1.0 = no overhead. The wall time including the per-epoch
    evaluations behind the learning curves is shown beside it, and the examples per second per
    member of ``members`` seeds trained as one batched ensemble (:func:`sertools.ensemble.fit_ensemble`,
    its training loop only), or why the model cannot run as one.

    Each side is timed ``repeats`` times on a fresh model and the median is kept, after a warm-up
    (one short ``fit`` with its evaluations) that pays a process's one-off costs (kernel
    selection, lazy imports of the optimiser and metric code) before either side is timed; the
    three are timed in turn within each repeat, so a busy machine slows them alike."""
    import torch

    from .ensemble import EnsembleUnsupported, fit_ensemble
    from .train import ItemDataset, TrainConfig, collate, fit, loader

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, len(paths))
    rows = []
    for name, (make, extractor, transform, batch_size) in _models().items():
        arrays = features.extract(paths, extractor, progress=False)
        ds = ItemDataset([{"x": transform(x), "y": int(labels[i]), "utt": i, "speaker": int(labels[i]) % 8,
                           "gender": int(labels[i]) % 2} for i, x in enumerate(arrays)])
        held = ItemDataset(ds.items[: max(8, len(ds) // 10)])
        cfg = TrainConfig(epochs, batch_size, 1e-3, monitor=None)
        batches = [collate([ds.items[i] for i in b]) for b in loader(ds, batch_size, shuffle=True).batch_sampler]
        fit(make(), ItemDataset(ds.items[: 2 * batch_size]), TrainConfig(1, batch_size, 1e-3, monitor=None),
            device="cpu", labels=range(4), track=held)  # warm-up, not timed
        trainer, wall, bare, ensemble, why = [], [], [], [], ""
        for _ in range(repeats):
            torch.manual_seed(0)
            t0 = time.perf_counter()
            hist = fit(make(), ds, cfg, seed=0, device="cpu", labels=range(4), track=held)
            wall.append(time.perf_counter() - t0)
            trainer.append(hist.seconds_per_epoch * epochs)
            torch.manual_seed(0)
            model = make()
            opts = model.optimizers(cfg)
            t0 = time.perf_counter()
            for _ in range(epochs):
                _epoch(model, batches, opts)
            bare.append(time.perf_counter() - t0)
            if not why:
                try:
                    torch.manual_seed(0)
                    hists = fit_ensemble([make() for _ in range(members)], ds, TrainConfig(epochs, batch_size, 1e-3,
                                         monitor=None, bucket=False), list(range(members)), device="cpu")
                    ensemble.append(hists[0].seconds_per_epoch * epochs)  # per member
                except EnsembleUnsupported as err:
                    why = str(err).split(":")[0]
        trainer_s, wall_s, bare_s = (float(np.median(v)) for v in (trainer, wall, bare))
        n = len(ds) * epochs
        row = {"model": name, "batch": batch_size, "trainer ex/s": round(n / trainer_s, 1),
               "bare loop ex/s": round(n / bare_s, 1), "pipeline efficiency": round(bare_s / trainer_s, 2),
               "with learning curves": round(bare_s / wall_s, 2)}
        if ensemble:
            ens_s = float(np.median(ensemble))
            row.update({f"ensemble ex/s per member (×{members})": round(n / ens_s, 1),
                        "ensemble ÷ trainer": round(trainer_s / ens_s, 2), "ensemble": "runs"})
        else:
            row.update({f"ensemble ex/s per member (×{members})": np.nan, "ensemble ÷ trainer": np.nan,
                        "ensemble": f"not possible: {why}"})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def sweep_scaling(cpus: tuple[int, ...] = (1, 2), grid: dict | None = None) -> pd.DataFrame:
    """Wall time of the same smoke-profile sweep grid with 1 and 2 Ray worker CPUs."""
    from .sweep import sweep

    grid = grid or {"lambda_": [0.3, 0.7], "seeds": [[0], [1]]}
    rows = []
    for n in cpus:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            sweep("li2020", grid, {"profile": "smoke", "systems": ["ec", "menan"]}, num_cpus=n, root=Path(tmp))
            rows.append({"worker CPUs": n, "grid points": int(np.prod([len(v) for v in grid.values()])),
                         "wall s": round(time.perf_counter() - t0, 1)})
    out = pd.DataFrame(rows).set_index("worker CPUs")
    out["speed-up"] = (out["wall s"].iloc[0] / out["wall s"]).round(2)
    return out


def save(tables: dict[str, pd.DataFrame]) -> Path:
    """Keep the latest ``make bench`` tables for the performance page."""
    folder = results_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        t.to_csv(folder / f"{name}.csv")
    (folder / "when.txt").write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    return folder


def saved() -> tuple[dict[str, pd.DataFrame], str | None]:
    folder = results_dir() / "bench"
    if not (folder / "when.txt").exists():
        return {}, None
    return ({p.stem: pd.read_csv(p, index_col=0) for p in sorted(folder.glob("*.csv"))},
            (folder / "when.txt").read_text())


def main(argv: list[str] | None = None) -> int:
    """``sertools bench``: the tables of ``benchmarks/run.py`` (a checkout) or the package's own."""
    import runpy
    import sys

    from .paths import PROJECT_ROOT

    script = PROJECT_ROOT / "benchmarks" / "run.py"
    if not script.exists():
        print("sertools bench needs a checkout of the book (benchmarks/run.py)", file=sys.stderr)
        return 2
    sys.argv = [str(script), *(argv or [])]
    runpy.run_path(str(script), run_name="__main__")
    return 0
