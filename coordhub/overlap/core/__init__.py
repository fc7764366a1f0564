"""Pure overlap and gap detection (no Flask, no database): plain dataclasses in, results out."""

from coordhub.overlap.core.clusters import CLUSTER_MIN_ORGANISATIONS
from coordhub.overlap.core.detect import DetectionResult, Overlaps, detect_overlaps
from coordhub.overlap.core.explain import explain_cluster, explain_overlap
from coordhub.overlap.core.gaps import GapReport, find_gaps
from coordhub.overlap.core.index import OverlapIndex
from coordhub.overlap.core.model import (
    Activity,
    AdminArea,
    Capacity,
    Cluster,
    GapCell,
    InvalidInput,
    Need,
    Overlap,
    OverlapKind,
    SpatialRelation,
)

__all__ = [
    "CLUSTER_MIN_ORGANISATIONS",
    "Activity",
    "AdminArea",
    "Capacity",
    "Cluster",
    "DetectionResult",
    "GapCell",
    "GapReport",
    "InvalidInput",
    "Need",
    "Overlap",
    "OverlapIndex",
    "OverlapKind",
    "Overlaps",
    "SpatialRelation",
    "detect_overlaps",
    "explain_cluster",
    "explain_overlap",
    "find_gaps",
]
