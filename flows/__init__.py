"""Prefect flows, the demo replay and the ``outages`` command line."""
