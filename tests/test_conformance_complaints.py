"""The complaint kinds on real payloads: the Mastodon hashtag-timeline body and VCR cassette, and the Reddit search
listing and Betamax cassette in ../shared/samples/complaints (see PROVENANCE.md there). Every expected number is
derived here from the raw JSON or the cassette, independently of the parsers. Skipped when the samples are absent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from scrapers import registry
from scrapers.kinds import mastodon, reddit
from scrapers.records import Document
from scrapers.registry import SourceContext
from tests.helpers import make_doc

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "complaints"
MASTODON_BODY = SAMPLES / "mastodon" / "timelines_tag_hoot_body.json"
MASTODON_CASSETTE = SAMPLES / "mastodon" / "cassette_test_hashtag_tl.yaml"
REDDIT_LISTING = SAMPLES / "reddit" / "r_all_search_listing_body_2016-07-12.json"
REDDIT_CASSETTE = SAMPLES / "reddit" / "praw_cassette_TestSubreddit.test_search.json"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real samples not present at {SAMPLES}")

FETCHED_AT = datetime(2026, 8, 1, 14, 0, tzinfo=UTC)


def doc(url: str, body: bytes, meta: dict[str, Any] | None = None, carried: dict[str, str] | None = None) -> Document:
    return make_doc(
        url,
        body,
        source_id="sample",
        content_type="application/json; charset=utf-8",
        fetched_at=FETCHED_AT,
        meta=meta,
        carried=carried,
    )


def cassette_interaction(path: Path, method: str, url_part: str) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.suffix == ".yaml" else json.loads(path.read_text())
    for interaction in data["interactions"]:
        request = interaction["request"]
        if request["method"] == method and url_part in request["uri"]:
            return dict(interaction)
    raise AssertionError(f"no {method} {url_part} in {path.name}")


# -------------------------------------------------------------------------------------------------- mastodon


def test_mastodon_real_timeline_body() -> None:
    raw = json.loads(MASTODON_BODY.read_bytes())
    url = "http://localhost:3000/api/v1/timelines/tag/hoot"
    parsed = mastodon.parse(doc(url, MASTODON_BODY.read_bytes()))
    assert len(parsed.posts) == len(raw) == 1
    (post,) = parsed.posts
    status = raw[0]
    assert post.native_id == status["id"]
    assert post.uri == status["uri"]
    assert post.url == status["url"]
    account = status["account"]
    assert "@" not in account["acct"]  # a local account: acct has no domain
    assert post.author == f"{account['acct']}@{urlsplit(account['url']).netloc}" == "mastodonpy_test_2@localhost:3000"
    assert post.lang == status["language"] == "ja"
    assert post.posted_at == datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    assert post.text == "#hoot (hashtag toot)"  # the <p><a …>#<span>hoot</span></a> (hashtag toot)</p> as text
    assert registry.detect(MASTODON_BODY.read_bytes()) == ["mastodon"]


def test_mastodon_cassette_body_is_the_extracted_body() -> None:
    interaction = cassette_interaction(MASTODON_CASSETTE, "GET", "/api/v1/timelines/tag/hoot")
    assert json.loads(interaction["response"]["body"]["string"]) == json.loads(MASTODON_BODY.read_bytes())


def test_mastodon_next_page_matches_the_real_link_header() -> None:
    """Our max_id paging asks for what the instance's own Link rel="next" names."""
    interaction = cassette_interaction(MASTODON_CASSETTE, "GET", "/api/v1/timelines/tag/hoot")
    link = " ".join(interaction["response"]["headers"]["link"])
    match = re.search(r"<([^>]+)>;\s*rel=\"next\"", link)
    assert match is not None
    expected_max_id = parse_qs(urlsplit(match.group(1)).query)["max_id"][0]
    context = SourceContext(
        source_id="sample",
        url=interaction["request"]["uri"],
        since=datetime(2026, 8, 1, tzinfo=UTC),
        until=FETCHED_AT,
        env={},
    )
    (first,) = mastodon.start_requests(context)
    (following,) = mastodon.follow(doc(first.url, MASTODON_BODY.read_bytes(), dict(first.meta)))
    assert parse_qs(urlsplit(following.url).query)["max_id"] == [expected_max_id]


