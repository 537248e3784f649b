"""Statuspage history feeds as providers write them: posts of several (nested) paragraphs, a resolution sharing its
minute with another post, and posts identified by their place in the trail, never by their minute."""

from __future__ import annotations

from scrapers.kinds.statuspage import parse
from tests.helpers import make_doc, utc

URL = "https://status.example.test/history.atom"


def label(day: int, time: str) -> str:
    return f"<small>Jun <var data-var='date'>{day}</var>, <var data-var='time'>{time}</var> UTC</small><br>"


def feed(content: str) -> bytes:
    escaped = content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">
  <id>tag:status.example.test,2005:/history</id>
  <title>Example Status - Incident History</title>
  <updated>2022-06-11T10:06:00Z</updated>
  <entry>
    <id>tag:status.example.test,2005:Incident/1</id>
    <published>2022-06-11T09:00:00Z</published>
    <updated>2022-06-11T10:06:00Z</updated>
    <link rel="alternate" type="text/html" href="https://status.example.test/incidents/abc123"/>
    <title>Errors on checkout</title>
    <content type="html">{escaped}</content>
  </entry>
</feed>
""".encode()


# newest first, as the feed lists them; the monitoring post is listed above the resolution of the same minute
TRAIL = (
    f"<p>{label(11, '10:05')}<strong>Monitoring</strong> - A fix is out.</p>"
    f"<p>{label(11, '10:05')}<strong>Resolved</strong> - <p>This is fixed.</p><p>A review follows.</p></p>"
    f"<p>{label(11, '09:00')}<strong>Investigating</strong> - <div><p>Looking into it.</p></div></p>"
)


def test_nested_paragraphs_keep_their_text() -> None:
    parsed = parse(make_doc(URL, feed(TRAIL), fetched_at=utc("2022-06-12T00:00:00Z")))
    bodies = {u.status_native: u.body for u in parsed.updates}
    assert bodies == {
        "Investigating": "Looking into it.",
        "Resolved": "This is fixed.\nA review follows.",
        "Monitoring": "A fix is out.",
    }


def test_a_resolution_sharing_its_minute_closes_the_incident() -> None:
    (incident,) = parse(make_doc(URL, feed(TRAIL), fetched_at=utc("2022-06-12T00:00:00Z"))).incidents
    assert (incident.status, incident.resolved_at) == ("resolved", utc("2022-06-11T10:05:00Z"))


def test_a_re_dated_post_keeps_its_identity() -> None:
    first = parse(make_doc(URL, feed(TRAIL), fetched_at=utc("2022-06-12T00:00:00Z")))
    moved = parse(make_doc(URL, feed(TRAIL.replace("'>09:00<", "'>09:03<")), fetched_at=utc("2022-06-12T01:00:00Z")))
    ids = {u.status_native: u.native_id for u in first.updates}
    assert ids == {u.status_native: u.native_id for u in moved.updates}
    (before,) = [u for u in first.updates if u.status_native == "Investigating"]
    (after,) = [u for u in moved.updates if u.status_native == "Investigating"]
    assert (before.posted_at, after.posted_at) == (utc("2022-06-11T09:00:00Z"), utc("2022-06-11T09:03:00Z"))
