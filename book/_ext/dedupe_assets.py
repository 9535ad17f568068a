"""Sphinx extension: drop duplicated <script> entries from every page.

sphinx-thebe (loaded by Jupyter Book 1) registers its inline configuration script once per
read phase under two spellings of "no file" (``None`` and ``""``), so each page declared
``const THEBE_JS_URL`` twice and the browser reported a SyntaxError on every page (found by
the browser test).
"""


def _dedupe(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {}) or {}
        # inline scripts are registered with filename None or "" (the same script, twice)
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    if "script_files" in context:
        context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=10_000)  # after the themes have added theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
