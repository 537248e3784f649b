"""The source kinds, one module each: a module here defines ``KIND = Kind(...)`` and nothing else uses it by name.

The registry lists this package to find them (:func:`scrapers.registry.discover`); nothing here names a kind.
"""
