"""Reading the contacts directory (filters) as a given user may see it."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.contacts.models import Contact
from coordhub.registry.models import AdminArea, Operation


def directory_query(
    operation: Operation,
    organisation_id: int | None = None,
    sector_id: int | None = None,
    area: AdminArea | None = None,
    q: str = "",
) -> sa.Select:
    """Live entries of the operation; an area filter finds entries for that area, the areas above it (they
    cover it) and below it."""
    query = sa.select(Contact).where(Contact.operation_id == operation.id, Contact.archived.is_(False))
    if organisation_id:
        query = query.where(Contact.organisation_id == organisation_id)
    if sector_id:
        query = query.where(sa.or_(Contact.sector_id == sector_id, Contact.sector_id.is_(None)))
    if area is not None:
        above = [a for a in area.path.strip("/").split("/") if a]
        query = query.outerjoin(AdminArea, AdminArea.id == Contact.admin_area_id).where(
            sa.or_(Contact.admin_area_id.is_(None), AdminArea.path.startswith(area.path), AdminArea.pcode.in_(above))
        )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Contact.name).like(like),
                sa.func.lower(Contact.role_title).like(like),
                Contact.email.like(like),
            )
        )
    return query.order_by(Contact.organisation_id, Contact.name)