def test_mastodon_real_instance_allows_public_hashtag_feeds() -> None:
    """The cassette's /api/v2/instance says hashtag feeds are public: the case our refusal error is not for."""
    interaction = cassette_interaction(MASTODON_CASSETTE, "GET", "/api/v2/instance")
    instance = json.loads(interaction["response"]["body"]["string"])
    assert instance["configuration"]["timelines_access"]["hashtag_feeds"] == {"local": "public", "remote": "public"}


# ---------------------------------------------------------------------------------------------------- reddit


def test_reddit_real_search_listing() -> None:
    raw = json.loads(REDDIT_LISTING.read_bytes())
    children = raw["data"]["children"]
    expected = [c["data"] for c in children if c["kind"] in ("t1", "t3")]
    parsed = reddit.parse(doc("https://oauth.reddit.com/r/all/search", REDDIT_LISTING.read_bytes()))
    assert len(parsed.posts) == len(expected) == 6
    assert [p.native_id for p in parsed.posts] == [c["name"] for c in expected]
    assert {p.uri for p in parsed.posts} == {f"reddit:{c['name']}" for c in expected}
    for post, child in zip(parsed.posts, expected, strict=True):
        assert post.posted_at == datetime.fromtimestamp(child["created_utc"], tz=UTC)
        assert post.posted_at != datetime.fromtimestamp(child["created"], tz=UTC)  # `created` is 8 h off UTC here
        assert post.author == child["author"]
        assert post.url == "https://www.reddit.com" + child["permalink"].split("?")[0]
        assert post.text.startswith(" ".join(child["title"].split()))
        assert "?ref=" not in (post.url or "")
    assert registry.detect(REDDIT_LISTING.read_bytes()) == ["reddit"]
    # the listing's after is null: the last page
    assert raw["data"]["after"] is None
    assert reddit.follow(doc("https://oauth.reddit.com/r/all/search", REDDIT_LISTING.read_bytes())) == []


def test_reddit_cassette_listing_is_the_extracted_body() -> None:
    interaction = cassette_interaction(REDDIT_CASSETTE, "GET", "oauth.reddit.com/r/all/search")
    assert json.loads(interaction["response"]["body"]["string"]) == json.loads(REDDIT_LISTING.read_bytes())


def test_reddit_auth_flow_against_the_real_cassette() -> None:
    """Our token request looks like the recorded one, the recorded token answer leads to the recorded search
    endpoint, with the recorded bearer header form."""
    token_call = cassette_interaction(REDDIT_CASSETTE, "POST", "/api/v1/access_token")
    search_call = cassette_interaction(REDDIT_CASSETTE, "GET", "oauth.reddit.com")
    env = {"REDDIT_CLIENT_ID": "id-for-test", "REDDIT_CLIENT_SECRET": "secret-for-test"}
    context = SourceContext(
        source_id="sample",
        url="https://www.reddit.com/r/all/search.json?q=praw+oauth+search",
        since=datetime(2010, 1, 1, tzinfo=UTC),
        until=datetime(2016, 7, 12, 17, 11, tzinfo=UTC),
        env=env,
    )
    (token,) = reddit.start_requests(context)
    assert (token.method, token.url) == (token_call["request"]["method"], token_call["request"]["uri"])
    assert token.body is not None
    assert token.body.decode() == token_call["request"]["body"]
    assert token.headers["Authorization"].startswith("Basic ")
    assert token_call["request"]["headers"]["Authorization"] == ["Basic <BASIC_AUTH>"]

    recorded_answer = token_call["response"]["body"]["string"].encode()
    (search,) = reddit.follow(doc(token.url, recorded_answer, {**token.meta, "http_status": 200}, dict(token.carry)))
    recorded = urlsplit(search_call["request"]["uri"])
    ours = urlsplit(search.url)
    assert ours.netloc == recorded.netloc == "oauth.reddit.com"
    assert ours.path.rstrip("/") == recorded.path.rstrip("/") == "/r/all/search"
    assert parse_qs(ours.query)["q"] == parse_qs(recorded.query)["q"]
    assert parse_qs(ours.query)["raw_json"] == parse_qs(recorded.query)["raw_json"] == ["1"]
    access_token = json.loads(recorded_answer)["access_token"]
    assert search.headers["Authorization"] == f"bearer {access_token}"
    assert search_call["request"]["headers"]["Authorization"] == [f"bearer {access_token}"]
    assert access_token not in json.dumps(dict(search.meta))
