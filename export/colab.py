"""Notebooks as Colab shows them: the book's MyST turned into Markdown that Colab renders.

Colab renders a notebook's markdown itself, with no Sphinx, and opens one notebook from GitHub
without its folder. ``make public`` therefore writes every notebook of the public copy through
:func:`view`, which changes markdown cells only (the code, and so the book build's cache, stays):

- citations ``{cite:p}`a, b``` and ``{cite:t}`a``` become author-year text from
  ``references.bib``, and a "Bibliography" cell at the end lists the works cited;
- images with a relative path point at the raw file in the public repository at the release tag,
  links to other notebooks open them in Colab, links to other files open them on GitHub;
- the other MyST constructs become what they say: roles (``{doc}``, ``{ref}``, ``{numref}``,
  ``{eq}``, ``{term}``, ``{math}``, …) their text or a link, directive fences (```` ```{note}````,
  ``:::{figure}``, ``{math}``, ``{code-block}``, …) a quote, an image, math or code, and targets
  ``(label)=``, equation labels ``$$ … $$ (label)`` and ``%`` comments disappear.

The book's own notebooks keep their MyST: the built HTML book is made from them, unchanged.
"""

from __future__ import annotations

import copy
import posixpath
import re
from dataclasses import dataclass, field

import nbformat

from export import bibliography, conventions

KEY = "colab_view"
"""The metadata of a converted notebook (its value: the release it was made for) and of the
bibliography cell that it ends with."""

ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention",
               "danger", "error", "seealso", "admonition", "margin", "sidebar", "topic",
               "epigraph")  # fmt: skip
CODE = ("code", "code-block", "code-cell", "sourcecode")
DROPPED = ("bibliography", "toctree", "tableofcontents", "glue:figure", "only")
FENCE_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}[ \t]*(?P<arg>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*(?:\n|\Z)",
    re.M | re.S,
)
TOKEN_RE = re.compile(
    r"(?P<code_block>^[ \t]*(?P<tick>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=tick)[ \t]*$)"
    r"|\{(?P<role>[\w:.+-]+)\}`(?P<body>[^`]*)`"
    r"|(?P<code>`+[^`\n]+`+)"
    r"|(?P<image>!\[(?P<alt>[^\]]*)\]\((?P<src><[^>]*>|[^)\s]+)(?P<title>\s+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<text>(?:[^\[\]\n]|\[[^\]\n]*\])*)\]\((?P<href><[^>]*>|[^)\s]+)"
    r"(?P<ltitle>\s+\"[^\"]*\")?\))"
    r"|(?P<img_tag><img\b[^>]*?\bsrc=\")(?P<img_src>[^\"]+)\""
    r"|(?P<dropped>^[ \t]*\([^()\s]+\)=[ \t]*(?:\n|\Z)|^%[^\n]*(?:\n|\Z))"  # targets, comments
    r"|(?P<eq_label>\$\$[ \t]*\([^()\s]+\))",  # an equation's label after its closing $$
    re.M | re.S,
)
EXPLICIT_RE = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
REMOTE = ("http:", "https:", "mailto:", "data:", "attachment:", "#", "//")


class ConversionError(ValueError):
    """A notebook's markdown that cannot be shown in Colab as it should (a missing file, say)."""


@dataclass
class Release:
    """What the links point at: the public repository at a release tag, and the files it holds."""

    files: set[str]
    url: str = field(default_factory=lambda: conventions.repository()[0])
    tag: str = field(default_factory=lambda: conventions.release())

    def raw(self, path: str) -> str:
        slug = self.url.removeprefix("https://github.com/")
        return f"https://raw.githubusercontent.com/{slug}/{self.tag}/{path}"

    def page(self, path: str) -> str:
        if path.endswith(".ipynb"):
            return conventions.colab_url(path)
        kind = "blob" if path in self.files else "tree"
        return f"{self.url}/{kind}/{self.tag}/{path}"


