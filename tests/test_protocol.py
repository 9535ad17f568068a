"""Every paper chapter's module follows one protocol (sertools.experiments.common; documented in
the foundations chapter, "How every chapter is built"): the same names and signatures, the
parameter ``systems`` (its former names accepted for one release, with a warning), and results
whose units carry ``system``, ``seed`` and ``ua``."""
import dataclasses
import inspect
import warnings

import pandas as pd
import pytest

from sertools.config import ParameterError
from sertools.experiments import chou2020, common, fan2020, li2020, parry2022, scoreboard, xi2019

CHAPTERS = [chou2020, li2020, parry2022, xi2019, fan2020, scoreboard]
FORMER = {xi2019: "methods", parry2022: "approaches", scoreboard: "models"}
# (name, [(parameter, default)]) of every protocol function: the parameters a caller may pass
SIGNATURES = {
    "parameters": [("namespace", inspect.Parameter.empty)],
    "data": [("P", inspect.Parameter.empty)],
    "run": [("P", inspect.Parameter.empty), ("d", inspect.Parameter.empty), ("workers", None), ("control", False)],
    "tables": [("res", inspect.Parameter.empty)],
    "summary": [("rows", inspect.Parameter.empty)],
}


def _ids(chapter) -> str:
    return chapter.__name__.rsplit(".", 1)[-1]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_ids)
def test_every_protocol_name_is_there(chapter):
    missing = [n for n in common.PROTOCOL if not hasattr(chapter, n)]
    assert not missing, f"{_ids(chapter)} lacks {missing}"
    assert isinstance(chapter.PARAMS, dict) and set(chapter.PROFILES) == {"smoke", "book", "full"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_ids)
@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_protocol_functions_have_the_common_signature(chapter, name):
    params = list(inspect.signature(getattr(chapter, name)).parameters.values())
    assert [(p.name, p.default) for p in params] == SIGNATURES[name], f"{_ids(chapter)}.{name}{params}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_ids)
def test_claims_take_the_results_and_the_parameters(chapter):
    params = list(inspect.signature(chapter.claims).parameters)
    assert params == ["res", "P"], f"{_ids(chapter)}.claims({', '.join(params)})"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_ids)
def test_results_have_the_common_fields_and_check_the_unit_columns(chapter):
    assert issubclass(chapter.Results, common.ChapterResults)
    fields = [f.name for f in dataclasses.fields(chapter.Results)]
    assert fields[:3] == ["units", "arrays", "reference"]
    good = pd.DataFrame({"system": ["a"], "seed": [0], "ua": [0.5], "speaker": ["s"]})
    extra = {f: (good if f.startswith("all_") else 0) for f in fields[3:]}   # Xi's main_speakers, Parry's all_*
    chapter.Results(good, {}, good, **extra)
    chapter.Results(good, {}, pd.DataFrame(), **extra)          # a positive control's run: no reference
    for column in common.UNIT_COLUMNS:
        with pytest.raises(common.ProtocolError, match=column):
            chapter.Results(good.drop(columns=column), {}, good, **extra)
        with pytest.raises(common.ProtocolError, match="reference"):
            chapter.Results(good, {}, good.drop(columns=column), **extra)


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if hasattr(c, "PAPER")], ids=_ids)
def test_the_papers_long_table_uses_the_common_columns(chapter):
    assert {"system", "ua"} <= set(chapter.PAPER.columns), f"{_ids(chapter)}.PAPER: {list(chapter.PAPER.columns)}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_ids)
def test_systems_is_the_parameter_of_the_systems_to_run(chapter):
    assert "systems" in chapter.PARAMS and chapter.PARAMS["systems"].selects
    P = chapter.parameters({"profile": "smoke"})
    assert P.systems and set(P.systems) <= set(chapter.PARAMS["systems"].choices)
    with pytest.raises(ParameterError, match="valid parameters: .*systems"):
        chapter.parameters({"profile": "smoke", "sytems": P.systems[:1]})


@pytest.mark.parametrize("chapter", list(FORMER), ids=_ids)
def test_the_former_name_still_works_with_a_deprecation_warning(chapter):
    old = FORMER[chapter]
    value = chapter.parameters({"profile": "smoke"}).systems[:1]
    with pytest.warns(FutureWarning, match=f"'{old}' of chapter .* renamed 'systems'"):
        P = chapter.parameters({"profile": "smoke", old: value})
    assert P.systems == value and old not in P
    assert P.hash == chapter.parameters({"profile": "smoke", "systems": value}).hash
    with pytest.warns(FutureWarning):  # papermill -p hands a list over as text
        assert chapter.parameters({"profile": "smoke", old: str(value)}).systems == value
    with pytest.raises(ParameterError, match=f"'systems' and '{old}' both set"):
        chapter.parameters({"profile": "smoke", old: value, "systems": value})
    with warnings.catch_warnings(record=True) as caught:  # the parameters cell's own `systems = None`
        warnings.simplefilter("always")                     # beside an unset former name: no clash, no warning
        assert chapter.parameters({"profile": "smoke", old: None, "systems": value}).systems == value
    assert not [w for w in caught if issubclass(w.category, FutureWarning)]


def test_chou_reports_the_systems_its_units_train():
    P = chou2020.parameters({"profile": "smoke", "label_type": "hard", "target_fractions": [1.0]})
    assert P.systems == ["Rater*@100", "Rater*@50", "Others_H@0", "Others_H@100"]
    with pytest.raises(ParameterError, match="Others_S@0 not trained with label_type = 'hard'"):
        chou2020.parameters({"profile": "smoke", "label_type": "hard", "systems": ["Others_S@0"]})


def test_xi_data_holds_every_corpus_and_reads_the_first():
    assert list(inspect.signature(xi2019.corpus_data).parameters) == ["P", "name"]
    part = object.__new__(xi2019.CorpusData)
    part.name, part.classes = "iemocap", xi2019.IEMOCAP_CLASSES
    d = xi2019.Data({"iemocap": part})
    assert d["iemocap"] is part and d.name == "iemocap" and d.classes == xi2019.IEMOCAP_CLASSES


def test_the_scoreboard_refuses_a_control_run():
    P = scoreboard.parameters({"profile": "smoke"})
    with pytest.raises(ValueError, match="no positive control"):
        scoreboard.run(P, None, control=True)


def test_sweeps_select_by_system_under_the_former_names_and_by_approach_for_compound_systems():
    from sertools.reference import NAME
    from sertools.sweep import selected_rows

    df = pd.DataFrame({"system": ["baseline:none", "gr:S", "mtl:S", NAME], "seed": [0, 0, 0, 0]})
    for name in ("systems", "approaches"):
        assert list(selected_rows(df, {name: ["gr"]}).system) == ["baseline:none", "gr:S", NAME]
    df = pd.DataFrame({"system": ["plain", "residual_adapter", NAME], "seed": [0, 0, 0]})
    assert list(selected_rows(df, {"methods": ["plain"]}).system) == ["plain", NAME]
