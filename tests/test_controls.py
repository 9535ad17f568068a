"""Positive controls and mechanism gates: dose-response readings, the gate rule, and each chapter's
gate turning its claims' verdict into *mechanism not engaged*."""
import numpy as np
import pandas as pd
import pytest

from sertools import claims, controls
from sertools.claims import Claim

CLAIM = Claim("a beats b", "“a is better”", "§1", "a", "b", headline=True)


def dose_units(slopes: list[float], doses=(0.0, 0.4, 0.8), offset: float = 0.0, seeds: int = 2) -> pd.DataFrame:
    """A long control table: per speaker a gain of offset + slope × dose points (a − b), per seed."""
    rows = []
    for dose in doses:
        for k, slope in enumerate(slopes):
            for seed in range(seeds):
                gain = offset + slope * dose + (0.3 if seed else -0.3)   # seeds differ, average to the gain
                rows += [{"system": "b", "speaker": f"s{k}", "seed": seed, "ua": 0.5, "dose": dose},
                         {"system": "a", "speaker": f"s{k}", "seed": seed, "ua": 0.5 + gain / 100, "dose": dose}]
    return pd.DataFrame(rows)


def control(expect: str = "up", **kw) -> controls.Control:
    return controls.Control("li_confound", CLAIM, expect, if_holds="HOLDS", if_not="NOT", **kw)


def test_control_is_declared_before_the_run():
    c = control()
    assert c.dose_list == [0.0, 0.4, 0.8]                      # the knob's own doses
    assert c.setting({"gain_db": 0.0}, 0.0) == {"gain_db": 0.0}  # the default dose drops out: the book's corpus
    assert c.setting(None, 0.8) == {"li_confound": 0.8}
    assert "grows with the dose" in c.prediction
    with pytest.raises(ValueError, match="unknown knob"):
        controls.Control("nope", CLAIM, "up")
    with pytest.raises(ValueError, match="expect"):
        controls.Control("li_confound", CLAIM, "sideways")
    with pytest.raises(ValueError, match="three doses"):
        controls.Control("li_confound", CLAIM, "up", doses=(0.0, 0.8))
    assert controls.Control("li_style", CLAIM, "flat", doses=(0.0, 1.0)).dose_list == [0.0, 1.0]


def test_gains_average_seeds_within_a_unit():
    table = controls.gains(control(), dose_units([5, 10, 15]))
    assert list(table.columns) == [0.0, 0.4, 0.8] and len(table) == 3
    assert table.loc["s1", 0.8] == pytest.approx(8.0)      # 10 points per unit of dose × 0.8, seeds averaged


def test_rising_gain_reads_as_predicted_and_glues_the_meaning():
    r = controls.evaluate(control(), dose_units([4, 6, 8, 10, 5, 7, 9, 3]))
    assert r.word == "as predicted" and r.trend["p"] < 0.05 and r.trend["slope"] == pytest.approx(6.5)
    assert r.text.endswith("HOLDS") and "as predicted" in r.text.lower()
    assert r.summary.loc[0.0, "gain"] == pytest.approx(0.0)
    view = controls.table_view(r)
    assert view.index.name == "li_confound" and view.loc[0.8, "units favouring"] == "8/8"


def test_other_readings():
    assert controls.evaluate(control(), dose_units([-4, -6, -8, -10, -5, -7, -9, -3])).word == "reversed"
    noisy = [4, -6, 8, -10, 5, -7, 9, -3]
    assert controls.evaluate(control(), dose_units(noisy)).word == "not shown"
    assert controls.evaluate(control("down"), dose_units([-4, -6, -8, -10, -5, -7, -9, -3])).word == "as predicted"
    flat = controls.evaluate(control("flat"), dose_units(noisy))
    assert flat.word == "no trend detected" and flat.text.endswith("HOLDS")
    assert controls.evaluate(control("flat"), dose_units([4, 6, 8, 10, 5, 7, 9, 3])).word == "a trend"
    few = controls.evaluate(control(), dose_units([4, 6, 8, 10]))   # 4 units: no exact test reaches 0.05
    assert few.word == "too few units" and "HOLDS" not in few.text and "NOT" not in few.text


def test_run_calls_the_chapter_once_per_dose_with_the_knob_set():
    seen = []

    def units(knobs):
        seen.append(knobs)
        return dose_units([1, 2], doses=(0.0,)).drop(columns="dose")

    long = controls.run(control(), {"gain_db": 6.0}, units)
    assert seen == [{"gain_db": 6.0}, {"gain_db": 6.0, "li_confound": 0.4}, {"gain_db": 6.0, "li_confound": 0.8}]
    assert sorted(long.dose.unique()) == [0.0, 0.4, 0.8] and set(long.attrs["seconds"]) == {0.0, 0.4, 0.8}


def test_gate_is_a_one_sided_exact_test():
    ok, text = controls.gate([1, 2, 3, 4, 5], "probe drop", "session")
    assert ok and "p = 0.031" in text and "engaged" in text                    # 5 of 5: p = 1/32
    assert not controls.gate([1, 2, 3, 4, -5], "probe drop")[0]
    assert not controls.gate([-1, -2, -3, -4, -5], "probe drop")[0]            # the wrong way
    assert controls.gate([0.4, 0.45, 0.42, 0.41, 0.44, 0.43], "acc", threshold=0.5, alternative="less")[0]
    assert controls.gate([], "nothing")[0] is False


