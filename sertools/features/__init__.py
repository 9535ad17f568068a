"""Features: extractors (cache keys), the content-addressed cache, and sequence operations."""
from .cache import extract
from .extractors import Extractor, LogMel, MultiWindowLogSTFT, MuLawSpectrogram, mu_law
from .sequence import chunks, crop_or_repeat, drop_unvoiced, mean_pool, spec_augment, zscore, zscore_by_group
from .smile import Emobase45, Functionals

__all__ = ["Emobase45", "Extractor", "Functionals", "LogMel", "MuLawSpectrogram", "MultiWindowLogSTFT", "chunks", "mu_law",
           "crop_or_repeat", "drop_unvoiced", "extract", "mean_pool", "spec_augment", "zscore", "zscore_by_group"]
