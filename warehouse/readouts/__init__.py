"""Read-outs for journalists: one outage, or a window of time, as CSV, JSON, Parquet, Markdown, HTML, SVG or PNG.

What is exported is a :class:`Selection`: every ``timeline`` row with ``start <= occurred_at <= end`` (both ends
included) of some services. It is made either

- from a window (:meth:`Selection.window`): the times and services given (no services: every service); or
- from an outage id (``outages.outage_id``, e.g. ``aws@2021-12-07T15:30Z``, see :func:`outage_selection`): from one
  hour before its complaints began to the latest of the spike's end, the matched incident's resolution and the
  return of complaints to baseline (when the ``outages`` view has ``returned_to_baseline_at``); the services are the
  outage's own plus every service whose complaint spike overlaps that window or that posted an official update in
  it. Services given with an outage id replace that automatic list (the outage's own service is always kept).

Formats:

- ``csv``, ``json`` (one JSON array of objects) and ``parquet``: the timeline rows with their ``source_url`` and
  ``fetched_at``, written by DuckDB itself (``COPY … TO``), in the columns of :data:`EXPORT_COLUMNS`. Times are UTC;
  a ``source_id`` that lists several sources names each once, sorted.
- ``md``: a ready-to-paste chronology: the key numbers, every event with the post's own words, and a numbered list
  of sources with the times they were fetched.
- ``html``: one self-contained file that needs no network and no JavaScript: the complaint curve of each service with
  its baseline band and every official post marked on it (an inline SVG rendered by vl-convert), the key numbers,
  the chronology and the sources. Every text that came from a scraped page is HTML-escaped (Jinja2 autoescape), and
  a Content-Security-Policy forbids scripts and remote loads anyway.
- ``svg`` and ``png``: that chart alone.

The package, one job per module: ``formats`` (the registry), ``selection`` (what is selected; its SQL in ``sql/``),
``report`` (the model the renderings read), ``markdown``, ``chart`` (the Vega-Lite spec), ``svg`` (patching the
rendered SVG), ``html`` (``templates/report.html.j2``), ``text`` (times and escaping) and ``export`` (writing files).

Nothing is imported here, so that the command line can read the formats registry without loading DuckDB: import from
the modules (``warehouse.readouts.export.export``, ``warehouse.readouts.selection.Selection``, …).
"""
