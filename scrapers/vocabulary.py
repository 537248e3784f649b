"""The normalized vocabularies every parser maps a provider's words into, and the one order each is ranked by.

Kinds never rank these themselves, and the warehouse takes the impact order from here too: its SQL macro
``impact_rank()`` (``warehouse/models/macros/impact_rank.sql``) is checked against :data:`IMPACT_SEVERITY` by
``tests/test_vocabulary.py``. ``docs/vocabulary.md`` says what each value means and which native words map to it.
"""

from __future__ import annotations

from typing import Literal

Impact = Literal["none", "minor", "major", "critical", "maintenance", "unknown"]
UpdateStatus = Literal[
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "postmortem",
    "scheduled",
    "in_progress",
    "completed",
    "unknown",
]
ComponentState = Literal["operational", "degraded", "partial_outage", "major_outage", "maintenance", "unknown"]

IMPACTS: tuple[Impact, ...] = ("none", "minor", "major", "critical", "maintenance", "unknown")
# In the order an incident lives them: an incident's stages, then a maintenance's, then what none of them says.
UPDATE_STATUSES: tuple[UpdateStatus, ...] = (
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "postmortem",
    "scheduled",
    "in_progress",
    "completed",
    "unknown",
)
COMPONENT_STATES: tuple[ComponentState, ...] = (
    "operational",
    "degraded",
    "partial_outage",
    "major_outage",
    "maintenance",
    "unknown",
)

# Least severe first. An incident's impact is the most severe one any of its versions (or posts) states: a word we
# could not map (unknown) and planned maintenance rank below every stated level, so they never hide one.
IMPACT_SEVERITY: tuple[Impact, ...] = ("unknown", "maintenance", "none", "minor", "major", "critical")

# Least severe first. A component named by several incidents (or events) of one document takes the most severe state
# any of them gives it. A state we could not read (unknown) ranks above operational: an incident names the component,
# so we cannot say all is well; it ranks below maintenance and every level of harm, which say more.
COMPONENT_STATE_SEVERITY: tuple[ComponentState, ...] = (
    "operational",
    "unknown",
    "maintenance",
    "degraded",
    "partial_outage",
    "major_outage",
)

_IMPACT_RANK = {impact: rank for rank, impact in enumerate(IMPACT_SEVERITY)}
_STATE_RANK = {state: rank for rank, state in enumerate(COMPONENT_STATE_SEVERITY)}


def impact_rank(impact: Impact) -> int:
    """How severe an impact is: its place in :data:`IMPACT_SEVERITY` (0, unknown, is the least)."""
    return _IMPACT_RANK[impact]


def state_rank(state: ComponentState) -> int:
    """How severe a component state is: its place in :data:`COMPONENT_STATE_SEVERITY` (0, operational, the least)."""
    return _STATE_RANK[state]
