"""Chapter 1: Chou & Lee (2020), per-rater perception with co-rater soft and hard labels.

The module follows the chapter protocol (:mod:`sertools.experiments.common`) and is split by
idea: :mod:`.registration` (parameters, the paper's tables, claims, deviations), :mod:`.units`
(the data and one unit of work), :mod:`.analysis` (the run, the results tables and figures)
and :mod:`.control` (the mechanism gate, the verdicts and the positive control).
"""
from .registration import (  # noqa: F401
    _claims, _raters_ok, CHANCE, CLAIMS, DEVIATIONS, PAPER, PAPER_LR, PAPER_SIZES, PAPER_TABLE1,
    paper_table1_mean, PAPER_TABLE3, parameters, PARAMS, PROFILES, SYSTEMS, TASKS, tasks, trained_systems,
)
from .units import (  # noqa: F401
    _context, _items, _vectors, Data, data, folds_for, frozen_outputs, label_rmse, reference_job, run_unit,
    score_unit, sequences, target_raters, train_config, train_fusion, train_submodel, unit_data, unit_job,
    UnitData,
)
from .analysis import (  # noqa: F401
    Results, run, summary, tables,
)
from .control import (  # noqa: F401
    claims, CO_RATERS, CONTROL, control_units, gate, mechanism,
)
