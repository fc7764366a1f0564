"""Progress figures as CSV/xlsx with HXL hashtags: one row per indicator, group and period."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from coordhub.interop.writers import ExportColumn
from coordhub.monitoring.queries import RESTRICTED, Progress


def _group_columns(row: dict) -> tuple[str, str]:
    group = row["group"]
    if group is None:
        return "", ""
    if group == RESTRICTED:
        return "", _("sensitive entries")
    return getattr(group, "pcode", "") or "", group.label


COLUMNS = [
    ExportColumn("Indicator code", "#indicator+code", "code"),
    ExportColumn("Indicator", "#indicator+name", "name"),
    ExportColumn("Sector", "#sector+code", "sector"),
    ExportColumn("Unit", "#indicator+unit", "unit"),
    ExportColumn("Area P-code", "#adm1+code", lambda r: _group_columns(r)[0]),
    ExportColumn("Group", "#group+name", lambda r: _group_columns(r)[1]),
    ExportColumn("Period start", "#date+start", "start"),
    ExportColumn("Period end", "#date+end", "end"),
    ExportColumn("Baseline", "#indicator+baseline", "baseline"),
    ExportColumn("Target", "#targeted", "target"),
    ExportColumn("Reached in period", "#reached", "reached"),
    ExportColumn("Reached to date", "#reached+total", "to_date"),
    ExportColumn("Percent of target", "#reached+pct", "percent"),
]


def progress_rows(progress: Progress) -> Iterator[dict[str, Any]]:
    for row in progress.rows:
        for index, period in enumerate(progress.periods):
            to_date = row.series.cumulative[index]
            percent = 100.0 * to_date / row.target if row.target else None
            yield {
                "code": row.indicator.code,
                "name": row.indicator.name,
                "sector": row.indicator.sector.code,
                "unit": row.indicator.unit,
                "group": row.group,
                "start": period.start_date,
                "end": period.end_date,
                "baseline": row.baseline,
                "target": row.target,
                "reached": round(row.series.per_period[index], 6),
                "to_date": round(to_date, 6),
                "percent": round(percent, 1) if percent is not None else None,
            }
