"""Scrapy settings for every crawl: polite, bounded, and honest about failures."""

from __future__ import annotations

import os
from typing import Any

USER_AGENT = "outages/0.1 (status-page and complaint monitor; +https://github.com/outages/outages)"


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment (how tests shrink caps and waits), else the default."""
    value = os.environ.get(name, "").strip()
    try:
        number = float(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default


def crawl_settings(*, timeout_seconds: float, log_file: str | None) -> dict[str, Any]:
    return {
        "BOT_NAME": "outages",
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        # A small per-host cap rather than a fixed delay: many pages share a few hosts (*.statuspage.io).
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0,
        # Back off from a host that slows down: AutoThrottle spaces a host's requests by its latency / the target
        # concurrency (a fast host keeps the cap of 4 in flight, one taking 2 s gets one request every 0.5 s). It starts
        # at no delay: Scrapy lets only a 200 lower the delay, so a start delay would stay for a re-poll of 304s
        # (5,000 sources of 304s: 7 s from 0, 326 s from the default 5 s). A delay never exceeds 5 s.
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
        "AUTOTHROTTLE_START_DELAY": 0.0,
        "AUTOTHROTTLE_MAX_DELAY": 5.0,
        "DOWNLOAD_TIMEOUT": timeout_seconds,
        # A body over the cap is dropped and recorded as an error naming the cap (tests lower it through the env).
        "DOWNLOAD_MAXSIZE": int(_env_number("OUTAGES_DOWNLOAD_MAXSIZE", 32 * 1024 * 1024)),
        "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        # Retries wait: Retry-After up to the cap (longer: not retried), else backoff * 2^n (scrapers/middlewares.py).
        "OUTAGES_RETRY_AFTER_CAP": _env_number("OUTAGES_RETRY_AFTER_CAP", 60.0),
        "OUTAGES_RETRY_BACKOFF": _env_number("OUTAGES_RETRY_BACKOFF", 1.0),
        "DOWNLOADER_MIDDLEWARES": {
            "scrapers.middlewares.HttpOnlyMiddleware": 40,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "scrapers.middlewares.RobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scrapers.middlewares.PatientRetryMiddleware": 550,
        },
        # Every status reaches the callback so a 404 or 500 is recorded with its body, not silently dropped.
        "HTTPERROR_ALLOW_ALL": True,
        # No HTTP cache: a cached copy must never stand in for a page that could not be fetched.
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control: an HTTP server started in every crawl that runs the Python code sent to it,
        # its token and port written to a job file under the user's state folder (a killed crawl leaves its file).
        # Off like the telnet console. (Scrapy still imports its module, aiohttp's server with it, as it imports every
        # component named in the settings, even one set to None.)
        "REMOTE_CONTROL_ENABLED": False,
        "REDIRECT_MAX_TIMES": 5,
        "LOG_LEVEL": "INFO",
        "LOG_FILE": log_file,
        "LOG_FILE_APPEND": False,
        # the body goes to the store, then the record to fetches.jsonl (a line the parse stage may read at once)
        "ITEM_PIPELINES": {"scrapers.spider.BodyStorePipeline": 100, "scrapers.spider.FetchRecordsPipeline": 200},
        # A response yields one fetch record (and maybe a few follow-ups): Scrapy's default of 100 starts 100 asyncio
        # workers per response to process them, a third of a 5,000-request crawl's CPU time.
        "CONCURRENT_ITEMS": 4,
        # Scrapy re-reads the callback's source with inspect and ast on every response to warn about a generator
        # returning a value (its cache is keyed by short-lived bound methods): seconds of CPU per crawl, for a
        # warning the spider's code cannot trigger.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
    }
