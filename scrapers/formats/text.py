"""Text from the HTML fragments providers and posts carry."""

from __future__ import annotations

import lxml.html

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: one line per paragraph, block or ``<br>``, whitespace collapsed within a line,
    script and style dropped (lxml's HTML parser; entities are decoded by it)."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter("script", "style")):
        element.drop_tree()
    for element in root.iter():
        if element.tag == "br" or element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag != "br":
                element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in str(root.text_content()).splitlines())
    return "\n".join(line for line in lines if line)
