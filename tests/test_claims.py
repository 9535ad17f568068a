"""The claim protocol: independent units, exact tests, Holm, MDE, verdict words, paper effects."""
import numpy as np
import pandas as pd
import pytest

from sertools import claims
from sertools.claims import Claim


def units(diffs_by_speaker: dict[str, list[float]], base: float = 0.5) -> pd.DataFrame:
    """A unit table: per speaker, one row per seed for systems 'a' and 'b' (a − b = diff points)."""
    rows = []
    for spk, diffs in diffs_by_speaker.items():
        for seed, d in enumerate(diffs):
            rows.append({"system": "b", "speaker": spk, "seed": seed, "ua": base})
            rows.append({"system": "a", "speaker": spk, "seed": seed, "ua": base + d / 100})
    return pd.DataFrame(rows)


CLAIM = Claim("a beats b", "“a is better”", "§1", "a", "b")


def test_pseudo_replicates_are_merged_into_their_unit():
    frame = units({"s1": [1, 3, 5], "s2": [2, 2, 2], "s3": [0, 1, 2], "s4": [4, 4, 4]})
    d = claims.differences(frame, CLAIM)
    assert len(d) == 4  # 12 (speaker, seed) rows are 4 speakers
    assert d.loc["s1"] == pytest.approx(3.0) and d.loc["s3"] == pytest.approx(1.0)
    # folds that share a training set: the same unit column merges them
    frame["session"] = frame.speaker.map({"s1": "S1", "s2": "S1", "s3": "S2", "s4": "S2"})
    assert len(claims.differences(frame, Claim("x", "", "", "a", "b", unit="session"))) == 2


def test_exact_sign_flip_floor_and_mde():
    assert claims.sign_flip_p([1, 2, 3, 4, 5]) == pytest.approx(2 / 32)   # the floor with 5 units
    assert claims.sign_flip_p([1, 2, 3, 4, 5, 6]) == pytest.approx(2 / 64)
    assert claims.sign_flip_p([1, 2, 3, 4, 5], "greater") == pytest.approx(1 / 32)
    assert claims.min_p(4) == 0.125 and claims.min_p(10) == pytest.approx(0.00195, abs=1e-5)
    assert claims.mde(5, 1.0) == float("inf")                            # 5 units never reach p < 0.05
    assert claims.mde(10, 3.0) == pytest.approx(3.0, abs=0.2)           # ≈ 1.0 · s with 10 units
    assert claims.units_needed(3.0, 3.0) in (10, 11)


def test_our_enumeration_equals_scipys_permutation_test():
    from scipy import stats

    rng = np.random.default_rng(3)
    for n in (6, 9, 12):
        d = rng.normal(0.5, 1, n)
        for alt in ("two-sided", "greater", "less"):
            ref = stats.permutation_test((d,), np.mean, permutation_type="samples", alternative=alt,
                                         n_resamples=np.inf).pvalue
            assert claims.sign_flip_p(d, alt) == pytest.approx(ref)


def test_the_interval_inverts_the_test():
    d = np.array([2.0, 3.5, -0.5, 1.0, 4.0, 2.5, 0.5, 3.0])
    lo, hi = claims.sign_flip_interval(d, 0.95)
    assert lo < d.mean() < hi
    assert claims.sign_flip_p(d, shift=lo - 1e-6) < 0.05 <= claims.sign_flip_p(d, shift=lo + 1e-6)
    assert claims.sign_flip_p(d, shift=hi + 1e-6) < 0.05 <= claims.sign_flip_p(d, shift=hi - 1e-6)
    assert claims.sign_flip_interval(d[:5], 0.95) == (float("-inf"), float("inf"))  # 5 units: never rejects


