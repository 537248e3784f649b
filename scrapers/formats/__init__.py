"""Formats and helpers several source kinds share (feeds, the Statuspage v2 JSON, HTML text, token logins).

Nothing here is a kind: kinds live one per module in :mod:`scrapers.kinds` and import only from here and the rest of
:mod:`scrapers`, never from one another.
"""
