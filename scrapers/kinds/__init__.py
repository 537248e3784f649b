"""Built-in source kinds: importing this package registers each of them (one module per kind)."""

from scrapers.kinds import aws_health, report_counts, statuspage

__all__ = ["aws_health", "report_counts", "statuspage"]