@dataclass
class Context:
    """One notebook's conversion: where it is, what it may link, and the keys it cites."""

    path: str  # relative to the repository root
    release: Release
    cited: list[str] = field(default_factory=list)

    def resolve(self, target: str, what: str) -> str:
        """``target`` (relative to the notebook) as a path of the copy; ConversionError if the
        copy holds no such file or folder."""
        path = posixpath.normpath(posixpath.join(posixpath.dirname(self.path), target))
        folder = path + "/"
        if path not in self.release.files and not any(
            f.startswith(folder) for f in self.release.files
        ):
            raise ConversionError(f"{self.path}: {what} {target!r} is not in the public copy")
        return path


def cite(name: str, body: str, ctx: Context) -> str:
    keys = bibliography.split_keys(body)
    for key in keys:
        bibliography.entry(key)  # UnknownCitation names the key
        if key not in ctx.cited:
            ctx.cited.append(key)
    textual = name.split(":")[-1] in ("t", "ts", "ct", "cts")
    return bibliography.cite("t" if textual else "p", body)


def role(name: str, body: str, ctx: Context) -> str:
    """The text (or link) a role stands for."""
    if name == "cite" or name.startswith("cite:"):
        try:
            return cite(name, body, ctx)
        except bibliography.UnknownCitation as err:
            raise ConversionError(f"{ctx.path}: {err}") from None
    explicit = EXPLICIT_RE.match(body)
    text, target = (explicit["text"], explicit["target"]) if explicit else (body, body)
    if name in ("doc", "download"):
        return f"[{text}]({ctx.release.page(page(ctx, target, name == 'doc'))})"
    if name in ("math",):
        return f"${body}$"
    if name in ("code", "literal", "kbd", "file", "command", "samp"):
        return f"`{body}`"
    if name in ("sub", "sup"):
        return f"<{name}>{body}</{name}>"
    if name == "eq":
        return f"({target})"
    if name.startswith("glue"):
        return f"`{target}`"
    if not explicit and name in ("ref", "numref"):
        return target.replace("-", " ").replace("_", " ")
    return text.replace("%s", "").strip() if name == "numref" else text


def page(ctx: Context, target: str, document: bool) -> str:
    """The file a ``{doc}`` (``document``) or ``{download}`` target names, as a path of the copy:
    a document's name has no suffix (a notebook or a markdown page); "/" starts at the root."""
    base = ctx.path if not target.startswith("/") else ""
    target = target.lstrip("/")
    names = [target + ".ipynb", target + ".md"] if document else [target]
    for name in names:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), name))
        if path in ctx.release.files:
            return path
    raise ConversionError(f"{ctx.path}: the page {target!r} is not in the public copy")


def _options(body: str) -> tuple[dict[str, str], str]:
    """A directive's ``:key: value`` options (or ``---`` YAML block) and the rest of its body."""
    options, lines = {}, body.split("\n")
    if lines and lines[0].strip() == "---" and "---" in [ln.strip() for ln in lines[1:]]:
        end = 1 + [ln.strip() for ln in lines[1:]].index("---")
        for ln in lines[1:end]:
            key, _, value = ln.partition(":")
            options[key.strip()] = value.strip()
        lines = lines[end + 1 :]
    while lines and (match := re.match(r"^\s*:([\w-]+):\s*(.*)$", lines[0])):
        options[match[1]] = match[2].strip()
        lines.pop(0)
    return options, "\n".join(lines).strip("\n")


