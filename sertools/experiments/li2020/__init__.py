"""Chapter 2: Li et al. (2020), speaker-invariant representations with a max-entropy adversary.

The module follows the chapter protocol (:mod:`sertools.experiments.common`) and is split by
idea: :mod:`.registration` (parameters, the paper's tables, claims, deviations), :mod:`.units`
(the data and one unit of work), :mod:`.analysis` (the run, the results tables and figures)
and :mod:`.control` (the mechanism gate, the verdicts and the positive control).
"""
from ...models.menan import SYSTEMS  # noqa: F401  (the systems, named by the model)
from .registration import (  # noqa: F401
    _gap, CHANCE, CLAIMS, DEVIATIONS, EMOTIONS, GAP, LABELS, MOSEI_CLASSES, NAMES, PAPER, PAPER_TABLE2,
    PAPER_TABLE3, parameters, PARAMS, PROFILES,
)
from .units import (  # noqa: F401
    Data, data, extractor, fold_items, FoldItems, inputs, mosei_accuracy, mosei_label, mosei_subset,
    reference_job, run_unit, score_unit, speaker_probe, standardiser, train_config, trained_model, unit_job,
    unit_key,
)
from .analysis import (  # noqa: F401
    figure2, Results, run, summary, table2, TABLE2_COLUMNS, tables,
)
from .control import (  # noqa: F401
    claims, CONTROL, CONTROL_SYSTEMS, control_units, gate, mechanism, NEGATIVE, PROBE,
)