def li_units(probe_gap: float) -> pd.DataFrame:
    """Li-like units: ten test speakers in five sessions, MEnAN 3 points above EC only on every
    speaker, its speaker probe ``probe_gap`` points below EC only's."""
    rows = []
    for k in range(10):
        for system, ua, probe in (("ec", 0.55, 0.60), ("menan", 0.58, 0.60 - probe_gap / 100)):
            rows.append({"system": system, "speaker": f"s{k}", "session": f"Ses0{k // 2 + 1}", "seed": 0,
                         "ua": ua + 0.01 * np.sin(k), "ua_delta": -0.02, "speaker_probe": probe,
                         "mosei_acc": 0.3})
    return pd.DataFrame(rows)


def test_li_gate_turns_menan_claims_into_mechanism_not_engaged():
    from sertools.experiments import li2020

    def verdicts(gap):
        v = claims.evaluate(li2020.CLAIMS, li_units(gap), li2020.PAPER, chance=li2020.CHANCE,
                            engaged=li2020.mechanism(li_units(gap)))
        return v.set_index("claim").verdict

    not_engaged, engaged = verdicts(-5.0), verdicts(+5.0)           # MEnAN's probe above / below EC only's
    head = li2020.CLAIMS[0].name
    assert not_engaged[head] == "mechanism not engaged" and engaged[head] == "holds"
    assert not_engaged[li2020.PROBE.name] != "mechanism not engaged"   # the probe claim is the measurement


def test_every_paper_chapter_declares_a_control_on_its_headline_and_a_gate():
    from sertools.data.synth.knobs import KNOBS
    from sertools.experiments import chou2020, fan2020, li2020, parry2022, xi2019

    for m in (chou2020, li2020, parry2022, xi2019, fan2020):
        assert m.CONTROL.claim.headline and m.CONTROL.expect in ("up", "down")
        assert KNOBS[m.CONTROL.knob].paper.split()[0] in m.__doc__
        assert callable(m.control_units) and callable(m.gate) and m.CONTROL.if_holds and m.CONTROL.if_not


def test_a_control_on_real_corpora_says_it_did_not_run(tmp_path):
    from sertools.experiments import li2020

    P = li2020.parameters({"profile": "smoke", "data_root": str(tmp_path)})
    out = controls.experiment(li2020.CONTROL, P.knobs, lambda k: li2020.control_units(P, k))
    assert isinstance(out, str) and "real corpora" in out and str(tmp_path) in out
    assert controls.figure(out) is None
    assert "not run" in controls.table_view(out).iloc[0, 0]


def test_audio_knob_controls_use_the_meter_size_outside_smoke():
    from sertools.experiments import common, fan2020, li2020, xi2019

    book, smoke = fan2020.parameters({"profile": "book"}), fan2020.parameters({"profile": "smoke"})
    assert controls.meter_corpora(fan2020.CONTROL, book) == ["iemocap"] and controls.meter_corpora(fan2020.CONTROL, smoke) == []
    assert controls.meter_corpora(li2020.CONTROL, book) == []                 # a selection knob: the book's corpus
    assert controls.meter_corpora(li2020.NEGATIVE, book) == ["iemocap"]
    assert controls.meter_corpora(xi2019.CONTROL, book) == ["voxceleb"]
    Q = fan2020.parameters({"profile": "book", "meter_corpora": ["iemocap"]})
    assert common.corpus_size("iemocap", Q) == "meter" and common.corpus_size("mosei", Q) == "book"
    assert Q.unit_hash != book.unit_hash                                     # never the main run's units
    with pytest.raises(Exception, match="meter_corpora"):
        fan2020.parameters({"profile": "book", "meter_corpora": ["tess"]})


def test_results_from_reads_the_main_run_or_one_control_dose(tmp_path):
    """A sweep point holds the chapter's main run and its controls' doses: results_from picks
    each by the parameters' hash (the control's knobs are in it), seeds and systems by name."""
    import json

    from sertools.experiments import li2020
    from sertools.results import stored_units

    P = li2020.parameters({"profile": "smoke"})
    Q = li2020.parameters({"profile": "smoke", "knobs": {"li_confound": 0.4}, "seeds": [0]})

    def unit(config: str, params, ua: float, seed: int = 0) -> None:
        folder = tmp_path / "point" / "li2020" / config
        (folder / "units").mkdir(parents=True, exist_ok=True)
        (folder / "params_hash").write_text(params.unit_hash)
        (folder / "units" / f"u{seed}.json").write_text(json.dumps(
            [{"config_hash": config, "system": "ec", "fold": "f", "seed": seed, "ua": ua}]))

    unit("main", P, 0.5)
    unit("main", P, 0.55, seed=1)
    unit("dose", Q, 0.6)
    keys = ("system", "fold", "seed")
    assert P.unit_hash != Q.unit_hash
    assert stored_units(tmp_path, "li2020", keys, P)[0].ua.tolist() == [0.5]     # the page's seeds: [0]
    assert stored_units(tmp_path, "li2020", keys, Q)[0].ua.tolist() == [0.6]
