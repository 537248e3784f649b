"""Property-based tests: every registered kind's ``parse`` returns a Parsed or raises ParseError, never anything else.

Payloads are generated (random bytes, random JSON, random XML and RSS/Atom skeletons) and mutated from our own valid
fixtures (truncated, bytes flipped, a JSON field deleted or given another type, an XML element deleted or emptied, a
CSV line dropped). The same documents go to the kind's ``follow`` (paging: a list or ParseError) and to its
``detect`` (a bool, never an exception). Complaint kinds get realistic ``meta`` from their own request planning with
fake credentials, so the paging and session branches are reached too.

Budgets are hypothesis profiles: ``default`` (30 examples per kind, derandomized: ``make test``) and ``reliability``
(``HYPOTHESIS_PROFILE=reliability``, 1500 examples per kind: ``make reliability``).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers import registry
from scrapers.records import Document, Parsed, ParseError
from scrapers.registry import RequestSpec, SkipSource, SourceContext
from tests.helpers import FIXTURES, make_doc

# Prefect's background threads (the session's test server, event clients) draw from the global `random` module while
# hypothesis generates data; our strategies never do, so that warning is about them, not us.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning"
)

settings.register_profile(
    "default",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "reliability",
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

FETCHED_AT = datetime(2021, 12, 7, 17, 0, tzinfo=UTC)
KINDS = registry.names()
FAKE_ENV = {
    "BLUESKY_HANDLE": "fuzz.example.test",
    "BLUESKY_APP_PASSWORD": "fuzz-app-password",
    "REDDIT_CLIENT_ID": "fuzz-client-id",
    "REDDIT_CLIENT_SECRET": "fuzz-client-secret",
    "DOWNDETECTOR_TOKEN": "fuzz-dd-token",
}

# The login answers of the kinds that log in first, so that fuzzing reaches their search requests too.
SESSION_FIXTURES = {"bluesky": "bluesky_session.json", "reddit": "reddit_token.json"}


def test_every_registered_kind_is_covered() -> None:
    """Each kind brings its catalog URLs and seed fixtures (Kind.example_urls, Kind.fixture_prefix), or the fuzzing
    would have nothing of its own to start from."""
    for kind in KINDS:
        assert registry.get(kind).example_urls, f"{kind}: no example_urls"
        assert fixtures(kind), f"{kind}: no fixture named {registry.get(kind).fixture_prefix}* in {FIXTURES}"
    assert set(SESSION_FIXTURES) <= set(KINDS)


@cache
def fixtures(kind: str) -> tuple[bytes, ...]:
    paths = [*FIXTURES.iterdir(), *(FIXTURES / "complaints").iterdir()]
    prefix = registry.get(kind).fixture_prefix
    found = sorted(p for p in paths if p.is_file() and p.name.startswith(prefix) and p.suffix != ".md")
    return tuple(p.read_bytes() for p in found)


def _plans(kind: str) -> Iterator[RequestSpec]:
    """The requests the kind plans for its catalog URLs (with fake credentials), and what it asks after a login."""
    spec = registry.get(kind)
    until = FETCHED_AT
    for url in registry.get(kind).example_urls:
        context = SourceContext("fuzz", url, until - timedelta(hours=3), until, FAKE_ENV)
        try:
            first = registry.first_requests(spec, context)
        except SkipSource:
            continue
        yield from first
        session = SESSION_FIXTURES.get(kind)
        if session and spec.follow is not None:
            for request in first:
                body = (FIXTURES / "complaints" / session).read_bytes()
                answer = document(request.url, body, {**request.meta, "http_status": 200}, carried=request.carry)
                yield from spec.follow(answer)


@cache
def targets(kind: str) -> tuple[tuple[str, dict[str, Any], dict[str, str]], ...]:
    """(url, meta, carried) a document of this kind arrives with: plain catalog URLs, and the kind's own requests
    (with what they hand on to follow, as the crawl hands it back)."""
    out: list[tuple[str, dict[str, Any], dict[str, str]]] = [(url, {}, {}) for url in registry.get(kind).example_urls]
    for spec in _plans(kind):
        meta = json.loads(json.dumps(dict(spec.meta)))  # as the landing stage stores it
        out.extend((spec.url, {**meta, "http_status": status}, dict(spec.carry)) for status in (200, 429, 500))
    return tuple(out)


def document(
    url: str,
    body: bytes,
    meta: dict[str, Any] | None = None,
    content_type: str | None = None,
    carried: Mapping[str, str] | None = None,
) -> Document:
    return make_doc(
        url, body, source_id="fuzz", content_type=content_type, fetched_at=FETCHED_AT, meta=meta, carried=carried
    )


# ------------------------------------------------------------------------------------------------- generators

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["2021-12-07T16:00:00Z", "2021-12-07T16:00:00", "1638892800", "", "null", "Dec 7, 8:00 AM PST"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
tag_names = st.sampled_from(["rss", "channel", "item", "title", "link", "pubDate", "feed", "entry", "updated", "x"])


@st.composite
def xml_documents(draw: st.DrawFn) -> bytes:
    """A random element tree, often shaped like RSS or Atom."""

    def element(depth: int) -> ET.Element:
        node = ET.Element(draw(tag_names))
        if draw(st.booleans()):
            node.text = draw(st.text(max_size=40))
        if depth < 3:
            for _ in range(draw(st.integers(0, 3))):
                node.append(element(depth + 1))
        return node

    root = element(0)
    if draw(st.booleans()):
        root.tag = draw(st.sampled_from(["rss", "{http://www.w3.org/2005/Atom}feed"]))
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=draw(st.booleans())))


def _json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _json_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:8]):
            yield (*prefix, index)
            yield from _json_paths(child, (*prefix, index))


@st.composite
def edited_json(draw: st.DrawFn, kind: str) -> bytes:
    """A valid JSON fixture of the kind with one field deleted or given a value of another type."""
    candidates = [json.loads(body) for body in fixtures(kind) if body.lstrip()[:1] in (b"{", b"[")]
    if not candidates:
        return draw(json_values.map(lambda v: json.dumps(v).encode()))
    data = draw(st.sampled_from(candidates))
    data = json.loads(json.dumps(data))  # a private copy
    paths = list(_json_paths(data))
    for _ in range(draw(st.integers(1, 3))):
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced that path
    return json.dumps(data).encode()


@st.composite
def edited_xml(draw: st.DrawFn, kind: str) -> bytes:
    """An XML fixture of the kind with one element removed, emptied or given random text."""
    candidates = [body for body in fixtures(kind) if body.lstrip()[:1] == b"<"]
    if not candidates:
        return draw(xml_documents())
    root = ET.fromstring(draw(st.sampled_from(candidates)))
    pairs = [(parent, child) for parent in root.iter() for child in parent]
    if pairs:
        parent, child = draw(st.sampled_from(pairs))
        action = draw(st.sampled_from(["remove", "empty", "text"]))
        if action == "remove":
            parent.remove(child)
        elif action == "empty":
            child.text, child[:] = None, []
        else:
            child.text = draw(st.text(max_size=60))
    return bytes(ET.tostring(root, encoding="utf-8"))


@st.composite
def mutated_bytes(draw: st.DrawFn, kind: str) -> bytes:
    """A fixture truncated, with bytes flipped, or with a line dropped (CSV, JSON Lines, pretty-printed JSON)."""
    body = draw(st.sampled_from(fixtures(kind) or (b"{}",)))
    action = draw(st.sampled_from(["truncate", "flip", "drop-line", "encode-utf16"]))
    if action == "truncate":
        return body[: draw(st.integers(0, max(0, len(body) - 1)))]
    if action == "flip":
        data = bytearray(body)
        for _ in range(draw(st.integers(1, 8))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if action == "drop-line":
        lines = body.split(b"\n")
        if len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
        return b"\n".join(lines)
    try:
        return body.decode("utf-8").encode(draw(st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "latin-1"])))
    except (UnicodeDecodeError, UnicodeEncodeError):
        return body


def payloads(kind: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=600),
        json_values.map(lambda v: json.dumps(v).encode()),
        xml_documents(),
        mutated_bytes(kind),
        edited_json(kind),
        edited_xml(kind),
    )


# ---------------------------------------------------------------------------------------------------- the test

EXAMPLES: dict[str, int] = {}


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_parse_returns_parsed_or_raises_parse_error(kind: str, data: st.DataObject) -> None:
    spec = registry.get(kind)
    body = data.draw(payloads(kind), label="body")
    url, meta, carried = data.draw(st.sampled_from(targets(kind)), label="target")
    content_type = data.draw(st.sampled_from([None, "application/json", "text/html", "application/xml", "text/csv"]))
    doc = document(url, body, meta, content_type, carried)
    EXAMPLES[kind] = EXAMPLES.get(kind, 0) + 1
    parsed: Parsed | None = None
    error: str | None = None
    try:
        parsed = spec.parse(doc)
    except ParseError as exc:
        error = str(exc)
    if error is not None:
        assert error, "a ParseError must say what was wrong"
    else:
        assert isinstance(parsed, Parsed)
    if spec.follow is not None:
        try:
            follow_ups = spec.follow(doc)
        except ParseError:
            pass
        else:
            assert isinstance(follow_ups, list)
            assert all(isinstance(r, RequestSpec) for r in follow_ups)
    if spec.detect is not None:
        assert spec.detect(body) in (True, False)


def test_fuzz_budget_report() -> None:
    """Every kind was fuzzed with the whole budget of the profile in effect (the kinds this session did not fuzz, in a
    partial or reordered run, are fuzzed here). With OUTAGES_RELIABILITY_STATS set, the counts are written there for
    ``make reliability``."""
    for kind in KINDS:
        if kind not in EXAMPLES:
            test_parse_returns_parsed_or_raises_parse_error(kind)
    budget = settings.default.max_examples
    short = {kind: EXAMPLES.get(kind, 0) for kind in KINDS if EXAMPLES.get(kind, 0) < budget}
    assert not short, f"fuzzed fewer than {budget} examples: {short}"
    stats = os.environ.get("OUTAGES_RELIABILITY_STATS")
    if stats:
        with Path(stats).open("a", encoding="utf-8") as handle:
            for kind, examples in sorted(EXAMPLES.items()):
                handle.write(json.dumps({"category": "fuzz", "case": kind, "examples": examples}) + "\n")
