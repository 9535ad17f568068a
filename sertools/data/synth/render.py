"""Rendering one shard of a plan to audio files, in a worker process (see :mod:`.generate`).

Each utterance: eSpeak NG → recording gain (the job's ``gain_db`` less a fixed headroom of
:data:`HEADROOM_DB`, so that loud, strongly gained utterances rarely reach full scale) → the
channel at the job's severity (every chain is scale-invariant, see :mod:`.channels`) →
resampling → 16-bit PCM.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

HEADROOM_DB = 18.0


def render_shard(jobs: list[dict]) -> tuple[float, float, int]:
    """Worker: render one shard. Returns (seconds of audio, CPU seconds, utterances)."""
    import soundfile as sf

    from ..audio import resample
    from .channels import apply_channel
    from .espeak import ESpeak, private_data_dir

    t0 = time.process_time()
    tmp = Path(tempfile.mkdtemp(prefix="sertools-espeak-"))
    try:
        engine = ESpeak(private_data_dir(tmp / "data"))
        seconds = 0.0
        for job in jobs:
            raw = engine.synth(job["text"], job["language"], job["variant"], job["rate"], job["volume"], job["seed"])
            if raw.size == 0:
                raise RuntimeError(f"eSpeak NG produced no audio for {job['path']}")
            x = raw.astype(np.float32) / 32768.0 * np.float32(10 ** ((job["gain_db"] - HEADROOM_DB) / 20))
            x = apply_channel(x, engine.sample_rate, job["channel"], np.random.default_rng(job["seed"]), job["severity"])
            x = resample(x, engine.sample_rate, job["sample_rate"])
            Path(job["path"]).parent.mkdir(parents=True, exist_ok=True)
            sf.write(job["path"], x, job["sample_rate"], subtype="PCM_16")
            seconds += x.size / job["sample_rate"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return seconds, time.process_time() - t0, len(jobs)