def test_holm_matches_the_step_down_rule():
    p = [0.01, 0.04, 0.03, 0.005]
    assert np.allclose(claims.holm(p), [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(claims.holm([np.nan, 0.01])[0])


def verdict(diffs: dict, paper: float = 2.0, claim: Claim = CLAIM, chance=None, **kw) -> pd.Series:
    return claims.evaluate([claim], units(diffs), {claim.name: paper}, chance, **kw).iloc[0]


def test_verdict_words():
    strong = {f"s{i}": [3 + 0.3 * i] for i in range(10)}
    assert verdict(strong).verdict == "holds"
    assert verdict({k: [-v[0]] for k, v in strong.items()}).verdict == "does not hold"
    noisy = {f"s{i}": [(-1) ** i * 8.0 + 0.5] for i in range(10)}
    r = verdict(noisy)
    assert r.verdict == "underpowered" and "speakers" in r.note and r.MDE > 2.0
    tight_zero = {f"s{i}": [0.1 * (-1) ** i] for i in range(10)}
    assert verdict(tight_zero, paper=5.0).verdict == "below the paper's effect"
    few = {f"s{i}": [3.0 + i] for i in range(4)}
    r = verdict(few)
    assert r.verdict == "too few units" and "smallest p" in r.note
    # a system at chance on the claim's gate metric: no verdict (units() puts b at 0.5 UA)
    assert verdict(strong, chance=0.48).verdict == "failed to train"
    assert verdict(strong, chance=0.25).verdict == "holds"
    every_word = {"holds", "does not hold", "below the paper's effect", "underpowered", "too few units",
                  "failed to train"}
    assert every_word <= set(claims.VERDICTS)


def test_five_units_never_read_below_the_paper():
    """Li's MOSEI claim: 5 training sets. The exact one-sided test against the paper's effect cannot
    reach 0.025 with 5 units (floor 1/32), so the verdict must not say *below*; it says so."""
    five = {f"s{i}": [0.1 * (-1) ** i] for i in range(5)}
    r = verdict(five, paper=5.0)
    assert r.verdict == "too few units" and r.verdict != "below the paper's effect"
    assert np.isnan(r.p) and "0.062" in r.note


def test_a_direction_reversed_in_every_unit_is_reported():
    reversed_ = {f"s{i}": [-2.0 - i] for i in range(5)}
    r = verdict(reversed_)
    assert r.verdict == "reversed in every unit" and "5 of 5 go against" in r.note
    assert r.favour == 0


def test_the_mde_is_computed_at_the_holm_level_of_the_family():
    rng = np.random.default_rng(0)
    frame = units({f"s{i}": [float(x)] for i, x in enumerate(rng.normal(1, 3, 10))})
    one = claims.evaluate([CLAIM], frame, {CLAIM.name: 2.0}).iloc[0]
    others = [Claim(f"c{k}", "", "", "a", "b") for k in range(3)]
    four = claims.evaluate([CLAIM, *others], frame, {CLAIM.name: 2.0, **{c.name: 2.0 for c in others}}).iloc[0]
    assert one.tests == 2 and four.tests == 8             # each claim: its test and the below-the-paper test
    assert one.MDE == pytest.approx(claims.mde(10, one.sd, 0.05 / 2))
    assert four.MDE == pytest.approx(claims.mde(10, one.sd, 0.05 / 8)) and four.MDE > 1.4 * claims.mde(10, one.sd)  # vs the unadjusted MDE


def test_the_shown_interval_agrees_with_the_adjusted_decision():
    """Unadjusted, this claim's 95 % interval excludes 0 (p ≈ 0.02); after Holm over five tests it
    does not hold, and the interval shown at its Holm level includes 0."""
    diffs = {f"s{i}": [x] for i, x in enumerate([2.6, 0.2, 1.5, 3.1, -0.8, 0.9, 2.2, 1.8, -0.4, 1.1])}
    frame = units(diffs)
    others = [Claim(f"other {k}", "", "", "b", "a") for k in range(3)]   # the other way round: p near 1
    res = claims.evaluate([CLAIM, *others], frame, {CLAIM.name: 5.0}).set_index("claim")
    r = res.loc[CLAIM.name]
    assert r.p < 0.05 and r["CI95 low"] > 0                # unadjusted: significant
    assert r["p (Holm)"] >= 0.05 and r["CI low"] <= 0 <= r["CI high"] and r["CI level"] > 0.95
    assert r.verdict != "holds"


def test_below_the_paper_uses_the_papers_own_spread():
    paper = pd.DataFrame({"system": ["a", "b"] * 4, "rater": [1, 1, 2, 2, 3, 3, 4, 4],
                          "ua": [0.60, 0.50, 0.52, 0.50, 0.58, 0.50, 0.50, 0.50]})
    c = Claim("a beats b", "", "", "a", "b", paper_unit="rater")
    pe = claims.paper_effect(paper, c)
    assert pe.mean == pytest.approx(5.0) and pe.n == 4 and pe.low < 0 < pe.high   # the paper's raters disagree
    tight_zero = units({f"s{i}": [0.1 * (-1) ** i] for i in range(10)})
    r = claims.evaluate([c], tight_zero, paper).iloc[0]
    assert r.verdict != "below the paper's effect" and np.isnan(r["p below"])  # its interval reaches 0: no test
    spread = claims.paper_effect(pd.DataFrame({"system": ["a", "b"], "ua": [0.6, 0.5]}), CLAIM, {CLAIM.name: (2.0, None)})
    assert spread.low == pytest.approx(10 - 1.96 * 2.0, abs=0.01) and "one run" in spread.basis


def test_non_superiority_and_non_inferiority_use_the_margin():
    ns = Claim("a not better than b", "", "", "a", "b", kind="non-superiority", margin=2.0)
    near_zero = {f"s{i}": [0.2 * (-1) ** i + 0.1] for i in range(10)}
    assert verdict(near_zero, claim=ns).verdict == "holds"
    much_better = {f"s{i}": [6 + 0.2 * (-1) ** i] for i in range(10)}
    assert verdict(much_better, claim=ns).verdict == "does not hold"
    ni = Claim("a no worse than b", "", "", "a", "b", kind="non-inferiority", margin=2.0)
    assert verdict(near_zero, claim=ni).verdict == "holds"
    much_worse = {f"s{i}": [-6 + 0.2 * (-1) ** i] for i in range(10)}
    assert verdict(much_worse, claim=ni).verdict == "does not hold"
    with pytest.raises(ValueError, match="margin"):
        Claim("x", "", "", "a", "b", kind="non-inferiority")


def test_a_failed_mechanism_check_replaces_the_verdict():
    tight_zero = {f"s{i}": [0.1 * (-1) ** i] for i in range(10)}
    r = verdict(tight_zero, paper=5.0, engaged={CLAIM.name: (False, "the probe did not fall")})
    assert r.verdict == "mechanism not engaged" and "probe" in r.note


def test_the_gate_reads_the_claims_own_metric_and_rows():
    """Parry: a network can learn in-domain and sit at chance out of domain; the gate of an
    out-of-domain claim looks at the out-of-domain metric."""
    rows = [{"system": s, "split": k, "ua_in": 0.6, "ua_ood": 0.34 if s == "a" else 0.36} for s in "ab" for k in range(8)]
    frame = pd.DataFrame(rows)
    ood = Claim("a beats b out of domain", "", "", "a", "b", "ua_ood", unit="split")
    assert claims.evaluate([ood], frame, {}, chance=1 / 3).iloc[0].verdict == "failed to train"
    gated_in = Claim("a beats b out of domain", "", "", "a", "b", "ua_ood", unit="split", gate="ua_in")
    assert claims.evaluate([gated_in], frame, {}, chance=1 / 3).iloc[0].verdict != "failed to train"


def test_trend_over_doses():
    gains = pd.DataFrame({0.0: [0.1, -0.2, 0.0, 0.3, -0.1, 0.2], 0.5: [1.0, 0.8, 1.3, 0.9, 1.1, 0.7],
                          1.0: [2.1, 1.9, 2.4, 1.8, 2.2, 2.0]})
    t = claims.trend(gains)
    assert t["slope"] == pytest.approx(2.0, abs=0.1) and t["p"] == pytest.approx(2 / 64) and t["rising units"] == 6
    flat = claims.trend(pd.DataFrame({0.0: [0.1, -0.1, 0.2, -0.2], 1.0: [-0.1, 0.1, -0.2, 0.2]}))
    assert flat["p"] > 0.5


def test_paper_effect_comes_from_the_paper_table_by_the_same_code():
    paper = pd.DataFrame({"system": ["a", "b"], "ua": [0.6, 0.55]})
    assert claims.effect(paper, CLAIM) == pytest.approx(5.0)
    per_rater = pd.DataFrame({"system": ["a", "b", "a", "b"], "rater": [1, 1, 2, 2], "ua": [0.6, 0.5, 0.5, 0.5]})
    assert claims.effect(per_rater, CLAIM) == pytest.approx(5.0)  # mean over raters of a − b


def test_sentence_and_table_quote_the_numbers():
    r = verdict({f"s{i}": [3 + 0.3 * i] for i in range(10)})
    text = claims.sentence(r)
    assert "holds" in text and "paper: +2.00" in text and "10 of 10 speakers" in text
    view = claims.table_view(pd.DataFrame([r]))
    assert list(view.columns) == ["claim", "paper", "ours [CI], level", "units", "MDE", "verdict"]
    assert view.iloc[0]["ours [CI], level"].startswith("+4.35 [") and view.iloc[0]["ours [CI], level"].endswith("%")


@pytest.mark.parametrize("module, name, where, expected", [
    ("chou2020", "Co-rater fusion beats the target-rater model", {"corpus": "iemocap", "task": "valence"}, 3.97),
    ("chou2020", "Co-rater fusion beats the target-rater model", {"corpus": "iemocap", "task": "activation"}, 1.47),
    ("chou2020", "Co-rater fusion beats the target-rater model", {"corpus": "nnime", "task": "valence"}, 1.71),
    ("chou2020", "Co-rater fusion beats the target-rater model", {"corpus": "nnime", "task": "activation"}, 2.87),
    ("li2020", "MEnAN beats EC only", {}, 2.46),
    ("xi2019", "Residual adapters beat the plain ResNet20", {"corpus": "iemocap"}, 8.58),
    ("fan2020", "ADARL beats the backbone", {}, 9.08),
    ("parry2022", "GR on speakers beats the baseline on this TESS test set", {}, 5.69),
])
def test_each_papers_headline_effect_comes_back_from_its_own_table(module, name, where, expected):
    """The claim code applied to the paper's own table gives the paper's headline numbers (Chou &
    Lee's abstract says +1.48 for IEMOCAP activation; their Table 1, rounded, gives +1.47)."""
    import importlib

    m = importlib.import_module(f"sertools.experiments.{module}")
    claim = next(c for c in m.CLAIMS if c.name == name and all(c.where.get(k) == v for k, v in where.items()))
    assert claims.effect(m.PAPER, claim) == pytest.approx(expected, abs=0.006)


def test_the_chou_statistic_is_the_papers_not_a_mean_of_configurations():
    """The earlier chapter averaged six fusion configurations, which calls the paper's own Table 1
    negative on IEMOCAP activation; the pre-registered comparison reproduces +1.47."""
    from sertools.experiments import chou2020

    t = chou2020.PAPER[(chou2020.PAPER.corpus == "iemocap") & (chou2020.PAPER.task == "activation")]
    fused = [s for s in chou2020.SYSTEMS if s.startswith("Others") and s.endswith(("@100", "@50"))]
    mean_of_configs = (t[t.system.isin(fused)].ua.mean() - t[t.system == "Rater*@100"].ua.mean()) * 100
    assert mean_of_configs < 0
    claim = next(c for c in chou2020.CLAIMS if c.headline is False and c.where == {"corpus": "iemocap",
                                                                                    "task": "activation"}
                 and c.better == "Others_H-S@100")
    assert claims.effect(chou2020.PAPER, claim) > 1.4


def test_parrys_headline_pair_gets_its_extra_splits_and_only_the_headline_claim_sees_them():
    from sertools.experiments import parry2022

    P = parry2022.parameters({"profile": "book"})
    extra = parry2022.headline_seeds(P)
    assert extra == list(range(6, 12)) and len(P.seeds) + len(extra) == P.headline_splits == 12
    assert parry2022.headline_seeds(parry2022.parameters({"profile": "book", "attribute_sets": ["C"]})) == []
    rng = np.random.default_rng(0)
    rows = [{"approach": a, "attributes": s, "system": f"{a}:{s}", "split": k, "seed": k,
             "ua_tess": 0.5 + rng.normal(0, .02), "ua_crema-d": 0.5, "ua_ood": 0.5,
             "ua": 0.6 + (0.05 if a == "baseline" else 0), "corpus_probe": .5}
            for k in P.seeds for a, s in parry2022.grid(P)]
    for r in rows:
        r["ua_in-domain"] = r["ua"]
    rows += [{**r, "split": k, "seed": k} for k in extra for r in rows[:13]
             if (r["approach"], r["attributes"]) in parry2022.HEADLINE]
    res = parry2022._results(pd.DataFrame(rows), {("gr", "S", k): {} for k in [*P.seeds, *extra]}, pd.DataFrame(), P)
    assert set(res.units.split) == set(P.seeds) and set(res.all_units.split) == set(P.seeds) | set(extra)
    assert all(k[-1] in P.seeds for k in res.arrays)
    v = parry2022.claims(res).set_index("claim")
    assert v.loc["GR on speakers beats the baseline on this TESS test set", "units"] == 12
    assert v.loc["Attributes hurt in-domain", "units"] == 6 and v.loc["GR beats MTL out of domain",
                                                                      "units"] == 6


def test_parrys_baseline_meets_the_reference_on_every_split_it_trained_on():
    """The reference is trained on the headline's extra splits too, and the baseline is read
    against it on exactly the splits both have; the tables keep the common six."""
    from sertools.experiments import parry2022
    from sertools.reference import NAME

    P = parry2022.parameters({"profile": "book"})
    splits = [*P.seeds, *parry2022.headline_seeds(P)]
    units = pd.DataFrame([{"approach": a, "attributes": s, "system": f"{a}:{s}", "split": k, "seed": k, "ua_tess": 0.4,
                           "ua_crema-d": 0.4, "ua_ood": 0.4, "ua_in-domain": 0.40 + 0.01 * k, "ua": 0.40 + 0.01 * k,
                           "corpus_probe": .5}
                          for k in splits for a, s in parry2022.grid(P)
                          if k in P.seeds or (a, s) in parry2022.HEADLINE])
    ref = pd.DataFrame([{"system": NAME, "approach": NAME, "split": k, "seed": k, "ua_in-domain": 0.5, "ua": 0.5,
                         "ua_tess": 0.6}
                        for k in splits[:-1]])  # the last split's reference is missing
    res = parry2022._results(units, {}, ref, P)
    assert set(res.reference.split) == set(P.seeds) and set(res.all_reference.split) == set(splits[:-1])
    got = parry2022.baseline_against_reference(res)
    assert got["splits"] == len(splits) - 1
    assert got["baseline"] == pytest.approx(100 * np.mean([0.40 + 0.01 * k for k in splits[:-1]]))
    assert got["reference"] == pytest.approx(50.0)
    assert parry2022.baseline_against_reference(res, "tess")["reference"] == pytest.approx(60.0)


def test_the_intro_names_every_verdict_word_with_its_meaning():
    from pathlib import Path

    intro = (Path(__file__).parent.parent / "book" / "intro.md").read_text()
    for word, meaning in claims.VERDICTS.items():
        assert f"| *{word}* | {meaning} |" in intro, f"book/intro.md does not define the verdict {word!r}"


def test_direction_counts_follow_the_claims_kind():
    """Units that all support a non-superiority claim (every difference inside the margin) are
    counted for it, never as 'reversed'."""
    ns = Claim("a not better than b", "", "", "a", "b", kind="non-superiority", margin=3.0)
    five = {f"s{i}": [0.5 + 0.2 * i] for i in range(5)}
    r = verdict(five, claim=ns)
    assert r.verdict == "too few units" and r.favour == 5 and "0 of 5 go against" in r.note
    ten = {f"s{i}": [0.1 * (-1) ** i] for i in range(10)}
    r = verdict(ten, claim=ns)
    assert r.verdict == "holds" and r.favour == 10
    ni = Claim("a no worse than b", "", "", "a", "b", kind="non-inferiority", margin=1.0)
    assert verdict({f"s{i}": [-0.5] for i in range(10)}, claim=ni).favour == 10
    eq = Claim("a like b", "", "", "a", "b", kind="equivalence", margin=1.0)
    assert verdict({f"s{i}": [2.0 if i < 3 else 0.0] for i in range(10)}, claim=eq).favour == 7


def test_the_mde_is_the_exact_tests_not_the_t_formulas():
    """With few units the discrete exact test needs a larger shift than the t formula says; the MDE
    is where the exact test reaches 80 % power (simulated), so at the MDE the exact test's power is
    about 0.8 on fresh draws."""
    from scipy import stats

    n, alpha = 6, 0.05
    t_mde = (stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(0.8, n - 1)) / np.sqrt(n)
    exact_mde = claims.mde(n, 1.0, alpha)
    assert exact_mde > 1.2 * t_mde
    rng = np.random.default_rng(7)
    hits = [claims.sign_flip_p(rng.normal(exact_mde, 1.0, n)) < alpha for _ in range(300)]
    assert 0.72 < np.mean(hits) < 0.88


def test_a_paper_effect_against_the_claim_is_not_treated_as_one_for_it():
    r = verdict({f"s{i}": [(-1) ** i * 3.0] for i in range(10)}, paper=-1.68)
    assert r.verdict == "inconclusive" and "no effect in the claimed direction" in r.note


def test_undirected_comparisons_name_the_higher_system_or_none():
    both = Claim("a vs b", "", "", "a", "b", directed=False)
    up = {f"s{i}": [3 + 0.3 * i] for i in range(10)}
    assert verdict(up, paper=float("nan"), claim=both).verdict == "the first is higher"
    assert verdict({k: [-v[0]] for k, v in up.items()}, paper=float("nan"), claim=both).verdict == "the second is higher"
    assert verdict({f"s{i}": [(-1) ** i] for i in range(10)}, paper=float("nan"), claim=both).verdict == \
        "no difference shown"
    with pytest.raises(ValueError, match="undirected"):
        Claim("x", "", "", "a", "b", kind="non-inferiority", margin=1.0, directed=False)


def _family(*unit_sets: dict) -> pd.DataFrame:
    """One family: claim ``x<i> beats y<i>`` on the i-th set of units (no paper effect, so no
    one-sided test against it: the family is the claims)."""
    frames, pair = [], []
    for i, diffs in enumerate(unit_sets):
        frames.append(units(diffs).replace({"system": {"a": f"x{i}", "b": f"y{i}"}}))
        pair.append(Claim(f"x{i} beats y{i}", "“x is better”", "§", f"x{i}", f"y{i}"))
    return claims.evaluate(pair, pd.concat(frames), {c.name: 0.0 for c in pair}).set_index("claim")


SIX = {f"t{i}": [2.0 + i] for i in range(6)}                       # every unit in the claimed direction
MIXED = {f"m{i}": [d] for i, d in enumerate([2.0, 3.0, 4.0, 5.0, 6.0, -4.0])}  # p > 0.05
STRONG = {f"s{i}": [3 + 0.3 * i] for i in range(10)}               # p = 2/1024
NOISY = {f"n{i}": [(-1) ** i * 8.0 + 0.5] for i in range(10)}      # a large p


def test_a_claim_whose_units_cannot_reach_any_holm_step_open_to_it_reads_too_few_units():
    """Six units give at best p = 2/64 = 0.031: enough for α = 0.05, not for α/2. The least strict
    step a claim can reach is α/(K − J), J the other tests Holm rejects first."""
    alone = _family(SIX).iloc[0]
    assert alone.verdict == "holds" and alone["reachable level"] == pytest.approx(0.05)
    after = _family(STRONG, SIX).loc["x1 beats y1"]            # the strong test is rejected first: α
    assert after.verdict == "holds" and after["reachable level"] == pytest.approx(0.05)
    beside = _family(NOISY, SIX).loc["x1 beats y1"]            # nothing rejected first: α/2
    assert beside["reachable level"] == pytest.approx(0.025) and beside.p == pytest.approx(2 / 64)
    assert beside.verdict == "too few units" and "0.031 ≥ 0.0250" in beside.note and "0 of 6 go against" in beside.note
    assert np.isnan(beside["CI low"]) and np.isnan(beside["CI high"])  # no interval any step could give
    view = claims.table_view(beside.to_frame().T.reset_index(names="claim"))
    assert "∞" not in view["ours [CI], level"].iloc[0]
    row = beside.copy()
    row["claim"] = "x1 beats y1"
    assert "CI" not in claims.sentence(row) and "0 of 6 go against" in claims.sentence(row)


def test_the_reachable_step_is_not_the_first_step_and_not_the_claims_own_rank():
    # a rejected strong test opens the last step (α) to six units that are not significant: no floor
    open_ = _family(STRONG, MIXED).loc["x1 beats y1"]
    assert open_["reachable level"] == pytest.approx(0.05) and open_.verdict != "too few units"
    # two identical six-unit claims: the same verdict whichever is declared first (by rank, the
    # first would face α/2 and the second α)
    twins = _family(SIX, SIX)
    assert list(twins.verdict) == ["too few units", "too few units"]
    assert np.allclose(twins["reachable level"], 0.025)
    # three tests: strong rejected at α/3, noisy fails at α/2, so the six units can reach α/2 at best
    three = _family(SIX, NOISY, STRONG)
    assert three.loc["x0 beats y0", "reachable level"] == pytest.approx(0.025)
    assert three.loc["x0 beats y0", "verdict"] == "too few units"
    # every claim not read as too few units has a finite interval
    for frame in (open_.to_frame().T, twins, three):
        ok = frame[frame.verdict != "too few units"]
        assert np.isfinite(ok["CI low"].astype(float)).all() and np.isfinite(ok["CI high"].astype(float)).all()
