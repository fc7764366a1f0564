"""Maps and dashboards: boundaries, the four map layers, role home pages, charts and the printable 3W."""
