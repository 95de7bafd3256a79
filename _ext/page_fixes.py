"""Sphinx extension: keep every page of the book free of browser console errors.

Jupyter Book 1 registers some inline scripts twice per page (sphinx-thebe's
``const THEBE_JS_URL = ...`` among them); a second ``const`` declaration is a JavaScript error on
every page. This drops repeated identical scripts from each page's script list.
"""

from __future__ import annotations


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # None and "" both mean inline
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical scripts; edits the list in place (other handlers share it)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    # Late (high priority number): after the themes and extensions have added their scripts.
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
