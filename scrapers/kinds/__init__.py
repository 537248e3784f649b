"""Built-in source kinds: importing this package registers each of them (one module per kind)."""

from scrapers.kinds import (
    aws_health,
    azure,
    betterstack,
    cachet,
    feed,
    gcp,
    incidentio,
    instatus,
    report_counts,
    slack,
    statusio,
    statuspage,
)

__all__ = [
    "aws_health",
    "azure",
    "betterstack",
    "cachet",
    "feed",
    "gcp",
    "incidentio",
    "instatus",
    "report_counts",
    "slack",
    "statusio",
    "statuspage",
]
