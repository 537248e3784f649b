"""Run one crawl in its own process: ``python -m scrapers.crawl --plan P --run-dir D --store S``.

A Twisted reactor cannot be restarted, so every crawl (and every retry of one) gets a fresh process. Scrapy exits 0
even when every download failed, so the caller reads ``fetches.jsonl`` and ``crawl_stats.json``, not the exit code.
``fetches.jsonl`` grows one complete line per fetch while the crawl runs; ``crawl_stats.json`` is written last.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from scrapers.settings import crawl_settings
from scrapers.spider import SourcesSpider


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan", required=True, help="JSON list of {source_id, url}")
    parser.add_argument("--run-dir", required=True, help="folder for fetches.jsonl, crawl_stats.json, crawl.log")
    parser.add_argument("--store", required=True, help="content-addressed body store")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--as-of", default="", help="stamp fetches with this time (replays)")
    parser.add_argument(
        "--share", type=int, default=1, help="one of N crawls over disjoint hosts: take 1/N of the total concurrency"
    )
    args = parser.parse_args(argv)

    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = crawl_settings(timeout_seconds=args.timeout, log_file=str(run_dir / "crawl.log"))
    if args.share > 1:  # the per-host cap holds as it is: a host's sources are all in one crawl (flows/crawl_stage.py)
        total = int(settings["CONCURRENT_REQUESTS"]) // args.share
        settings["CONCURRENT_REQUESTS"] = max(total, int(settings["CONCURRENT_REQUESTS_PER_DOMAIN"]))
    settings["OUTAGES_BODY_STORE"] = args.store
    settings["OUTAGES_FETCH_RECORDS"] = str(run_dir / "fetches.jsonl")  # written line by line: FetchRecordsPipeline
    process = CrawlerProcess(settings)
    # Scrapy's logging defaults give its loggers DEBUG: each response and each item built a log record (4,000 for 2,000
    # re-polled sources) that the handler, at LOG_LEVEL, then dropped. At LOG_LEVEL they are not built; crawl.log and
    # the log counts in the stats (counted at LOG_LEVEL too) are what they were.
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])
    crawler = process.create_crawler(SourcesSpider)
    stats_out: dict[str, Any] = {}

    def closed(spider: Any, reason: str) -> None:  # noqa: ARG001 (Scrapy passes the spider by name)
        stats_out.update(
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
        )
        stats_out["finish_reason"] = reason

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, plan=args.plan, as_of=args.as_of, timeout=str(args.timeout))
    process.start()
    (run_dir / "crawl_stats.json").write_text(json.dumps(stats_out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
