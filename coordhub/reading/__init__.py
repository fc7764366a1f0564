"""The one reading layer: CSV/xlsx files with optional HXL hashtags, read into plain tables (pure: no Flask, no SQLAlchemy).

`tables` reads a file into a `Table` (headers, hashtags, numbered rows) and its text view;
`hxl` parses hashtags and tag patterns; `values` turns cells into numbers, dates and codes;
`vocabulary` holds the words files use for sectors (aliases, "Operational Presence" packaging).
The importer (`coordhub.interop`), the `coordhub allocate` and `coordhub overlaps` file commands,
the 3W reader and the benchmarks all read through it.
"""
