"""Data interchange: HXL/CSV/xlsx reading and writing, column mapping, value parsing, registry matching, IATI export."""
