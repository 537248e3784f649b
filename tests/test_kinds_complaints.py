"""Unit tests for the complaint-source kinds (hackernews, mastodon, bluesky, reddit, downdetector): parsing, paging
decisions, the auth flows and the rule that no credential ever reaches meta, a URL, or a message. Offline and pure,
on our own invented fixtures (tests/fixtures/complaints/README.md)."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scrapers import registry
from scrapers.kinds import bluesky, downdetector, hackernews, mastodon, reddit
from scrapers.records import ComplaintCount, Document, Parsed, ParseError, Post
from scrapers.registry import RequestSpec, SkipSource, SourceContext
from tests.helpers import FIXTURES, make_doc, utc

COMPLAINTS = FIXTURES / "complaints"
FETCHED_AT = datetime(2021, 12, 7, 17, 7, 30, tzinfo=UTC)
SINCE = datetime(2021, 12, 7, 15, 0, tzinfo=UTC)
UNTIL = datetime(2021, 12, 7, 18, 0, tzinfo=UTC)

HN_URL = "https://hn.algolia.com/api/v1/search_by_date?query=outage&tags=(story,comment)"
MASTODON_URL = "https://social.example.test/api/v1/timelines/tag/outage"
BLUESKY_URL = "https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=outage"
REDDIT_URL = "https://www.reddit.com/r/sysadmin/search.json?q=outage&restrict_sr=1"
DD_REPORTS_URL = "https://downdetectorapi.com/v2/slugs/examplecloud/reports?companies=12345"
DD_COMPANY_URL = "https://downdetectorapi.com/v2/companies/12345"

# Fake credentials: distinctive strings, so that finding one anywhere it must not be is unambiguous.
FAKE_ENV = {
    "BLUESKY_HANDLE": "fakehandle-q7Zx.example.test",
    "BLUESKY_APP_PASSWORD": "fake-app-pass-9Xw2-vv4k",
    "REDDIT_CLIENT_ID": "fake-client-id-3Lp0",
    "REDDIT_CLIENT_SECRET": "fake-client-secret-8Kd1",
    "REDDIT_USER_AGENT": "python:outages-tests:0.1 (by /u/fake_tester)",
    "DOWNDETECTOR_TOKEN": "fake-dd-token-5Mn7",
}
BLUESKY_ACCESS = "FAKE-ACCESS-JWT-eyJ0eXAiOiJhdCtqd3QifQ"  # in bluesky_session.json
BLUESKY_REFRESH = "FAKE-REFRESH-JWT-eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9"
REDDIT_BEARER = "FAKE-REDDIT-BEARER-123456"  # in reddit_token.json
SECRETS = [
    FAKE_ENV["BLUESKY_APP_PASSWORD"],
    FAKE_ENV["REDDIT_CLIENT_ID"],
    FAKE_ENV["REDDIT_CLIENT_SECRET"],
    FAKE_ENV["DOWNDETECTOR_TOKEN"],
    BLUESKY_ACCESS,
    BLUESKY_REFRESH,
    REDDIT_BEARER,
    base64.b64encode(f"{FAKE_ENV['REDDIT_CLIENT_ID']}:{FAKE_ENV['REDDIT_CLIENT_SECRET']}".encode()).decode(),
]

COMPLAINT_KINDS = ("bluesky", "downdetector", "hackernews", "mastodon", "reddit")


def body(name: str) -> bytes:
    return (COMPLAINTS / name).read_bytes()


def document(
    url: str,
    payload: bytes | str,
    meta: Mapping[str, Any] | None = None,
    source: str = "test",
    carried: Mapping[str, str] | None = None,
) -> Document:
    """A fetched document as the spider hands it over: meta is the request's meta plus the HTTP status, round-tripped
    through JSON as the landing stage stores it; carried is what the request handed on for follow."""
    meta = json.loads(json.dumps(dict(meta or {})))
    return make_doc(url, payload, source_id=source, fetched_at=FETCHED_AT, meta=meta, carried=carried)


def answer(spec: RequestSpec, payload: bytes | str, status: int = 200) -> Document:
    """The document a request's response becomes (meta = the request's meta + http_status; carried = its carry)."""
    return document(spec.url, payload, {**spec.meta, "http_status": status}, carried=spec.carry)


def context(
    url: str, env: Mapping[str, str] | None = None, since: datetime = SINCE, until: datetime = UNTIL
) -> SourceContext:
    return SourceContext(source_id="test", url=url, since=since, until=until, env=dict(env or {}))


def query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def assert_posts_well_formed(parsed: Parsed) -> None:
    for post in parsed.posts:
        assert isinstance(post, Post)
        assert post.posted_at.tzinfo is not None
        assert post.posted_at.utcoffset() == timedelta(0)
        assert post.native_id
        assert post.uri
        assert post.author
        assert "<p>" not in post.text
        assert "&amp;" not in post.text


# --------------------------------------------------------------------------------------------------- registry


def test_complaint_kinds_are_registered_with_detectors_and_planners() -> None:
    assert set(COMPLAINT_KINDS) <= set(registry.names())
    for name in COMPLAINT_KINDS:
        kind = registry.get(name)
        assert kind.detect is not None, name
        assert kind.start_requests is not None, name
        assert kind.needs_service is (name == "downdetector"), name
    for name in ("hackernews", "mastodon", "bluesky", "reddit"):
        assert registry.get(name).follow is not None
    assert registry.get("downdetector").follow is None  # one request, no paging


OWN_FIXTURES = {
    "hackernews_page.json": "hackernews",
    "hackernews_truncated.json": "hackernews",
    "mastodon_tag_page1.json": "mastodon",
    "mastodon_tag_page2.json": "mastodon",
    "mastodon_tag_other_instance.json": "mastodon",
    "bluesky_search.json": "bluesky",
    "bluesky_search_last.json": "bluesky",
    "reddit_search.json": "reddit",
    "reddit_search_older.json": "reddit",
    "downdetector_reports.json": "downdetector",
    "downdetector_company.json": "downdetector",
}


@pytest.mark.parametrize("name", sorted(OWN_FIXTURES))
def test_detect_claims_only_its_own_payload(name: str) -> None:
    assert registry.detect(body(name)) == [OWN_FIXTURES[name]]


def other_payloads() -> Iterator[Path]:
    for path in sorted(FIXTURES.iterdir()):
        if path.is_file() and path.suffix in (".json", ".xml", ".atom", ".rss", ".csv", ".html"):
            yield path
    for path in sorted(COMPLAINTS.glob("*.json")):
        if path.name not in OWN_FIXTURES:
            yield path  # error bodies and auth answers are nobody's payload


@pytest.mark.parametrize("path", list(other_payloads()), ids=lambda p: p.name)
def test_complaint_detectors_reject_other_payloads(path: Path) -> None:
    payload = path.read_bytes()
    for name in COMPLAINT_KINDS:
        detector = registry.get(name).detect
        assert detector is not None, f"{name} claims {path.name}"
        assert detector(payload) is False, f"{name} claims {path.name}"


@pytest.mark.parametrize(
    "payload", [b"", b"[]", b"{}", b"null", b"<html><body>hi</body></html>", b"\xff\xfe\x00", b'{"hits": 3}', b"[1, 2]"]
)
def test_complaint_detectors_decline_odd_bodies(payload: bytes) -> None:
    for name in COMPLAINT_KINDS:
        detector = registry.get(name).detect
        assert detector is not None, name
        assert detector(payload) is False, name


# ------------------------------------------------------------------------------------------------ hackernews


def test_hackernews_parse() -> None:
    parsed = hackernews.parse(document(HN_URL, body("hackernews_page.json")))
    assert_posts_well_formed(parsed)
    posts = {p.native_id: p for p in parsed.posts}
    assert list(posts) == ["39003", "39002", "39001"]

    comment = posts["39002"]
    assert comment.uri == "hn:39002"
    assert comment.url == "https://news.ycombinator.com/item?id=39002"
    assert comment.posted_at == utc("2021-12-07T15:52:30Z")
    assert comment.author == "ops_person"
    assert comment.text == (
        "Ask HN: ExampleCloud outage in eu-west?\n"
        "Same here, our deploys fail with ThrottlingException.\n"
        "Status page still says \"all good\" 'as usual'."
    )
    assert comment.lang is None

    ask = posts["39001"]
    assert ask.text == "Ask HN: ExampleCloud outage in eu-west?\nConsole returns 503 & the API times out.\nAnyone else?"
    link = posts["39003"]
    assert link.text == "ExampleCloud confirms elevated error rates"
    assert link.url == "https://news.ycombinator.com/item?id=39003"  # the item page, not the linked article


def test_hackernews_created_at_i_is_the_fallback() -> None:
    page = json.loads(body("hackernews_page.json"))
    del page["hits"][0]["created_at"]
    parsed = hackernews.parse(document(HN_URL, json.dumps(page)))
    assert parsed.posts[0].posted_at == datetime.fromtimestamp(1638896700, tz=UTC)


def test_hackernews_start_requests_cover_the_window_in_days() -> None:
    since, until = utc("2021-12-06T00:00:00Z"), utc("2021-12-07T12:00:00Z")
    pasted = HN_URL + "&page=3&hitsPerPage=20&numericFilters=points>5,created_at_i>1"
    specs = hackernews.start_requests(context(pasted, since=since, until=until))
    windows = [tuple(spec.meta["window"]) for spec in specs]
    start, end = int(since.timestamp()), int(until.timestamp()) + 1
    assert windows == [(start, start + 86_400), (start + 86_400, end)]
    first = query(specs[0].url)
    assert first["query"] == "outage"
    assert first["tags"] == "(story,comment)"
    assert first["hitsPerPage"] == "1000"
    assert "page" not in first
    assert first["numericFilters"] == f"points>5,created_at_i>={start},created_at_i<{start + 86_400}"
    assert urlsplit(specs[0].url).path == "/api/v1/search_by_date"


def test_hackernews_long_ranges_use_few_wider_windows() -> None:
    since, until = utc("2021-01-01T00:00:00Z"), utc("2021-12-31T00:00:00Z")
    windows = [tuple(s.meta["window"]) for s in hackernews.start_requests(context(HN_URL, since=since, until=until))]
    assert len(windows) <= hackernews.MAX_START_WINDOWS
    assert windows[0][0] == int(since.timestamp())
    assert windows[-1][1] == int(until.timestamp()) + 1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # contiguous, no overlap


def test_hackernews_complete_page_is_not_split() -> None:
    spec = hackernews.start_requests(context(HN_URL))[0]
    assert hackernews.follow(answer(spec, body("hackernews_page.json"))) == []


def test_hackernews_truncated_page_splits_its_window_in_two() -> None:
    spec = hackernews.start_requests(context(HN_URL))[0]
    start, end = spec.meta["window"]
    middle = start + (end - start) // 2
    halves = hackernews.follow(answer(spec, body("hackernews_truncated.json")))
    assert [h.meta["window"] for h in halves] == [[start, middle], [middle, end]]
    for half in halves:
        lo, hi = half.meta["window"]
        assert query(half.url)["numericFilters"] == f"created_at_i>={lo},created_at_i<{hi}"
        assert query(half.url)["query"] == "outage"


def test_hackernews_splitting_stops_at_a_minute() -> None:
    truncated = body("hackernews_truncated.json")
    base = 1_638_889_200
    for width, expected in ((119, 0), (120, 2), (60, 0)):
        spec = hackernews._request(HN_URL, base, base + width)
        assert len(hackernews.follow(answer(spec, truncated))) == expected, width


def test_hackernews_splitting_a_hot_day_terminates() -> None:
    """A window whose every page says 'more than 1,000' is split down to minutes and then left alone."""
    truncated = body("hackernews_truncated.json")
    pending = hackernews.start_requests(
        context(HN_URL, since=utc("2021-12-07T00:00:00Z"), until=utc("2021-12-07T23:59:59Z"))
    )
    leaves = []
    requests = 0
    while pending:
        spec = pending.pop()
        requests += 1
        more = hackernews.follow(answer(spec, truncated))
        if not more:
            leaves.append(spec.meta["window"])
        pending.extend(more)
    assert requests < 5000
    assert all(hi - lo >= hackernews.MIN_WINDOW_SECONDS for lo, hi in leaves)
    assert all(hi - lo < 2 * hackernews.MIN_WINDOW_SECONDS for lo, hi in leaves)
    covered = sorted(leaves)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))


def test_hackernews_nb_pages_alone_also_splits() -> None:
    page = json.loads(body("hackernews_page.json"))
    page.update(nbHits=3, nbPages=2, page=0)
    spec = hackernews.start_requests(context(HN_URL))[0]
    assert len(hackernews.follow(answer(spec, json.dumps(page)))) == 2


def test_hackernews_without_a_window_follows_nothing() -> None:
    assert hackernews.follow(document(HN_URL, body("hackernews_truncated.json"))) == []


def test_hackernews_error_body() -> None:
    with pytest.raises(ParseError, match=r"Algolia answered with an error.*invalid numericFilters"):
        hackernews.parse(document(HN_URL, body("hackernews_error.json")))
    with pytest.raises(ParseError, match="no 'hits'"):
        hackernews.parse(document(HN_URL, b'{"results": []}'))


# -------------------------------------------------------------------------------------------------- mastodon


def test_mastodon_parse() -> None:
    parsed = mastodon.parse(document(MASTODON_URL, body("mastodon_tag_page1.json")))
    assert_posts_well_formed(parsed)
    alice, bruno, carla = parsed.posts
    assert alice.native_id == "110000000000000300"
    assert alice.uri == "https://social.example.test/users/alice/statuses/110000000000000300"
    assert alice.url == "https://social.example.test/@alice/110000000000000300"
    assert alice.posted_at == utc("2021-12-07T16:10:00Z")
    assert alice.author == "alice@social.example.test"  # a local acct, qualified: one name on every instance
    assert alice.text == 'Is #ExampleCloud down for anyone else?\nLogin just spins.\n"503" everywhere'
    assert alice.lang == "en"
    assert bruno.author == "bruno@other.example.test"
    assert bruno.lang == "de"
    assert carla.author == "carla@social.example.test"  # an account without uri (before Mastodon 4.2): the same
    assert carla.text == "outage rant\nEverything is timing out here."  # content warning first


def test_mastodon_same_post_on_two_instances_has_one_uri() -> None:
    here = mastodon.parse(document(MASTODON_URL, body("mastodon_tag_page1.json"))).posts[1]
    there = mastodon.parse(
        document("https://third.example.test/api/v1/timelines/tag/outage", body("mastodon_tag_other_instance.json"))
    ).posts[0]
    assert here.native_id != there.native_id
    assert (here.uri, here.author, here.posted_at, here.text) == (there.uri, there.author, there.posted_at, there.text)


def test_mastodon_start_request() -> None:
    (spec,) = mastodon.start_requests(context(MASTODON_URL + "?any[]=down&max_id=5&limit=20"))
    assert spec.method == "GET"
    assert spec.keep_body is True
    assert query(spec.url) == {"any[]": "down", "limit": "40"}
    assert spec.meta == {"since": "2021-12-07T15:00:00Z", "until": "2021-12-07T18:00:00Z"}


def test_mastodon_follows_max_id_of_the_smallest_id_as_a_number() -> None:
    (spec,) = mastodon.start_requests(context(MASTODON_URL))
    (following,) = mastodon.follow(answer(spec, body("mastodon_tag_page1.json")))
    # "99000000000000900" is the smallest as a number; as a string "110000000000000250" would sort first
    assert query(following.url) == {"limit": "40", "max_id": "99000000000000900"}
    assert following.meta == spec.meta


def test_mastodon_stops_when_a_page_reaches_back_past_since() -> None:
    (spec,) = mastodon.start_requests(context(MASTODON_URL))
    (second,) = mastodon.follow(answer(spec, body("mastodon_tag_page1.json")))
    assert mastodon.follow(answer(second, body("mastodon_tag_page2.json"))) == []
    # with an older since, the same page leads on
    (early,) = mastodon.start_requests(context(MASTODON_URL, since=utc("2021-12-01T00:00:00Z")))
    (third,) = mastodon.follow(answer(early, body("mastodon_tag_page2.json")))
    assert query(third.url)["max_id"] == "97000000000000100"


def test_mastodon_stops_at_an_empty_page() -> None:
    (spec,) = mastodon.start_requests(context(MASTODON_URL))
    assert mastodon.follow(answer(spec, b"[]")) == []
    assert mastodon.parse(answer(spec, b"[]")).posts == []


def test_mastodon_stops_when_max_id_is_ignored() -> None:
    (spec,) = mastodon.start_requests(context(MASTODON_URL, since=utc("2021-01-01T00:00:00Z")))
    (following,) = mastodon.follow(answer(spec, body("mastodon_tag_page1.json")))
    # the instance answers the max_id request with the same page again
    assert mastodon.follow(answer(following, body("mastodon_tag_page1.json"))) == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("mastodon_refused_422.json", 422), ("mastodon_refused_401.json", 401), ("mastodon_refused_422.json", None)],
)
def test_mastodon_refused_hashtag_timeline_is_a_clear_error(name: str, status: int | None) -> None:
    meta = {"since": "2021-12-07T15:00:00Z"} | ({"http_status": status} if status else {})
    with pytest.raises(ParseError) as raised:
        mastodon.parse(document(MASTODON_URL, body(name), meta))
    message = str(raised.value)
    assert "instance social.example.test does not allow public hashtag timelines" in message
    assert (f"HTTP {status}" in message) is (status is not None)


def test_mastodon_other_errors_are_not_called_refusals() -> None:
    with pytest.raises(ParseError) as raised:
        mastodon.parse(document(MASTODON_URL, body("mastodon_rate_limited.json"), {"http_status": 429}))
    assert "Too many requests" in str(raised.value)
    assert "does not allow" not in str(raised.value)
    with pytest.raises(ParseError, match="expected a JSON array of statuses"):
        mastodon.parse(document(MASTODON_URL, b'{"statuses": []}'))


# --------------------------------------------------------------------------------------------------- bluesky


def test_bluesky_skips_without_credentials() -> None:
    with pytest.raises(SkipSource, match="set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD"):
        bluesky.start_requests(context(BLUESKY_URL))
    with pytest.raises(SkipSource, match=r"\(BLUESKY_APP_PASSWORD not set\)"):
        bluesky.start_requests(context(BLUESKY_URL, {"BLUESKY_HANDLE": FAKE_ENV["BLUESKY_HANDLE"]}))


def bluesky_session() -> RequestSpec:
    (spec,) = bluesky.start_requests(context(BLUESKY_URL, FAKE_ENV))
    return spec


def test_bluesky_session_request() -> None:
    spec = bluesky_session()
    assert (spec.method, spec.url) == ("POST", "https://bsky.social/xrpc/com.atproto.server.createSession")
    assert spec.keep_body is False
    assert spec.body is not None
    assert json.loads(spec.body) == {
        "identifier": FAKE_ENV["BLUESKY_HANDLE"],
        "password": FAKE_ENV["BLUESKY_APP_PASSWORD"],
    }
    assert spec.meta == {
        "step": "session",
        "search_url": BLUESKY_URL,
        "since": "2021-12-07T15:00:00Z",
        "until": "2021-12-07T18:00:00Z",
    }


def test_bluesky_session_document_leads_to_the_search_with_a_bearer_header() -> None:
    session = answer(bluesky_session(), body("bluesky_session.json"))
    assert bluesky.parse(session).posts == []  # a session document holds no posts
    (search,) = bluesky.follow(session)
    assert search.method == "GET"
    assert urlsplit(search.url).netloc == "api.bsky.app"
    assert query(search.url) == {
        "q": "outage",
        "limit": "100",
        "sort": "latest",
        "since": "2021-12-07T15:00:00Z",
        "until": "2021-12-07T18:00:00Z",
    }
    assert search.headers["Authorization"] == f"Bearer {BLUESKY_ACCESS}"
    assert search.meta["step"] == "search"
    assert BLUESKY_ACCESS not in json.dumps(dict(search.meta))
    assert BLUESKY_ACCESS not in search.url


def test_bluesky_public_host_is_read_on_the_authenticated_one() -> None:
    (spec,) = bluesky.start_requests(
        context("https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=down&lang=en", FAKE_ENV)
    )
    (search,) = bluesky.follow(answer(spec, body("bluesky_session.json")))
    assert urlsplit(search.url).netloc == "api.bsky.app"
    assert query(search.url)["lang"] == "en"


def test_bluesky_pages_by_cursor_with_the_same_bearer() -> None:
    (search,) = bluesky.follow(answer(bluesky_session(), body("bluesky_session.json")))
    (second,) = bluesky.follow(answer(search, body("bluesky_search.json")))
    assert query(second.url)["cursor"] == "3"
    assert query(second.url)["q"] == "outage"
    assert second.headers["Authorization"] == f"Bearer {BLUESKY_ACCESS}"
    assert second.meta == search.meta
    assert bluesky.follow(answer(second, body("bluesky_search_last.json"))) == []  # no cursor: the last page


def test_bluesky_stops_on_a_repeated_cursor_an_old_page_or_an_unknown_session() -> None:
    (search,) = bluesky.follow(answer(bluesky_session(), body("bluesky_session.json")))
    (second,) = bluesky.follow(answer(search, body("bluesky_search.json")))
    assert bluesky.follow(answer(second, body("bluesky_search.json"))) == []  # cursor "3" again
    late = {**search.meta, "since": "2021-12-07T16:00:00Z"}
    assert bluesky.follow(document(search.url, body("bluesky_search.json"), late)) == []
    stranger = {**search.meta, "session": "not-a-session-of-this-process"}
    assert bluesky.follow(document(search.url, body("bluesky_search.json"), stranger)) == []


def test_bluesky_pages_on_what_the_document_carries_not_on_process_memory() -> None:
    (search,) = bluesky.follow(answer(bluesky_session(), body("bluesky_session.json")))
    assert search.carry == {"token": BLUESKY_ACCESS}
    # the page as another process would see it: a session name this one never made, the token handed back
    elsewhere = document(search.url, body("bluesky_search.json"), {**search.meta, "session": "made-elsewhere"})
    assert bluesky.follow(elsewhere) == []  # nothing handed back: no token, no next page
    (second,) = bluesky.follow(replace(elsewhere, carried=search.carry))
    assert second.headers["Authorization"] == f"Bearer {BLUESKY_ACCESS}"
    assert second.carry == search.carry
    assert second.meta["session"] == "made-elsewhere"
    # what logs would print of a document or a request never shows the token that travels with it
    assert BLUESKY_ACCESS not in repr(replace(elsewhere, carried=search.carry))
    assert "carry" not in repr(second)


def test_bluesky_parse() -> None:
    parsed = bluesky.parse(document(BLUESKY_URL, body("bluesky_search.json"), {"step": "search"}))
    assert_posts_well_formed(parsed)
    dana, ghost, clockless = parsed.posts
    assert dana.uri == dana.native_id == "at://did:plc:exampleaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3kexample0001"
    assert dana.url == "https://bsky.app/profile/dana.example.test/post/3kexample0001"
    assert dana.author == "did:plc:exampleaaaaaaaaaaaaaaaaa"
    assert dana.posted_at == utc("2021-12-07T16:20:00Z")  # createdAt, earlier than indexedAt
    assert dana.text == "ExampleCloud is down again, 502 on every request"
    assert dana.lang == "en"
    assert ghost.url == "https://bsky.app/profile/did:plc:examplebbbbbbbbbbbbbbbbb/post/3kexample0002"
    assert ghost.posted_at == utc("2021-12-07T16:05:00Z")  # a createdAt after indexedAt is not believed
    assert ghost.lang == "es"
    assert clockless.posted_at == utc("2021-12-07T15:31:00Z")  # createdAt without a zone: indexedAt
    assert clockless.lang is None


def test_bluesky_errors() -> None:
    with pytest.raises(ParseError, match=r"Bluesky answered with an error.*ExpiredToken"):
        bluesky.parse(document(BLUESKY_URL, body("bluesky_error.json"), {"http_status": 400}))
    with pytest.raises(ParseError, match="returned no accessJwt"):
        bluesky.follow(answer(bluesky_session(), b'{"error": "AuthenticationRequired"}'))


# ---------------------------------------------------------------------------------------------------- reddit


def test_reddit_skips_without_credentials() -> None:
    with pytest.raises(SkipSource, match="set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"):
        reddit.start_requests(context(REDDIT_URL))
    with pytest.raises(SkipSource, match=r"\(REDDIT_CLIENT_SECRET not set\)"):
        reddit.start_requests(context(REDDIT_URL, {"REDDIT_CLIENT_ID": FAKE_ENV["REDDIT_CLIENT_ID"]}))


def reddit_token(env: Mapping[str, str] = FAKE_ENV) -> RequestSpec:
    (spec,) = reddit.start_requests(context(REDDIT_URL, env))
    return spec


def test_reddit_token_request() -> None:
    spec = reddit_token()
    assert (spec.method, spec.url) == ("POST", "https://www.reddit.com/api/v1/access_token")
    assert spec.keep_body is False
    assert spec.body == b"grant_type=client_credentials"
    scheme, _, encoded = spec.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"{FAKE_ENV['REDDIT_CLIENT_ID']}:{FAKE_ENV['REDDIT_CLIENT_SECRET']}"
    assert spec.headers["User-Agent"] == FAKE_ENV["REDDIT_USER_AGENT"]
    assert spec.meta["step"] == "token"
    assert spec.meta["search_url"] == REDDIT_URL
    assert set(spec.meta) == {"step", "session", "search_url", "since", "until"}


def test_reddit_token_document_leads_to_the_oauth_search() -> None:
    token = answer(reddit_token(), body("reddit_token.json"))
    assert reddit.parse(token).posts == []
    (search,) = reddit.follow(token)
    parts = urlsplit(search.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oauth.reddit.com", "/r/sysadmin/search")
    assert query(search.url) == {"q": "outage", "restrict_sr": "1", "sort": "new", "limit": "100", "raw_json": "1"}
    assert search.headers["Authorization"] == f"bearer {REDDIT_BEARER}"
    assert search.headers["User-Agent"] == FAKE_ENV["REDDIT_USER_AGENT"]
    assert REDDIT_BEARER not in json.dumps(dict(search.meta))


def test_reddit_default_user_agent() -> None:
    env = {k: v for k, v in FAKE_ENV.items() if k != "REDDIT_USER_AGENT"}
    spec = reddit_token(env)
    assert spec.headers["User-Agent"] == reddit.DEFAULT_USER_AGENT
    (search,) = reddit.follow(answer(spec, body("reddit_token.json")))
    assert search.headers["User-Agent"] == reddit.DEFAULT_USER_AGENT


def test_reddit_pages_by_after_until_posts_are_older_than_since() -> None:
    early = context(REDDIT_URL, FAKE_ENV, since=utc("2021-12-01T00:00:00Z"))
    (token,) = reddit.start_requests(early)
    (search,) = reddit.follow(answer(token, body("reddit_token.json")))
    (second,) = reddit.follow(answer(search, body("reddit_search.json")))
    assert query(second.url)["after"] == "t3_abc100"
    assert second.headers["Authorization"] == f"bearer {REDDIT_BEARER}"
    # the older page reaches back before 2021-12-07 15:00 (the default since) ...
    (late_token,) = reddit.start_requests(context(REDDIT_URL, FAKE_ENV))
    (late_search,) = reddit.follow(answer(late_token, body("reddit_token.json")))
    assert reddit.follow(answer(late_search, body("reddit_search_older.json"))) == []
    # ... and a page whose oldest post (15:20) is inside the window leads on
    assert len(reddit.follow(answer(late_search, body("reddit_search.json")))) == 1


def test_reddit_stops_without_after_or_with_the_same_after() -> None:
    (search,) = reddit.follow(answer(reddit_token(), body("reddit_token.json")))
    last = json.loads(body("reddit_search.json"))
    last["data"]["after"] = None
    assert reddit.follow(answer(search, json.dumps(last))) == []
    (second,) = reddit.follow(answer(search, body("reddit_search.json")))
    assert reddit.follow(answer(second, body("reddit_search.json"))) == []


def test_reddit_pages_on_what_the_document_carries_not_on_process_memory() -> None:
    early = context(REDDIT_URL, FAKE_ENV, since=utc("2021-12-01T00:00:00Z"))
    (token,) = reddit.start_requests(early)
    assert token.carry == {"user_agent": FAKE_ENV["REDDIT_USER_AGENT"]}  # read from the environment: not in meta
    (search,) = reddit.follow(answer(token, body("reddit_token.json")))
    assert search.carry == {"user_agent": FAKE_ENV["REDDIT_USER_AGENT"], "token": REDDIT_BEARER}
    meta = {**search.meta, "session": "made-elsewhere"}
    assert reddit.follow(document(search.url, body("reddit_search.json"), meta)) == []
    (second,) = reddit.follow(document(search.url, body("reddit_search.json"), meta, carried=search.carry))
    assert second.headers["Authorization"] == f"bearer {REDDIT_BEARER}"
    assert second.headers["User-Agent"] == FAKE_ENV["REDDIT_USER_AGENT"]


def test_reddit_parse() -> None:
    parsed = reddit.parse(document(REDDIT_URL, body("reddit_search.json"), {"step": "search"}))
    assert_posts_well_formed(parsed)
    submission, comment, deleted = parsed.posts
    assert submission.native_id == "t3_abc123"
    assert submission.uri == "reddit:t3_abc123"
    assert submission.url == "https://www.reddit.com/r/sysadmin/comments/abc123/examplecloud_down/"
    assert submission.posted_at == datetime.fromtimestamp(1638894000, tz=UTC)  # created_utc, not created
    assert submission.author == "pager_duty_victim"
    assert submission.text == "ExampleCloud down?\nConsole gives 503 & <nothing> loads.\n\nAnyone?"
    assert comment.native_id == "t1_hij789"
    assert comment.text == "ExampleCloud down?\nYes, down for us too in eu-west."
    assert comment.url == "https://www.reddit.com/r/sysadmin/comments/abc123/examplecloud_down/hij789/"
    assert deleted.author == "[deleted]"
    assert deleted.text == "Weird latency on ExampleCloud today"


def test_reddit_errors() -> None:
    with pytest.raises(ParseError, match=r"Reddit answered with an error \(HTTP 403\): Forbidden"):
        reddit.parse(document(REDDIT_URL, body("reddit_error.json")))
    with pytest.raises(ParseError, match="returned no access_token"):
        reddit.follow(answer(reddit_token(), b'{"error": "invalid_grant"}'))
    bad = json.loads(body("reddit_search.json"))
    bad["data"]["children"][0]["data"]["created_utc"] = "soon"
    with pytest.raises(ParseError, match="created_utc 'soon' is not epoch seconds"):
        reddit.parse(document(REDDIT_URL, json.dumps(bad)))


# ---------------------------------------------------------------------------------------------- downdetector


def test_downdetector_skips_without_a_token() -> None:
    with pytest.raises(SkipSource, match="set DOWNDETECTOR_TOKEN"):
        downdetector.start_requests(context(DD_REPORTS_URL))


def test_downdetector_reports_request() -> None:
    (spec,) = downdetector.start_requests(context(DD_REPORTS_URL, FAKE_ENV))
    assert spec.headers["Authorization"] == f"Bearer {FAKE_ENV['DOWNDETECTOR_TOKEN']}"
    assert query(spec.url) == {
        "companies": "12345",
        "startdate": "2021-12-07T15:00:00Z",
        "enddate": "2021-12-07T18:00:00Z",
        "interval": "15m",
    }
    assert spec.meta == {"endpoint": "reports", "slug": "examplecloud"}
    (clamped,) = downdetector.start_requests(context(DD_REPORTS_URL, FAKE_ENV, since=utc("2021-10-01T00:00:00Z")))
    assert query(clamped.url)["startdate"] == "2021-11-30T18:00:00Z"  # 7 days of history


def test_downdetector_company_request() -> None:
    (spec,) = downdetector.start_requests(context(DD_COMPANY_URL, FAKE_ENV))
    assert query(spec.url) == {"fields": "id,name,slug,stats_24,baseline"}
    assert spec.meta == {"endpoint": "company"}


def test_downdetector_parse_reports() -> None:
    (spec,) = downdetector.start_requests(context(DD_REPORTS_URL, FAKE_ENV))
    parsed = downdetector.parse(answer(spec, body("downdetector_reports.json")))
    assert len(parsed.counts) == 10
    assert parsed.posts == []
    assert all(isinstance(c, ComplaintCount) and c.service == "examplecloud" for c in parsed.counts)
    assert parsed.counts[0] == ComplaintCount("examplecloud", utc("2021-12-07T14:30:00Z"), 2, None)
    assert parsed.counts[7] == ComplaintCount("examplecloud", utc("2021-12-07T16:15:00Z"), 1210, None)
    starts = [c.bucket_start for c in parsed.counts]
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(starts))


def test_downdetector_parse_company_series_with_baseline() -> None:
    parsed = downdetector.parse(document(DD_COMPANY_URL + "?fields=x", body("downdetector_company.json")))
    assert len(parsed.counts) == 96
    last = parsed.counts[-1]
    assert last.bucket_start == utc("2021-12-07T17:00:00Z")  # the bucket of the fetch time (17:07:30)
    assert parsed.counts[0].bucket_start == utc("2021-12-06T17:15:00Z")
    assert (last.service, last.reports, last.baseline) == ("examplecloud", 100, 2.5)
    assert max(parsed.counts, key=lambda c: c.reports).bucket_start == utc("2021-12-07T16:30:00Z")  # 1200, 3rd last


def test_downdetector_errors() -> None:
    with pytest.raises(ParseError, match=r"Downdetector answered with an error \(HTTP 401\).*Invalid or expired"):
        downdetector.parse(document(DD_COMPANY_URL, body("downdetector_error.json"), {"http_status": 401}))
    points = json.loads(body("downdetector_reports.json"))
    points[1]["total"] = -1
    with pytest.raises(ParseError, match="non-negative"):
        downdetector.parse(document(DD_REPORTS_URL, json.dumps(points)))
    with pytest.raises(ParseError, match="names no /v2/slugs/"):
        downdetector.parse(document("https://downdetectorapi.com/v2/other", body("downdetector_reports.json")))


# ------------------------------------------------------------------------------------- credentials never leak


def every_plan_and_page() -> Iterator[RequestSpec]:
    """Every request the kinds make with the fake credentials, through their auth and paging flows."""
    for url in (DD_REPORTS_URL, DD_COMPANY_URL, "https://downdetectorapi.com/v2/elsewhere"):
        yield from downdetector.start_requests(context(url, FAKE_ENV))
    yield from hackernews.start_requests(context(HN_URL, FAKE_ENV))
    yield from mastodon.start_requests(context(MASTODON_URL, FAKE_ENV))

    session = bluesky_session()
    yield session
    for search in bluesky.follow(answer(session, body("bluesky_session.json"))):
        yield search
        yield from bluesky.follow(answer(search, body("bluesky_search.json")))

    early = context(REDDIT_URL, FAKE_ENV, since=utc("2021-12-01T00:00:00Z"))
    for token in reddit.start_requests(early):
        yield token
        for search in reddit.follow(answer(token, body("reddit_token.json"))):
            yield search
            yield from reddit.follow(answer(search, body("reddit_search.json")))


def every_message() -> Iterator[str]:
    """Every SkipSource and ParseError message the kinds give for missing credentials and bad answers."""
    partial_envs = [{}] + [{name: value} for name, value in FAKE_ENV.items()]
    for kind, url in (("bluesky", BLUESKY_URL), ("reddit", REDDIT_URL), ("downdetector", DD_REPORTS_URL)):
        for env in partial_envs:
            planner = registry.get(kind).start_requests
            assert planner is not None
            try:
                planner(context(url, env))
            except SkipSource as skipped:
                yield str(skipped)
    bad_bodies = [
        b"",
        b"<html>503</html>",
        b"{not json",
        b'{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}',
        b'{"error": "invalid_grant"}',
        b'{"message": "Unauthorized", "error": 401}',
        b"[1]",
        b'{"posts": "x"}',
    ]
    session, token = bluesky_session(), reddit_token()
    (search,) = bluesky.follow(answer(session, body("bluesky_session.json")))
    (reddit_search,) = reddit.follow(answer(token, body("reddit_token.json")))
    (counts,) = downdetector.start_requests(context(DD_REPORTS_URL, FAKE_ENV))
    calls: list[tuple[RequestSpec, tuple[Callable[[Document], object], ...]]] = [
        (session, (bluesky.parse, bluesky.follow)),
        (search, (bluesky.parse, bluesky.follow)),
        (token, (reddit.parse, reddit.follow)),
        (reddit_search, (reddit.parse, reddit.follow)),
        (counts, (downdetector.parse,)),
    ]
    for spec, functions in calls:
        for payload in bad_bodies:
            for status in (200, 401):
                for function in functions:
                    try:
                        function(answer(spec, payload, status))
                    except ParseError as error:
                        yield str(error)


def test_no_credential_in_meta_urls_or_messages() -> None:
    specs = list(every_plan_and_page())
    assert len(specs) >= 10
    for spec in specs:
        stored = json.dumps(dict(spec.meta)) + spec.url
        for secret in SECRETS:
            assert secret not in stored, (spec.url, secret)
        if spec.body is not None and FAKE_ENV["BLUESKY_APP_PASSWORD"].encode() in spec.body:
            assert spec.keep_body is False  # the login request: its body is sent, never stored
    # the only places a credential goes: the login body and the Authorization headers
    assert any(FAKE_ENV["DOWNDETECTOR_TOKEN"] in s.headers.get("Authorization", "") for s in specs)
    assert any(BLUESKY_ACCESS in s.headers.get("Authorization", "") for s in specs)
    assert any(REDDIT_BEARER in s.headers.get("Authorization", "") for s in specs)

    messages = list(every_message())
    assert len(messages) >= 20
    for message in messages:
        for secret in [*SECRETS, FAKE_ENV["BLUESKY_HANDLE"], FAKE_ENV["REDDIT_USER_AGENT"]]:
            assert secret not in message, (message, secret)
