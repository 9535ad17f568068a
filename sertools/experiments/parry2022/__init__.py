"""Chapter 3: Parry et al. (2022), SER in the wild with multi-task and adversarial learning.

The module follows the chapter protocol (:mod:`sertools.experiments.common`) and is split by
idea: :mod:`.registration` (parameters, the paper's tables, claims, deviations), :mod:`.units`
(the data and one unit of work), :mod:`.analysis` (the run, the results tables and figures)
and :mod:`.control` (the mechanism gate, the verdicts and the positive control).
"""
from ...models.cnn_lstm import APPROACHES  # noqa: F401  (the approaches, named by the model)
from .registration import (  # noqa: F401
    _paper_long, ALL_SETS, CHANCE, CLAIMS, CLASSES, DEFAULT_ALPHA, DEVIATIONS, HEADLINE, headline_seeds,
    LETTERS, NAMES, OOD, PAPER, PAPER_BASELINE, PAPER_IN_DOMAIN, paper_table, PAPER_TABLE2, PAPER_TABLE3,
    parameters, PARAMS, POOL, PROFILES, SINGLE, TABLE3_SETS,
)
from .units import (  # noqa: F401
    attribute_codes, cap_speakers, corpus_probe, Data, data, grid, inputs, language, reference_job, run_unit,
    score_unit, train_config, training_scale, unit_items, unit_job, unit_key, UnitItems,
)
from .analysis import (  # noqa: F401
    _derived, _results, baseline_against_reference, consistency, Results, run, summary, tables, ua_table,
)
from .control import (  # noqa: F401
    claims, CONTROL, control_units, gate, PROBE,
)
