"""One order for each vocabulary (scrapers/vocabulary.py): the kinds rank by it, and the warehouse's impact_rank()
macro ranks as it does."""

from __future__ import annotations

import json

import duckdb
import pytest

from scrapers import registry
from scrapers.vocabulary import (
    COMPONENT_STATE_SEVERITY,
    COMPONENT_STATES,
    IMPACT_SEVERITY,
    IMPACTS,
    impact_rank,
    state_rank,
)
from tests.helpers import make_doc, utc
from warehouse.models import RULE_MACROS, model_sql


def test_each_order_ranks_every_value_of_its_vocabulary_once() -> None:
    assert sorted(IMPACT_SEVERITY) == sorted(IMPACTS)
    assert sorted(COMPONENT_STATE_SEVERITY) == sorted(COMPONENT_STATES)
    assert [impact_rank(i) for i in IMPACT_SEVERITY] == list(range(len(IMPACTS)))
    assert [state_rank(s) for s in COMPONENT_STATE_SEVERITY] == list(range(len(COMPONENT_STATES)))


def test_the_sql_impact_rank_is_the_python_order() -> None:
    assert "impact_rank" in RULE_MACROS  # created before the views that call it
    con = duckdb.connect()
    try:
        con.execute(model_sql("macros/impact_rank"))
        ranks = dict(con.execute("select i, impact_rank(i) from unnest(?::varchar[]) as t(i)", [IMPACTS]).fetchall())
        missing = con.execute("select impact_rank(null::varchar), impact_rank('not an impact')").fetchone()
    finally:
        con.close()
    assert ranks == {impact: impact_rank(impact) for impact in IMPACTS}
    assert missing == (impact_rank("unknown"), impact_rank("unknown"))  # no impact ranks as unknown


def _aws_event(service_key: str, date: int, level: str) -> dict[str, object]:
    return {
        "service": f"{service_key}-event",
        "date": str(date),
        "status": "1",
        "summary": "Increased error rates",
        "event_log": [{"timestamp": date, "status": "1", "message": "We are investigating increased error rates."}],
        "impacted_services": {service_key: {"service_name": "Amazon Route 53", "current": level}},
    }


@pytest.mark.parametrize("levels", [("0", "9"), ("9", "0")])
def test_aws_keeps_a_component_state_it_cannot_read_over_operational(levels: tuple[str, str]) -> None:
    """A global service under two events, one saying it operates normally and one at a level we cannot read: we
    cannot say it is fine (before the one order, AWS ranked unknown below operational, GCP and Slack above it)."""
    events = [_aws_event("route53", 1638896400 + 60 * n, level) for n, level in enumerate(levels)]
    doc = make_doc(
        "https://health.aws.amazon.com/public/currentevents", json.dumps(events), fetched_at=utc("2021-12-07T18:00Z")
    )
    (component,) = registry.get("aws_health").parse(doc).components
    assert (component.native_id, component.state) == ("route53", "unknown")
    assert component.state_native == "9"
