"""Pure map cores: boundary files to geometries, and per-area figures to GeoJSON (no Flask, no SQLAlchemy)."""
