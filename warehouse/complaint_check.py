"""How well the complaint rule reads a labelled set of posts: precision and recall, overall and per language.

The posts go through the real models (``stg_complaints``) in a scratch in-memory warehouse: one service per
``service_id`` of the file (named by its id), one post per row, read by DuckDB from the CSV. Used by
``tests/test_complaint_rule.py`` (floors) and ``python -m bench --only complaints`` (figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warehouse.db import connect, migrate
from warehouse.models import build_models

LABELLED = """
read_csv($path, header = true, columns = {
    post: 'VARCHAR', lang: 'VARCHAR', kind: 'VARCHAR', complaint: 'INTEGER', service_id: 'VARCHAR',
    source_url: 'VARCHAR', text: 'VARCHAR'})
"""


@dataclass(frozen=True)
class Score:
    """Confusion counts of one group of posts; ``unnamed`` posts did not name their service at all."""

    group: str
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    unnamed: int

    @property
    def posts(self) -> int:
        return self.true_positive + self.false_positive + self.false_negative + self.true_negative + self.unnamed

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        complaints = self.true_positive + self.false_negative
        return self.true_positive / complaints if complaints else 1.0


def score_complaint_rule(labelled: Path) -> list[Score]:
    """One score for all posts (group ``'all'``), then one per language, in language order."""
    con = connect(":memory:")
    try:
        migrate(con)
        params = {"path": str(labelled)}
        con.execute(
            f"INSERT INTO raw_services (service_id, name, aliases, depends_on) "
            f"SELECT DISTINCT service_id, service_id, [], [] FROM {LABELLED}",
            params,
        )
        # one post a minute, each by its own author: the repeat rule never hides one
        con.execute(
            f"""
            INSERT INTO raw_posts (uri, post_id, source_id, native_id, url, posted_at, author_hash, text, lang,
                first_seen_at, source_url)
            SELECT 'labelled://' || post, 'labelled:' || post, 'labelled', post, NULL,
                   TIMESTAMPTZ '2021-12-07 00:00:00+00' + to_minutes(row_number() OVER (ORDER BY post)),
                   'author-' || post, text, lang, TIMESTAMPTZ '2021-12-08 00:00:00+00', source_url
            FROM {LABELLED}
            """,
            params,
        )
        build_models(con)
        rows = con.execute(
            f"""
            WITH judged AS (
                SELECT labelled.lang, labelled.complaint = 1 AS complaint, complaints.is_complaint
                FROM {LABELLED} AS labelled
                LEFT JOIN stg_complaints AS complaints
                    ON complaints.uri = 'labelled://' || labelled.post AND complaints.service_id = labelled.service_id
            )
            SELECT coalesce(lang, 'all'),
                   count_if(complaint AND is_complaint), count_if(NOT complaint AND is_complaint),
                   count_if(complaint AND NOT is_complaint), count_if(NOT complaint AND NOT is_complaint),
                   count_if(is_complaint IS NULL)
            FROM judged
            GROUP BY GROUPING SETS ((), (lang))
            ORDER BY lang NULLS FIRST
            """,
            params,
        ).fetchall()
    finally:
        con.close()
    return [
        Score(str(group), int(tp), int(fp), int(fn), int(tn), int(unnamed)) for group, tp, fp, fn, tn, unnamed in rows
    ]
