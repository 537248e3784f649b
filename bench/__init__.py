"""Benchmarks: ``python -m bench`` (or ``make bench``) prints figures and ratios against baselines run alongside.

Figures are printed, never asserted: see ``bench/__main__.py`` for the options and README "Benchmarks" for a table.
"""