def directive(match: re.Match, ctx: Context) -> str:
    """What a directive fence stands for, as plain Markdown."""
    name, arg, indent = match["name"].lower(), match["arg"].strip(), match["indent"]
    options, body = _options(match["body"])
    body = fences(body, ctx)
    if name in DROPPED:
        out = ""
    elif name in ("math", "amsmath"):
        out = f"$$\n{body}\n$$"
    elif name in CODE:
        out = f"```{arg or options.get('language', '')}\n{body}\n```"
    elif name in ("figure", "image", "figure-md"):
        alt = options.get("alt") or (body if name != "image" else "") or arg
        out = f"![{alt}]({arg})" + (f"\n\n*{body}*" if name == "figure" and body else "")
    elif name == "dropdown" or "dropdown" in options.get("class", ""):
        out = f"<details>\n<summary>{arg or 'Details'}</summary>\n\n{body}\n\n</details>"
    elif name in ADMONITIONS or name.startswith("admonition"):
        title = arg if name in ("admonition", "topic", "sidebar") else name.capitalize()
        title = "See also" if name == "seealso" else title
        out = "\n".join(f"> {ln}".rstrip() for ln in f"**{title}**\n\n{body}".split("\n"))
    else:
        out = (f"**{arg}**\n\n" if arg else "") + body
    return "\n".join(indent + ln if ln else ln for ln in out.split("\n")) + "\n"


def fences(text: str, ctx: Context) -> str:
    """Every directive fence of ``text`` replaced by what it stands for (inner ones too)."""
    return FENCE_RE.sub(lambda m: directive(m, ctx), text)


def _address(href: str) -> tuple[str, str]:
    href = href.strip("<>")
    path, hash_, anchor = href.partition("#")
    return path, hash_ + anchor


def token(match: re.Match, ctx: Context) -> str:
    """One construct of the markdown, converted."""
    if match["code_block"] or match["code"]:
        return match[0]
    if match["dropped"] or match["eq_label"]:
        return "$$" if match["eq_label"] else ""
    if match["role"]:
        return role(match["role"], match["body"], ctx)
    if match["image"]:
        src = match["src"].strip("<>")
        if not src.startswith(REMOTE):
            src = ctx.release.raw(ctx.resolve(src, "image"))
        return f"![{match['alt']}]({src}{match['title'] or ''})"
    if match["link"]:
        text = TOKEN_RE.sub(lambda m: token(m, ctx), match["text"])
        path, anchor = _address(match["href"])
        href = match["href"]
        if path and not path.startswith(REMOTE):
            href = ctx.release.page(ctx.resolve(path, "link")) + anchor
        return f"[{text}]({href}{match['ltitle'] or ''})"
    src = match["img_src"]
    if not src.startswith(REMOTE):
        src = ctx.release.raw(ctx.resolve(src, "image"))
    return f'{match["img_tag"]}{src}"'


def markdown(text: str, ctx: Context) -> str:
    """A markdown cell's source as Colab should get it."""
    return TOKEN_RE.sub(lambda m: token(m, ctx), fences(text, ctx)).strip("\n")


def is_view(path) -> bool:
    """Whether the notebook file at ``path`` is a Colab view (as in the public copy)."""
    return KEY in nbformat.read(path, as_version=4).metadata


def bibliography_cell(keys: list[str]) -> nbformat.NotebookNode:
    """The markdown cell that lists the works cited, in the order of their first citation."""
    items = "\n".join(f"- {bibliography.reference(key)}" for key in keys)
    lead = "The works this notebook cites (the course's `references.bib`)."
    text = f"## Bibliography\n\n{lead}\n\n{items}"
    return nbformat.v4.new_markdown_cell(text, metadata={KEY: "bibliography"})


def view(nb: nbformat.NotebookNode, path: str, release: Release) -> nbformat.NotebookNode:
    """The notebook at ``path`` (relative to the root) as Colab should get it; markdown cells
    only change. ConversionError on a citation key, image or page that cannot be found."""
    if KEY in nb.metadata:
        raise ConversionError(f"{path} is a Colab view already (made for {nb.metadata[KEY]})")
    nb = copy.deepcopy(nb)
    ctx = Context(path, release)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown(cell.source, ctx)
    if ctx.cited:
        nb.cells.append(bibliography_cell(ctx.cited))
    nb.metadata[KEY] = release.tag
    return nb
