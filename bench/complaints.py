"""The complaint rule on the labelled posts of tests/fixtures/complaints_labelled.csv: precision and recall, overall
and per language (figures, not a timing; the floors are held by tests/test_complaint_rule.py)."""

from __future__ import annotations

from typing import Any

from bench.common import ROOT, Row
from warehouse.complaint_check import score_complaint_rule

LABELLED = ROOT / "tests" / "fixtures" / "complaints_labelled.csv"


def run() -> tuple[list[Row], dict[str, Any]]:
    scores = score_complaint_rule(LABELLED)
    rows = []
    raw: dict[str, Any] = {}
    for score in scores:
        raw[score.group] = {
            "posts": score.posts,
            "precision": score.precision,
            "recall": score.recall,
            "false_positive": score.false_positive,
            "false_negative": score.false_negative,
        }
        print(
            f"complaints {score.group}: {score.posts} posts, precision {score.precision:.3f}, "
            f"recall {score.recall:.3f} ({score.false_positive} false positives, {score.false_negative} missed)",
            flush=True,
        )
        rows.append(
            Row(
                "complaints",
                f"{score.group}: precision / recall ({score.posts} labelled posts)",
                f"{score.precision:.2f} / {score.recall:.2f}",
            )
        )
    return rows, raw
