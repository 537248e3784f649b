"""`outages parse` prints every record a payload holds: posts too (it once printed nothing for a Mastodon timeline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.cli import main
from tests.helpers import FIXTURES

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "complaints"
MASTODON_PAGES = [
    pytest.param(FIXTURES / "complaints" / "mastodon_tag_page1.json", id="our-fixture"),
    pytest.param(SAMPLES / "mastodon" / "timelines_tag_hoot_body.json", id="shared-capture"),
]


@pytest.mark.parametrize("page", MASTODON_PAGES)
def test_parse_prints_the_posts_of_a_mastodon_timeline(page: Path) -> None:
    if not page.exists():
        pytest.skip(f"{page} is not here (../shared is optional)")
    statuses = json.loads(page.read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["parse", str(page)])
    assert result.exit_code == 0, result.output
    assert "detected kind: mastodon" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert statuses
    assert [line["record"] for line in lines] == ["post"] * len(statuses)
    assert [line["uri"] for line in lines] == [(s.get("reblog") or s)["uri"] for s in statuses]
    assert all(line["text"] for line in lines)
