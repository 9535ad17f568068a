"""Every page of the rendered book, opened in headless Chromium with the network off: no
console errors, no request leaving localhost, the results tables, figures and equations
actually rendered, no element wider than its column (with every fold opened), every audio
player labelled, and the explorers' controls changing what they show without a kernel.
Screenshots are kept in tests/_artifacts/screenshots/."""
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


# Every fold opened: hidden code and outputs (toggles) and the exercises' solutions (dropdowns).
OPEN_FOLDS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.dropdown.admonition').forEach(e => e.classList.remove('toggle-hidden'));
}"""

# Elements wider than the article column, or scrolling sideways inside it: code, tables, display
# equations, figures, widgets. → a description of each offender.
TOO_WIDE = """() => {
  const col = document.querySelector('article.bd-article') || document.querySelector('main');
  const box = col.getBoundingClientRect();
  const out = [];
  const sel = 'pre, table, mjx-container[display="true"], img, .widget-box, .widget-html, audio, ' +
              '.pst-scrollable-table-container, div.cell_output, div.highlight';
  for (const el of col.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 ' "' + (el.innerText || el.getAttribute('alt') || '').slice(0, 50).replace(/\s+/g, ' ') + '"';
    if (r.right > box.right + 2 || r.left < box.left - 2)
      out.push(`${name}: ${Math.round(r.width)} px wide at ${Math.round(r.left)}, column ${Math.round(box.left)}-${Math.round(box.right)}`);
    else if (el.scrollWidth > el.clientWidth + 2 && getComputedStyle(el).overflowX !== 'visible')
      out.push(`${name}: scrolls sideways (${el.scrollWidth} px in ${el.clientWidth})`);
  }
  return out;
}"""

# Audio players with no label: neither an accessible name (aria-label, aria-labelledby, title)
# nor a figure caption around them.
UNLABELLED_AUDIO = """() => [...document.querySelectorAll('audio')].filter(a =>
    !(a.getAttribute('aria-label') || a.getAttribute('aria-labelledby') || a.getAttribute('title') ||
      (a.closest('figure') && a.closest('figure').querySelector('figcaption')))).map(a => a.outerHTML.slice(0, 80))"""


def explorer_changes(page) -> bool:
    """Choose the second option of each of the explorer's dropdowns in turn: does the text it shows
    change? (The views are precomputed and linked in the browser: no kernel.) The first that
    changes it answers; the page is left with every dropdown at its first option."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    selects = page.locator(".widget-dropdown select")
    for i in range(selects.count()):
        select = selects.nth(i)
        if select.locator("option").count() < 2:
            continue
        view = select.locator("xpath=ancestor::div[contains(@class, 'cell_output')]").first
        before = view.inner_text()
        select.select_option(index=1)
        try:  # the linked view re-renders asynchronously: wait up to 5 s for its text to change
            page.wait_for_function("([el, t]) => el.innerText !== t", arg=[view.element_handle(), before],
                                   timeout=5000)
            changed = True
        except PlaywrightTimeout:
            changed = False
        select.select_option(index=0)
        if changed:
            return True
    return False


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
        changed = explorer_changes(page)
        assert changed, "choosing another system or fold in the explorer changed nothing on the static page"
    unlabelled = page.evaluate(UNLABELLED_AUDIO)
    assert not unlabelled, f"audio players without a label: {unlabelled[:3]}"
    page.evaluate(OPEN_FOLDS)
    if has_math:
        page.evaluate("() => MathJax.startup.promise")
    too_wide = page.evaluate(TOO_WIDE)
    assert not too_wide, f"elements wider than their column: {too_wide[:5]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (page_path.replace("/", "_") + ".png")), full_page=True)
    context.close()
    assert not external, f"requests left localhost (CDN assets?): {external[:5]}"
    assert not errors, f"console errors: {errors[:5]}"
