"""Full overlap detection as a background job with progress (started from the alerts page)."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.overlap.detection import detect_operation
from coordhub.registry.models import Operation

JOB_KIND = "overlap-detection"


def run_detection(job, progress) -> dict:
    operation = db.session.get(Operation, job.params["operation_id"])
    if operation is None:
        raise LookupError(f"operation {job.params['operation_id']} no longer exists")
    counts = detect_operation(operation, progress)
    return counts.as_dict()
