"""The complaint rule on posts written by us and labelled by hand (tests/fixtures/complaints_labelled.csv): ordinary
mentions, jokes, news, advertisements and real complaints in every language the rule covers, read through the real
models. The floors are below what the rule scores, so a change that loses complaints or flags mentions fails here;
``python -m bench --only complaints`` prints the figures."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from warehouse.complaint_check import Score, score_complaint_rule

LABELLED = Path(__file__).parent / "fixtures" / "complaints_labelled.csv"
LANGUAGES = {"de", "en", "es", "fr", "it", "ja", "nl", "pt"}  # those of macros/complaint_pattern.sql
KINDS = {"complaint", "mention", "joke", "news", "ad"}


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    return {score.group: score for score in score_complaint_rule(LABELLED)}


def test_the_labelled_set_covers_every_language_and_kind() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 300
    assert len({row["post"] for row in rows}) == len(rows)
    per = Counter((row["lang"], row["kind"]) for row in rows)
    assert {lang for lang, _ in per} == LANGUAGES
    assert all(per[(lang, kind)] >= 3 for lang in LANGUAGES for kind in KINDS), per
    assert all(row["complaint"] == str(int(row["kind"] == "complaint")) for row in rows)
    # posts read from a search that the search term alone would make complaints: the point of the rule
    assert sum("/tag/outage" in row["source_url"] and row["kind"] != "complaint" for row in rows) >= 10


def test_every_post_names_its_service(scores: dict[str, Score]) -> None:
    assert scores["all"].unnamed == 0
    assert scores["all"].posts >= 300


def test_precision_and_recall_stay_above_their_floors(scores: dict[str, Score]) -> None:
    overall = scores["all"]
    assert overall.precision >= 0.9, overall
    assert overall.recall >= 0.9, overall
    for lang in LANGUAGES:
        assert scores[lang].recall >= 0.8, scores[lang]
        assert scores[lang].precision >= 0.85, scores[lang]
