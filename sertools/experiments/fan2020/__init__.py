"""Chapter 5: Fan et al. (2020), adaptive domain-aware representation learning (ADARL).

The module follows the chapter protocol (:mod:`sertools.experiments.common`) and is split by
idea: :mod:`.registration` (parameters, the paper's tables, claims, deviations), :mod:`.units`
(the data and one unit of work), :mod:`.analysis` (the run, the results tables and figures)
and :mod:`.control` (the mechanism gate, the verdicts and the positive control).
"""
from ...models.adarl import SYSTEMS  # noqa: F401  (the systems, named by the model)
from .registration import (  # noqa: F401
    CHANCE, CLAIMS, CLASSES, DEVIATIONS, LABELS, NAMES, PAPER, PAPER_FIG4, PAPER_TABLE2, PAPER_TABLE3,
    PAPER_TABLE4, parameters, PARAMS, PROFILES,
)
from .units import (  # noqa: F401
    Data, data, extractor, fold_items, fold_stats, gender_separation, input_stats, reference_job, run_unit,
    score_unit, segments, Stats, train_config, trained_model, unit_job, unit_key,
)
from .analysis import (  # noqa: F401
    figure5, mean_confusion, Results, run, summary, table3, tables,
)
from .control import (  # noqa: F401
    claims, CONTROL, CONTROL_SYSTEMS, control_units, gate, mechanism,
)
