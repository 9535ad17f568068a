"""A smoke-profile sweep on a local Ray: runs, skips finished points, re-runs a deleted one,
and a chapter renders from a finished point with ``results_from``."""
import json
import shutil

import nbformat
import pandas as pd

from sertools.run import execute_chapter
from sertools.sweep import expand, parse_grid, sweep


def test_grid_parsing_and_expansion():
    grid = parse_grid(["lambda_=0.3,0.7", "seeds=[0],[1, 2]", "systems=['ec','menan']"])
    assert grid == {"lambda_": [0.3, 0.7], "seeds": [[0], [1, 2]], "systems": [["ec", "menan"]]}
    points = expand(grid, {"profile": "smoke"})
    assert len(points) == 4 and all(p["profile"] == "smoke" for p in points)
    knobs = parse_grid(["knobs={'li_confound': 0.4, 'gain_db': 0},{}"])  # a mechanism-knob sweep
    assert knobs == {"knobs": [{"li_confound": 0.4, "gain_db": 0}, {}]}


def test_local_sweep_skips_and_resumes(tmp_path, capsys):
    grid = {"lambda_": [0.3, 0.7], "seeds": [[0], [1]]}
    fixed = {"profile": "smoke", "systems": ["ec", "menan"]}
    folder = sweep("li2020", grid, fixed, num_cpus=2, root=tmp_path)
    points = sorted(folder.glob("points/*/DONE"))
    assert len(points) == 4
    rows = pd.read_csv(folder / "results.csv")
    assert rows.point.nunique() == 4 and set(rows.system) == {"ec", "menan", "eGeMAPS + LR"}
    assert (folder / "summary.csv").exists()
    capsys.readouterr()

    sweep("li2020", grid, fixed, num_cpus=2, root=tmp_path)
    assert "4 already done, 0 to run" in capsys.readouterr().out

    victim = points[0].parent
    shutil.rmtree(victim)
    sweep("li2020", grid, fixed, num_cpus=2, root=tmp_path)
    out = capsys.readouterr().out
    assert "3 already done, 1 to run" in out and (victim / "DONE").exists()

    # a chapter renders its tables from one finished point without training
    params = json.loads((victim / "params.json").read_text())
    nb_path = execute_chapter("li2020", {**params, "results_from": str(victim)}, tmp_path / "from.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for c in nb.cells for o in c.get("outputs", []))
    assert "MEnAN" in text and "EC only" in text


def test_failed_point_is_reported_and_others_finish(tmp_path, capsys):
    grid = {"folds": [1, 99]}  # 99 is invalid: that point fails at its parameters cell
    folder = sweep("li2020", grid, {"profile": "smoke", "systems": ["ec"]}, num_cpus=2, root=tmp_path)
    out = capsys.readouterr().out
    assert "FAILED {'folds': 99}" in out and "notebook:" in out
    assert len(list(folder.glob("points/*/DONE"))) == 1
    failed = list(folder.glob("points/*.failed/ERROR.txt"))
    assert failed and "invalid value 99 for parameter 'folds'" in failed[0].read_text()
    listed = pd.read_csv(folder / "failed.csv")
    assert list(listed.folds.astype(int)) == [99] and "invalid value 99" in listed.error[0]


def test_sweep_exit_status_says_when_points_failed(tmp_path):
    from sertools.sweep import main

    common = ["li2020", "-p", "profile", "smoke", "-p", "systems", "['ec']", "--num-cpus", "2", "--out", str(tmp_path)]
    assert main([*common, "--grid", "lambda_=0.3,oops"]) == 1   # one point fails: non-zero
    assert main([*common, "--grid", "folds=0,99"]) == 1          # every point fails: no results.csv
    assert not list(tmp_path.glob("*folds*/results.csv")) and not any(
        p.name == "results.csv" and p.stat().st_size < 2 for p in tmp_path.rglob("results.csv"))


def test_sweep_keeps_the_units_its_point_names():
    from sertools.sweep import selected_rows

    df = pd.DataFrame({"system": ["ec", "dat", "eGeMAPS + LR", "menan"], "seed": [0, 0, None, 1]})
    kept = selected_rows(df, {"systems": ["ec", "menan"], "seeds": [0]})
    assert list(kept.system) == ["ec", "eGeMAPS + LR"]
