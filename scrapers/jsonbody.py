"""Decoding a fetched body as JSON, with errors that say what actually came back."""

from __future__ import annotations

import codecs
import json
from typing import Any

from scrapers.records import Document, ParseError


def decode_text(body: bytes) -> str:
    """Bytes to text: honour a byte-order mark (AWS serves UTF-16 with one), else UTF-8."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF16_LE, "utf-16"),
    ):
        if body.startswith(bom):
            try:
                return body.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"body is not valid {encoding} text (byte {exc.start})") from exc
    if len(body) >= 2 and (body[0] == 0) != (body[1] == 0):
        # UTF-16 without a byte-order mark (RFC 4627 §3): the text starts with an ASCII character, so one of the
        # first two bytes is NUL; which one tells the byte order. UTF-8 text never starts with a NUL.
        encoding = "utf-16-be" if body[0] == 0 else "utf-16-le"
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"body looks like {encoding} without a byte-order mark, but is not (byte {exc.start})"
            ) from exc
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"body is not UTF-8 text (byte {exc.start}); no byte-order mark says otherwise") from exc


def load_json(doc: Document) -> Any:
    """The body as JSON, or a ParseError naming what was served instead (an HTML error page, an empty body…)."""
    if not doc.body.strip():
        raise ParseError(f"empty body from {doc.url}; expected JSON")
    text = decode_text(doc.body)
    stripped = text.lstrip()
    if stripped[:1] == "<":
        kind = "an HTML page" if "<html" in stripped[:500].lower() or "<!doctype" in stripped[:50].lower() else "XML"
        raise ParseError(
            f"expected JSON from {doc.url} but got {kind} (Content-Type {doc.content_type or 'unknown'}); "
            "the site may be serving an error or bot-challenge page"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON from {doc.url}: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def payload_shape(data: Any) -> str:
    """What a payload of the wrong shape holds, for the error that says so: its first keys, else its type."""
    return ", ".join(sorted(map(str, data))[:8]) if isinstance(data, dict) else type(data).__name__


def sniff_json(body: bytes, opens: str = "{[") -> Any:
    """For a kind's ``detect``: the body as JSON when, once decoded (byte-order marks and UTF-16 honoured, as
    :func:`decode_text` does), its text opens with one of ``opens``; else None. Never raises: a detector answers yes
    or no."""
    try:
        text = decode_text(body).lstrip()
        if not text or text[0] not in opens:
            return None
        return json.loads(text)
    except (ValueError, RecursionError):  # ParseError is a ValueError
        return None
