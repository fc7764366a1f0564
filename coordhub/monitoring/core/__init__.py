"""Pure monitoring logic (no Flask, no SQLAlchemy): entry checks, progress aggregation, needs met by results."""

from coordhub.monitoring.core.aggregate import Cell, Series, cumulate, percent_of_target  # noqa: F401
from coordhub.monitoring.core.checks import (  # noqa: F401
    DIMENSIONS,
    Entry,
    IndicatorFacts,
    Issue,
    check_report,
    dimension_of,
    parse_disaggregation,
)
from coordhub.monitoring.core.needs import Delivery, NeedFacts, distribute  # noqa: F401
