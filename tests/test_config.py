"""Chapter parameters: validation, profile defaults, hashing."""
import pytest

from sertools.config import Param, ParameterError, resolve_parameters, resolve_device

SPEC = {"systems": Param(None, "systems", choices=("a", "b", "c"), many=True), "lambda_": Param(0.5, "weight")}
PROFILES = {"smoke": {"seeds": [0], "systems": ["a"]}, "book": {"seeds": [0, 1, 2], "systems": ["a", "b"]}}


def ns(**kw):
    return {"profile": "book", "In": [], "get_ipython": print, **kw}


def test_profile_fills_none_values():
    P = resolve_parameters("ch", ns(seeds=None, systems=None), SPEC, PROFILES)
    assert P.seeds == [0, 1, 2] and P.systems == ["a", "b"] and P.lambda_ == 0.5 and P.device == "auto"
    assert resolve_parameters("ch", ns(profile="smoke"), SPEC, PROFILES).systems == ["a"]


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'lamda'.*valid parameters:.*lambda_"):
        resolve_parameters("ch", ns(lamda=0.1), SPEC, PROFILES)


def test_unknown_value_lists_valid_ones():
    with pytest.raises(ParameterError, match=r"invalid value 'medium' for parameter 'profile'.*'smoke', 'book', 'full'"):
        resolve_parameters("ch", ns(profile="medium"), SPEC, PROFILES)
    with pytest.raises(ParameterError, match=r"invalid value 'z' for parameter 'systems'; valid values: 'a', 'b', 'c'"):
        resolve_parameters("ch", ns(systems=["a", "z"]), SPEC, PROFILES)


def test_list_parameters_accept_papermill_strings():
    P = resolve_parameters("ch", ns(systems="['b', 'c']", seeds="3,4"), SPEC, PROFILES)
    assert P.systems == ["b", "c"] and P.seeds == [3, 4]


def test_hash_tracks_semantics_not_device():
    a = resolve_parameters("ch", ns(), SPEC, PROFILES)
    b = resolve_parameters("ch", ns(device="cpu"), SPEC, PROFILES)
    c = resolve_parameters("ch", ns(lambda_=0.25), SPEC, PROFILES)
    assert a.hash == b.hash != c.hash


def test_device_auto_and_invalid():
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ParameterError, match="valid values"):
        resolve_device("tpu")


def test_a_dry_run_keeps_the_first_seed_and_trains_two_batches_an_epoch():
    from sertools.config import training_budget

    P = resolve_parameters("ch", ns(dry_run=True), SPEC, PROFILES)
    assert P.seeds == [0] and training_budget(P, 300) == {"epochs": 1, "max_steps": 2}
    assert resolve_parameters("ch", ns(dry_run=True, seeds=[1, 2]), SPEC, PROFILES).seeds == [1, 2]
    book = resolve_parameters("ch", ns(), SPEC, PROFILES)
    assert training_budget(book, 300) == {"epochs": 300, "max_steps": None} and book.hash != P.hash


def test_a_dry_run_trains_the_first_fold_and_reaches_the_chapters_a_page_reuses():
    from sertools.experiments import scoreboard, xi2019
    from sertools.experiments.common import folds_to_run

    dry = scoreboard.parameters({"profile": "full", "dry_run": True})
    assert folds_to_run(dry, ["f1", "f2", "f3"]) == ["f1"]
    assert folds_to_run(scoreboard.parameters({"profile": "full"}), ["f1", "f2"]) == ["f1", "f2"]
    # the scoreboard trains each chapter's recipe: in a dry run, that recipe is a dry run too
    assert scoreboard.recipe(xi2019, dry).dry_run is True
    assert scoreboard.recipe(xi2019, scoreboard.parameters({"profile": "full"})).dry_run is False


def test_machine_names_the_cpu_and_its_vector_extensions(tmp_path, monkeypatch):
    """Build times are compared across machines: the performance page must say which CPU ran."""
    import builtins

    from sertools import provenance

    m = provenance.machine()
    assert isinstance(m["cpu"], str) and m["cpu"].strip()
    assert isinstance(m["cpu_capability"], str) and m["cpu_capability"].strip()
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\n")
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda p, *a, **k: real_open(cpuinfo if p == "/proc/cpuinfo" else p, *a, **k))
    assert provenance.cpu_model() == "AMD EPYC 7B13 (family 25, model 1)"


def test_a_live_notebook_reruns_its_parameters_cell_after_later_cells(monkeypatch):
    """In a kernel, the names later cells made (P, d, res, ...) are not parameters: re-running the
    parameters cell and the cell that resolves them works; a misspelt name in the parameters cell
    still stops, naming it."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("SERTOOLS_WORKERS", "1")  # no fork server from a test
    ip = InteractiveShell.instance()
    ip.user_ns["resolve"] = lambda ns: resolve_parameters("ch", ns, SPEC, PROFILES)
    cells = ['profile = "smoke"\nsystems = None  # a comment', "lambda_ = 0.3",  # the cell papermill injects
             "P = resolve(globals())", "d = {'x': 1}\nres = [P.systems]\nfirst = 'u1'",
             'profile = "book"\nsystems = None', "P = resolve(globals())"]
    for cell in cells:
        assert ip.run_cell(cell, store_history=True).success, cell
    assert ip.user_ns["P"].systems == ["a", "b"] and ip.user_ns["P"].lambda_ == 0.3
    ip.run_cell('profile = "smoke"\nepochz = 3', store_history=True)
    failed = ip.run_cell("P = resolve(globals())", store_history=True)
    assert isinstance(failed.error_in_exec, ParameterError) and "'epochz'" in str(failed.error_in_exec)
    assert "'d'" not in str(failed.error_in_exec) and "'first'" not in str(failed.error_in_exec)
    InteractiveShell.clear_instance()
