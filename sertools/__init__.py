"""sertools: the thin, tested toolkit behind *Speech Emotion Recognition, Reproduced*.

Data flows one way: corpora (:mod:`sertools.data`) -> label policies and folds
(:mod:`sertools.protocols`) -> cached features (:mod:`sertools.features`) -> models
(:mod:`sertools.models`) trained by one trainer (:mod:`sertools.train`) -> metrics,
plots and provenance-stamped result tables.
"""
__version__ = "0.1.0"
