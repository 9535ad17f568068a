"""`make publish` in a scratch clone without a remote: the gh-pages branch holds the book."""
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_make_publish_without_a_remote(site, tmp_path):
    _, html = site
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "remove", "origin"], check=True)
    shutil.copytree(html, clone / "book" / "_build" / "html")
    env_venv = f"VENV={ROOT / '.venv'}"
    res = subprocess.run(["make", "-C", str(clone), "publish", env_venv], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "not pushed" in res.stdout
    files = subprocess.run(["git", "-C", str(clone), "ls-tree", "-r", "--name-only", "gh-pages"],
                           capture_output=True, text=True, check=True).stdout.split()
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert "index.html" in files and ".nojekyll" in files
    missing = [p for p in pages if f"{p}.html" not in files]
    assert not missing, f"gh-pages lacks {missing}"
