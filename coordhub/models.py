"""Imports every model module so the metadata (and Alembic) sees all tables."""

from coordhub.allocation.models import (  # noqa: F401
    AllocationAssignment,
    AllocationExplanation,
    AllocationForbiddenPair,
    AllocationPin,
    AllocationResponse,
    AllocationRun,
)
from coordhub.api.models import ApiToken  # noqa: F401
from coordhub.audit.models import AuditEntry  # noqa: F401
from coordhub.auth.models import User  # noqa: F401
from coordhub.contacts.models import Contact, OwnerMessage  # noqa: F401
from coordhub.interop.models import ImportRun, MappingTemplate  # noqa: F401
from coordhub.jobs.models import Job  # noqa: F401
from coordhub.monitoring.models import (  # noqa: F401
    Indicator,
    NeedDelivery,
    Report,
    ReportingPeriod,
    ReportValue,
    SectorLead,
    Target,
)
from coordhub.notifications.models import Notification, OutboxMessage, Subscription  # noqa: F401
from coordhub.overlap.models import AlertEvent, AlertRead, OverlapAlert, OverlapCluster  # noqa: F401
from coordhub.registry.models import (  # noqa: F401
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    Project,
    ResourceType,
    Sector,
)
