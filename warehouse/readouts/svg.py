"""Patching vl-convert's SVG: nothing active survives, post markers get a tooltip, the HTML copy scales."""

from __future__ import annotations

import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"


def finish_svg(svg: str, *, responsive: bool = False) -> str:
    """Parse vl-convert's SVG, drop anything active, give post markers a ``<title>``, serialize it again.

    vl-convert escapes text itself; this is a second line: no ``script``/``foreignObject`` element and no ``on*``
    attribute can survive, whatever the data said.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    for parent in root.iter():
        for child in list(parent):
            local = child.tag.rsplit("}", 1)[-1].lower()
            if local in ("script", "foreignobject", "iframe"):
                parent.remove(child)
        for attribute in list(parent.attrib):
            if attribute.rsplit("}", 1)[-1].lower().startswith("on"):
                del parent.attrib[attribute]
        if parent.get("aria-roledescription") == "point" and parent.get("aria-label"):
            tooltip = ET.SubElement(parent, f"{{{SVG_NS}}}title")
            tooltip.text = parent.get("aria-label")
    if responsive:
        root.attrib.pop("width", None)
        root.attrib.pop("height", None)
        root.set("preserveAspectRatio", "xMinYMin meet")
        root.set("role", "img")
    return ET.tostring(root, encoding="unicode")
