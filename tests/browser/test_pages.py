"""Every page of the rendered book, opened in headless Chromium with the network off: no
console errors, no request leaving localhost, and the results tables, figures and equations
actually rendered. Screenshots are kept in tests/_artifacts/screenshots/."""
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]


def pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{f}.html" for f in files]


WIDGET_PAGES = {"book/02_li2020.html", "book/04_xi2019.html", "book/05_fan2020.html"}  # the ipywidgets explorers
RESULT_PAGES = {"book/01_chou2020.html", "book/02_li2020.html", "book/03_parry2022.html", "book/04_xi2019.html",
                "book/05_fan2020.html", "book/06_scoreboard.html"}


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed (make test installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.mark.parametrize("page_path", pages())
def test_page_renders_offline(browser, site, page_path):
    base, html_dir = site
    assert (html_dir / page_path).exists(), f"{page_path} was not built"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors, external = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(f"{base}/{page_path}", wait_until="load")
    has_math = page.locator(".math").count() > 0
    if has_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        assert page.locator("mjx-container").count() > 0, "equations were not typeset"
    if page_path in RESULT_PAGES:
        assert page.locator(".cell_output table").count() > 0, "no results table rendered"
        images = page.locator(".cell_output img")
        assert images.count() > 0, "no figure rendered"
        # images load lazily below the fold: load them all before checking
        images.evaluate_all("els => Promise.all(els.map(e => { e.loading = 'eager'; return e.decode(); }))")
        widths = images.evaluate_all("els => els.map(e => e.naturalWidth)")
        assert all(w > 0 for w in widths), "a figure failed to load"
    if page_path in WIDGET_PAGES:  # rendered offline by the vendored embedder, with the first selection
        page.wait_for_selector(".widget-dropdown", timeout=20000)
        assert page.locator("audio").count() > 0, "the explorer's audio was not rendered"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (page_path.replace("/", "_") + ".png")), full_page=True)
    context.close()
    assert not external, f"requests left localhost (CDN assets?): {external[:5]}"
    assert not errors, f"console errors: {errors[:5]}"
