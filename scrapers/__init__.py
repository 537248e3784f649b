"""Fetching (Scrapy) and parsing (pure functions) of status pages and complaint sources."""
