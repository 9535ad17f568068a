"""Units are cached one by one: a unit's key holds what it computes, never the list it came from."""
import pandas as pd
import pytest

from sertools import profiling
from sertools.experiments import chou2020, fan2020, li2020, parry2022, scoreboard, xi2019


def test_unit_hash_ignores_what_only_selects_units():
    base = li2020.parameters({"profile": "smoke"})
    for change in ({"seeds": [0, 1, 2]}, {"systems": ["ec"]}, {"folds": 1}):
        other = li2020.parameters({"profile": "smoke", **change})
        assert other.hash != base.hash and other.unit_hash == base.unit_hash, change
    assert li2020.parameters({"profile": "smoke", "lambda_": 0.3}).unit_hash != base.unit_hash
    assert li2020.parameters({"profile": "book"}).unit_hash != base.unit_hash
    assert li2020.parameters({"profile": "smoke", "device": "cpu"}).unit_hash == base.unit_hash


@pytest.mark.parametrize("chapter, selecting", [
    (chou2020, {"seeds", "systems", "corpora", "task", "target_raters"}), (li2020, {"seeds", "systems", "folds"}),
    (parry2022, {"seeds", "systems", "attribute_sets", "headline_splits"}),
    (xi2019, {"seeds", "corpora", "systems", "pretrain_speakers"}), (fan2020, {"seeds", "systems", "folds"}),
    (scoreboard, {"seeds", "systems"})])
def test_each_chapter_declares_its_selecting_parameters(chapter, selecting):
    P = chapter.parameters({"profile": "smoke"})
    assert set(P.selection) == selecting


def _computed(fn):
    before = profiling.snapshot()["counts"].get("units computed", 0)
    out = fn()
    return out, profiling.snapshot()["counts"].get("units computed", 0) - before


def test_seeds_0_after_0_1_trains_nothing_and_0_1_2_trains_only_seed_2(tmp_path, monkeypatch):
    monkeypatch.setenv("SERTOOLS_RESULTS", str(tmp_path))

    def run(seeds):
        P = li2020.parameters({"profile": "smoke", "systems": ["ec"], "seeds": seeds})
        return _computed(lambda: li2020.run(P, li2020.data(P), workers=1))

    first, n = run([0, 1])
    assert n == 2 * 2 + 2                        # 2 seeds × 2 folds, and the reference on each fold
    again, n = run([0])
    assert n == 0 and set(again.units.seed) == {0}
    key = ["system", "fold", "seed"]
    cols = ["system", "fold", "seed", "ua", "val_ua", "speaker_probe", "config_hash"]
    pd.testing.assert_frame_equal(again.units[cols].sort_values(key).reset_index(drop=True),
                                  first.units[first.units.seed == 0][cols].sort_values(key).reset_index(drop=True))
    more, n = run([0, 1, 2])
    assert n == 2 and sorted(set(more.units.seed)) == [0, 1, 2]   # seed 2 on both folds, nothing else
    assert len(more.units) == 3 * len(again.units) and len(more.reference) == len(first.reference)
