"""Build the book from the smoke-profile notebooks that the nbval pass executed, and serve it."""
import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts"
EXECUTED = ROOT / "tests" / "_artifacts" / "executed"


def build_smoke_book() -> Path:
    """A copy of the book whose chapters are the smoke-profile notebooks nbval executed (tests/conftest.py)."""
    if not list(EXECUTED.glob("*.ipynb")):
        pytest.fail("no executed chapters in tests/_artifacts/executed: run the nbval pass first (make test does)")
    src, out = ARTIFACTS / "book_src", ARTIFACTS / "book_html"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    (src / "book").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, src / name)
    for f in (ROOT / "book").glob("*.md"):
        shutil.copy(f, src / "book" / f.name)
    shutil.copy(ROOT / "book" / "references.bib", src / "book" / "references.bib")
    for nb in EXECUTED.glob("*.ipynb"):
        shutil.copy(nb, src / "book" / nb.name)
    (src / "book" / "vendor").symlink_to(ROOT / "book" / "vendor")
    (src / "book" / "_static").symlink_to(ROOT / "book" / "_static")
    (src / "book" / "_ext").symlink_to(ROOT / "book" / "_ext")
    (src / "sertools").symlink_to(ROOT / "sertools")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        pytest.fail(f"jupyter-book build failed:\n{res.stdout[-3000:]}\n{res.stderr[-2000:]}")
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def site():
    html = build_smoke_book()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: D102
            pass

    handler = functools.partial(Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", html
    server.shutdown()
