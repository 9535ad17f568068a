"""Per-chapter glue: each chapter's parameters, profiles, runs and tables.

The paper-specific models live in :mod:`sertools.models`; these modules only compose the
toolkit for one chapter, so that a sweep can rebuild a chapter's tables from its results
without re-running the notebook.
"""
