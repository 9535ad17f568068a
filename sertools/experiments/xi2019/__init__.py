"""Chapter 4: Xi et al. (2019), speaker-to-emotion transfer with residual adapters.

The module follows the chapter protocol (:mod:`sertools.experiments.common`) and is split by
idea: :mod:`.registration` (parameters, the paper's tables, claims, deviations), :mod:`.units`
(the data and one unit of work), :mod:`.analysis` (the run, the results tables and figures)
and :mod:`.control` (the mechanism gate, the verdicts and the positive control).
"""
from ...models.resnet_adapters import METHODS  # noqa: F401  (the systems, named by the model)
from .registration import (  # noqa: F401
    _claims, CHEAVD_CLASSES, CLAIMS, CLASSES, DEVIATIONS, IEMOCAP_CLASSES, MORE_SPEAKERS, NAMES, PAPER,
    paper_spread, PAPER_STD, PAPER_TABLE2, PAPER_TABLE3, parameters, PARAMS, PROFILES, speaker_claim,
)
from .units import (  # noqa: F401
    chunk_frames, chunked, corpus_data, CorpusData, Data, data, extractor, fold_items, pretrain, pretrain_job,
    reference_job, run_unit, train_and_score, training_peak, unit_job, unit_key,
)
from .analysis import (  # noqa: F401
    Results, run, summary, table2, tables,
)
from .control import (  # noqa: F401
    ABLATION, claims, CONTROL, control_units, gate, mechanism,
)
