"""A ctypes driver for libespeak-ng from the PyPI wheel ``espeakng-loader`` (eSpeak NG 1.52).

eSpeak NG is GPL-3.0. This module is only ever imported inside the generator's worker
processes (see :mod:`sertools.data.synth.generate`): the library is never loaded into a
notebook kernel. Worker isolation is also what makes synthesis deterministic: the library
keeps a hidden flutter phase across utterances, so each shard runs in a fresh process with
every utterance seeded.
"""
from __future__ import annotations

import ctypes as C
import os
import shutil
from pathlib import Path

import numpy as np

_SYNCHRONOUS = 2
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7
_CHARS_UTF8 = 1
_POS_CHARACTER = 1


class _Voice(C.Structure):
    _fields_ = [("name", C.c_char_p), ("languages", C.c_char_p), ("identifier", C.c_char_p),
                ("gender", C.c_ubyte), ("age", C.c_ubyte), ("variant", C.c_ubyte), ("xx1", C.c_ubyte),
                ("score", C.c_int), ("spare", C.c_void_p)]


class _Event(C.Structure):
    _fields_ = [("type", C.c_int), ("unique_identifier", C.c_uint), ("text_position", C.c_int),
                ("length", C.c_int), ("audio_position", C.c_int), ("sample", C.c_int),
                ("user_data", C.c_void_p), ("id", C.c_char * 8)]


_CALLBACK = C.CFUNCTYPE(C.c_int, C.POINTER(C.c_short), C.c_int, C.POINTER(_Event))


def private_data_dir(dst: Path) -> Path:
    """A writable copy of espeak-ng-data: symlinks to the wheel's files plus our own voices/."""
    import espeakng_loader

    src = Path(espeakng_loader.get_data_path())
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        target = dst / entry.name
        if entry.name == "voices":
            if not target.exists():
                shutil.copytree(entry, target)
        elif not target.exists() and not target.is_symlink():
            target.symlink_to(entry)
    (dst / "voices" / "!v").mkdir(parents=True, exist_ok=True)
    return dst


class ESpeak:
    """Synchronous eSpeak NG: ``synth(text)`` returns int16 samples at :attr:`sample_rate`."""

    def __init__(self, data_dir: Path):
        import espeakng_loader

        self.lib = L = C.CDLL(espeakng_loader.get_library_path())
        L.espeak_Initialize.argtypes = [C.c_int, C.c_int, C.c_char_p, C.c_int]
        L.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        L.espeak_Synth.argtypes = [C.c_void_p, C.c_size_t, C.c_uint, C.c_int, C.c_uint, C.c_uint,
                                   C.POINTER(C.c_uint), C.c_void_p]
        L.espeak_SetParameter.argtypes = [C.c_int, C.c_int, C.c_int]
        L.espeak_SetVoiceByName.argtypes = [C.c_char_p]
        L.espeak_ListVoices.argtypes = [C.POINTER(_Voice)]
        L.espeak_ListVoices.restype = C.POINTER(C.POINTER(_Voice))
        L.espeak_ng_SetRandSeed.argtypes = [C.c_long]
        self.data_dir = Path(data_dir)
        self.sample_rate = L.espeak_Initialize(_SYNCHRONOUS, 0, str(self.data_dir).encode(), 0)
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed for data dir {self.data_dir}")
        self._chunks: list[np.ndarray] = []

        def _collect(wav, n, events):  # noqa: ARG001
            if wav and n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        self._callback = _CALLBACK(_collect)  # keep a reference alive
        L.espeak_SetSynthCallback(self._callback)
        self.voice_files = self._voice_files()
        self._variant = f"sertools{os.getpid()}"

    def _voice_files(self) -> dict[str, str]:
        """Language code → voice file name (``SetVoiceByName`` wants ``en``, not ``en-gb``)."""
        arr = self.lib.espeak_ListVoices(None)
        out: dict[str, str] = {}
        i = 0
        while arr[i]:
            v = arr[i].contents
            lang = v.languages[1:].split(b"\0")[0].decode(errors="replace")
            out.setdefault(lang, v.identifier.decode().split("/")[-1])
            i += 1
        return out

    def seed(self, seed: int) -> None:
        """Seed eSpeak's own noise generator and libc ``rand`` (used for aspiration noise)."""
        self.lib.espeak_ng_SetRandSeed(int(seed) & 0x7FFFFFFF)
        C.CDLL(None).srand(C.c_uint(int(seed) & 0xFFFFFFFF))

    def synth(self, text: str, language: str, variant: str, rate: int, volume: int, seed: int) -> np.ndarray:
        """Speak ``text`` with a voice variant file's content; parameters are reset every call."""
        (self.data_dir / "voices" / "!v" / self._variant).write_text(variant)
        voice = self.voice_files.get(language, language)
        if self.lib.espeak_SetVoiceByName(f"{voice}+{self._variant}".encode()) != 0:
            raise RuntimeError(f"eSpeak NG has no voice for language {language!r}")
        for param, value in ((_RATE, rate), (_PITCH, 50), (_RANGE, 50), (_VOLUME, volume), (_WORDGAP, 0)):
            self.lib.espeak_SetParameter(param, int(value), 0)
        self.seed(seed)
        self._chunks = []
        data = text.encode("utf-8") + b"\0"
        if self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
            raise RuntimeError(f"espeak_Synth failed for {text!r}")
        self.lib.espeak_Synchronize()
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
