"""Reconstructed user posts for the replay, and the Mastodon and Hacker News (Algolia) APIs that serve them.

Deterministic: a seeded generator turns the complaint-count spec into posts, so every replay sees the same posts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from replay.counts import series
from replay.timefmt import utc

INSTANCES = ("mastodon.social", "hachyderm.io")
OUTAGE_WINDOW = (utc("2021-12-07T15:00:00Z"), utc("2021-12-08T06:00:00Z"))
DISPLAY = {
    "amazon": "Amazon",
    "Amazon Web Services": "AWS",
    "alexa": "Alexa",
    "ring": "Ring",
    "netflix": "Netflix",
    "Disney+": "Disney+",
    "coinbase": "Coinbase",
    "robinhood": "Robinhood",
    "venmo": "Venmo",
    "McDonald's": "McDonald's app",
}


@dataclass(frozen=True, slots=True)
class ReplayPost:
    network: str  # "mastodon" or "hackernews"
    number: int
    posted_at: datetime
    author: str
    text: str
    lang: str
    instances: tuple[str, ...] = ()  # Mastodon: where it can be read


def generate(spec: dict[str, Any], counts_spec: dict[str, Any]) -> list[ReplayPost]:
    rng = random.Random(f"posts-{counts_spec['seed']}")
    authors = [f"user{n:03d}" for n in range(int(spec["authors"]))]
    templates = [(lang, text) for lang, texts in spec["complaints"].items() for text in texts]
    posts: list[ReplayPost] = []
    start = utc(counts_spec["history_start"])
    for label, bucket, reports in series(counts_spec):
        name = DISPLAY.get(label, label)
        if OUTAGE_WINDOW[0] <= bucket < OUTAGE_WINDOW[1]:
            for network, per in (
                ("mastodon", spec["mastodon_per_reports"]),
                ("hackernews", spec["hackernews_per_reports"]),
            ):
                for _ in range(min(int(reports // per), int(spec["max_posts_per_bucket"]))):
                    lang, template = rng.choice(templates)
                    if network == "hackernews":
                        lang, template = "en", rng.choice(spec["hackernews_titles"])
                    author = rng.choice(authors)
                    at = bucket + timedelta(seconds=rng.randrange(900))
                    posts.append(_post(rng, spec, network, len(posts), at, author, template.format(name=name), lang))
                    if network == "mastodon" and rng.random() < spec["repeat_author_share"]:
                        again = at + timedelta(minutes=rng.randrange(5, 50))
                        text = rng.choice(spec["complaints"]["en"]).format(name=name)
                        posts.append(_post(rng, spec, network, len(posts), again, author, text, "en"))
        elif bucket.hour == 17 and bucket.minute == 0 and bucket >= start:
            for _ in range(int(spec["chatter_per_day"])):
                at = bucket + timedelta(minutes=rng.randrange(600))
                text = rng.choice(spec["chatter"]).format(name=name)
                posts.append(_post(rng, spec, "mastodon", len(posts), at, rng.choice(authors), text, "en"))
            decoy = spec["decoys"].get(label)
            if decoy:
                at = bucket + timedelta(minutes=rng.randrange(600))
                posts.append(_post(rng, spec, "mastodon", len(posts), at, rng.choice(authors), decoy, "en"))
    return sorted(posts, key=lambda p: (p.posted_at, p.number))


def _post(
    rng: random.Random, spec: dict[str, Any], network: str, number: int, at: datetime, author: str, text: str, lang: str
) -> ReplayPost:
    instances: tuple[str, ...] = ()
    if network == "mastodon":
        home = rng.choice(INSTANCES)
        other = INSTANCES[1] if home == INSTANCES[0] else INSTANCES[0]
        instances = (home, other) if rng.random() < spec["both_instances_share"] else (home,)
    return ReplayPost(network, number, at, author, text, lang, instances)


def mastodon_id(post: ReplayPost) -> int:
    """Snowflake-like: ids grow with time, as Mastodon's do."""
    return (int(post.posted_at.timestamp() * 1000) << 16) + post.number % 65536


def mastodon_page(posts: list[ReplayPost], instance: str, at: datetime, query: str) -> list[dict[str, Any]]:
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    limit = min(int(params.get("limit", 20)), 40)
    max_id = int(params["max_id"]) if "max_id" in params else None
    since_id = int(params["since_id"]) if "since_id" in params else None
    visible = [p for p in posts if p.network == "mastodon" and instance in p.instances and p.posted_at <= at]
    page = []
    for post in sorted(visible, key=mastodon_id, reverse=True):
        ident = mastodon_id(post)
        if (max_id is not None and ident >= max_id) or (since_id is not None and ident <= since_id):
            continue
        page.append(_status(post, instance, ident))
        if len(page) == limit:
            break
    return page


def _status(post: ReplayPost, instance: str, ident: int) -> dict[str, Any]:
    home = post.instances[0]
    local_id = str(ident)
    uri = f"https://{home}/users/{post.author}/statuses/{ident}"
    words = post.text.replace(
        "#outage", '<a href="https://{0}/tags/outage" class="mention hashtag">#<span>outage</span></a>'
    )
    return {
        "id": local_id,
        "created_at": post.posted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "in_reply_to_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": post.lang,
        "uri": uri,
        "url": f"https://{home}/@{post.author}/{ident}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": f"<p>{words.format(instance)}</p>",
        "account": {
            "id": str(abs(hash(post.author)) % 10**9),
            "username": post.author,
            "acct": post.author if home == instance else f"{post.author}@{home}",
            "display_name": post.author,
            "url": f"https://{home}/@{post.author}",
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": "outage", "url": f"https://{instance}/tags/outage"}],
        "emojis": [],
    }


def _numeric_filters(value: str) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for part in value.split(","):
        part = part.strip()
        for op in (">=", "<=", ">", "<"):
            if part.startswith("created_at_i" + op):
                number = int(part[len("created_at_i") + len(op) :])
                if op in (">=", ">"):
                    low = number + (1 if op == ">" else 0)
                else:
                    high = number - (1 if op == "<" else 0)
                break
    return low, high


def hackernews_search(posts: list[ReplayPost], at: datetime, query: str) -> dict[str, Any]:
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    low, high = _numeric_filters(params.get("numericFilters", ""))
    per_page = min(int(params.get("hitsPerPage", 20)), 1000)
    page = int(params.get("page", 0))
    words = params.get("query", "").lower().split()
    found = [
        p
        for p in posts
        if p.network == "hackernews"
        and p.posted_at <= at
        and all(word in p.text.lower() for word in words)
        and (low is None or p.posted_at.timestamp() >= low)
        and (high is None or p.posted_at.timestamp() <= high)
    ]
    found.sort(key=lambda p: p.posted_at, reverse=True)
    total = len(found)
    reachable = found[:1000]  # Algolia stops at 1,000 hits however you page
    hits = reachable[page * per_page : (page + 1) * per_page]
    return {
        "hits": [
            {
                "objectID": str(29470000 + p.number),
                "title": p.text,
                "url": None,
                "author": p.author,
                "points": 3,
                "story_text": None,
                "comment_text": None,
                "num_comments": 0,
                "created_at": p.posted_at.isoformat(timespec="seconds").replace("+00:00", ".000Z"),
                "created_at_i": int(p.posted_at.timestamp()),
                "_tags": ["story", f"author_{p.author}", f"story_{29470000 + p.number}"],
            }
            for p in hits
        ],
        "nbHits": total,
        "page": page,
        "nbPages": (min(total, 1000) + per_page - 1) // per_page,
        "hitsPerPage": per_page,
        "query": params.get("query", ""),
        "params": query,
    }
