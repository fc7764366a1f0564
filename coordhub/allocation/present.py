"""Allocation explanations in the reader's language: the stored reason code and parameters rendered with
gettext, needs and capacities named by title, resource types by name and admin areas by name and P-code."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import format_decimal, gettext
from sqlalchemy.orm import selectinload

from coordhub.allocation.core.messages import render
from coordhub.allocation.inputs import record_id
from coordhub.allocation.models import AllocationExplanation
from coordhub.extensions import db
from coordhub.registry.models import AdminArea, Capacity, Need, Operation, ResourceType


def need_label(need: Need) -> str:
    return f"“{need.title}”"


def capacity_label(capacity: Capacity) -> str:
    return f"“{capacity.title}” ({capacity.organisation.label})"


def number(value: float) -> str:
    """A quantity or amount in the reader's locale (1,250.5 or 1 250,5), up to six decimals."""
    return format_decimal(value, format="#,##0.######")


def structured(params: dict[str, Any]) -> bool:
    """Whether an explanation's parameters are the facts render() needs; runs stored before explanations were
    kept as facts have their quantities as English text, and are shown in the English they were stored in."""
    return not isinstance(params.get("shortfall", params.get("unused")), str)


def explanation_texts(operation: Operation, explanations: list[AllocationExplanation]) -> dict[int, str]:
    """Explanation id -> its sentence in the reader's language (for coordinators, who see every detail)."""
    current = [e for e in explanations if structured(e.params)]
    need_ids = {record_id(taker[0]) for e in current for taker in e.params.get("takers", ())}
    capacity_ids = {record_id(key) for e in current for key in e.params.get("capacities", ())}
    needs = (
        {
            n.id: n
            for n in db.session.scalars(sa.select(Need).where(Need.id.in_(need_ids), Need.operation_id == operation.id))
        }
        if need_ids
        else {}
    )
    capacities = (
        {
            c.id: c
            for c in db.session.scalars(
                sa.select(Capacity)
                .where(Capacity.id.in_(capacity_ids), Capacity.operation_id == operation.id)
                .options(selectinload(Capacity.organisation))
            )
        }
        if capacity_ids
        else {}
    )
    type_names = dict(db.session.execute(sa.select(ResourceType.code, ResourceType.name)).all())
    area_names = dict(
        db.session.execute(
            sa.select(AdminArea.pcode, AdminArea.name).where(AdminArea.operation_id == operation.id)
        ).all()
    )

    def label(kind: str, key: str) -> str:
        if kind == "need" and record_id(key) in needs:
            return need_label(needs[record_id(key)])
        if kind == "capacity" and record_id(key) in capacities:
            return capacity_label(capacities[record_id(key)])
        if kind == "resource_type" and key in type_names:
            return gettext(type_names[key])
        if kind == "area" and area_names.get(key):
            return f"{area_names[key]} ({key})"
        return key

    return {
        e.id: render(e.subject, e.reason, e.params, gettext, label=label, number=number)
        if structured(e.params)
        else e.text
        for e in explanations
    }
