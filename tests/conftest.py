"""Test-wide settings: headless progress bars, small thread counts, shared fixtures."""
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("SERTOOLS_PROGRESS", "0")


def write_tone(path: Path, sr: int = 16000, seconds: float = 0.5, freq: float = 220.0, channels: int = 1,
               silent: bool = False) -> Path:
    """A short sine tone (or silence) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    x = np.zeros_like(t) if silent else 0.3 * np.sin(2 * np.pi * freq * t)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    sf.write(path, x, sr, subtype="PCM_16")
    return path


@pytest.fixture
def tone():
    return write_tone
