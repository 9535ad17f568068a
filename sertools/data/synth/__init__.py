"""The embedded synthetic corpus family (eSpeak NG, driven in separate worker processes)."""
from .generate import PLANNERS, synthesize, synthesize_all

__all__ = ["PLANNERS", "synthesize", "synthesize_all"]
