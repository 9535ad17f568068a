"""The embedded synthetic corpus family (eSpeak NG, driven in separate worker processes)."""
from .generate import PLANNERS, corpus_path, synthesize, synthesize_all

__all__ = ["PLANNERS", "corpus_path", "synthesize", "synthesize_all"]
