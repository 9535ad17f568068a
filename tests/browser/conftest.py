"""Build the book from the smoke-profile notebooks that the nbval pass executed, and serve it."""
import functools
import http.server
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts"
EXECUTED = ROOT / "tests" / "_artifacts" / "executed"


def build_smoke_book(student: bool = False) -> Path:
    """The book (or its student edition) rendered from the smoke-profile notebooks nbval executed
    (tests/conftest.py)."""
    from sertools.edition import build

    if not list(EXECUTED.glob("*.ipynb")):
        pytest.fail("no executed chapters in tests/_artifacts/executed: run the nbval pass first (make test does)")
    try:
        return build(EXECUTED, ARTIFACTS / ("student_html" if student else "book_html"), student=student, root=ROOT)
    except RuntimeError as err:
        pytest.fail(str(err))


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


@pytest.fixture(scope="session")
def student_html(site):
    """The student edition (``make student``), rendered from the same smoke notebooks."""
    return build_smoke_book(student=True)
