"""The registry as the importer's matchers see it: organisations, sectors (with their aliases), resource types, areas."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import fuzz, process

from coordhub.extensions import db
from coordhub.interop.matching import (
    AdminAreaMatcher,
    AdminAreaRef,
    MatchResult,
    MatchStatus,
    OrganisationMatcher,
    OrganisationRef,
    SectorMatcher,
    SectorRef,
    Suggestion,
    name_key,
)
from coordhub.reading.values import normalise_text
from coordhub.reading.vocabulary import SECTOR_ALIASES
from coordhub.registry.models import AdminArea, Operation, Organisation, ResourceType, Sector


def organisation_matcher(include_archived: bool = False) -> OrganisationMatcher:
    query = sa.select(Organisation.id, Organisation.name, Organisation.acronym)
    if not include_archived:
        query = query.where(Organisation.archived.is_(False))
    return OrganisationMatcher(OrganisationRef(oid, name, acronym) for oid, name, acronym in db.session.execute(query))


def sector_matcher() -> SectorMatcher:
    rows = db.session.execute(sa.select(Sector.id, Sector.code, Sector.name, Sector.iasc_cluster, Sector.dac_code))
    return SectorMatcher(
        SectorRef(sid, code, name, cluster, dac, SECTOR_ALIASES.get(code, ())) for sid, code, name, cluster, dac in rows
    )


def area_matcher(operation: Operation) -> AdminAreaMatcher:
    rows = db.session.execute(
        sa.select(AdminArea.id, AdminArea.pcode, AdminArea.name, AdminArea.level, AdminArea.parent_id).where(
            AdminArea.operation_id == operation.id
        )
    ).all()
    pcodes = {aid: pcode for aid, pcode, _, _, _ in rows}
    return AdminAreaMatcher(
        AdminAreaRef(aid, pcode, name, level, pcodes.get(parent)) for aid, pcode, name, level, parent in rows
    )


@dataclass(frozen=True)
class ResourceTypeRef:
    id: int
    code: str
    name: str
    sector_id: int


class ResourceTypeMatcher:
    """Find a resource type by its code or name (case, accents and punctuation ignored), with
    "did you mean" suggestions for near misses; never accepts a guess."""

    def __init__(self, resource_types: list[ResourceTypeRef], suggest_score: float = 80) -> None:
        self.resource_types = resource_types
        self.suggest_score = suggest_score
        self._exact: dict[str, list[ResourceTypeRef]] = {}
        for resource_type in resource_types:
            for text in (resource_type.code, resource_type.name):
                self._exact.setdefault(name_key(text), []).append(resource_type)
        texts = [(rt, text) for rt in resource_types for text in (rt.name, rt.code)]
        self._choices = {index: normalise_text(text) for index, (_rt, text) in enumerate(texts)}
        self._owners = [rt for rt, _text in texts]
        self._cache: dict[str, MatchResult[ResourceTypeRef]] = {}

    def match_any(self, *texts: str | None) -> MatchResult[ResourceTypeRef]:
        given = [text for text in texts if text and text.strip()]
        if not given:
            return MatchResult(query="", status=MatchStatus.blank, message="no resource type given")
        results = [self.match(text) for text in given]
        return next((result for result in results if result.ok), results[-1])

    def match(self, text: str) -> MatchResult[ResourceTypeRef]:
        key = name_key(text)
        if key not in self._cache:
            self._cache[key] = self._match(text.strip())
        return self._cache[key]

    def _match(self, query: str) -> MatchResult[ResourceTypeRef]:
        found = list({id(rt): rt for rt in self._exact.get(name_key(query), [])}.values())
        if len(found) == 1:
            return MatchResult(query=query, status=MatchStatus.exact, record=found[0])
        best: dict[int, Suggestion[ResourceTypeRef]] = {}
        for _, score, index in process.extract(
            normalise_text(query), self._choices, scorer=fuzz.WRatio, limit=6, score_cutoff=self.suggest_score
        ):
            owner = self._owners[index]
            if owner.id not in best:
                best[owner.id] = Suggestion(owner, round(score, 1), "name or code")
        suggestions = tuple(list(best.values())[:3])
        if suggestions:
            names = " or ".join(f"'{s.record.name} ({s.record.code})'" for s in suggestions)
            return MatchResult(
                query=query,
                status=MatchStatus.near_miss,
                suggestions=suggestions,
                message=f"no resource type called {query!r}; did you mean {names}?",
            )
        return MatchResult(
            query=query, status=MatchStatus.not_found, message=f"no resource type called {query!r} in the registry"
        )


def resource_type_matcher() -> ResourceTypeMatcher:
    rows = db.session.execute(sa.select(ResourceType.id, ResourceType.code, ResourceType.name, ResourceType.sector_id))
    return ResourceTypeMatcher([ResourceTypeRef(*row) for row in rows])


def suggestion_labels(result: MatchResult) -> list[str]:
    """The "did you mean" candidates of a match as people read them."""
    labels = []
    for suggestion in result.suggestions:
        record = suggestion.record
        if isinstance(record, OrganisationRef):
            labels.append(f"{record.name} ({record.acronym})" if record.acronym else record.name)
        elif isinstance(record, (SectorRef, ResourceTypeRef)):
            labels.append(f"{record.name} ({record.code})")
        elif isinstance(record, AdminAreaRef):
            labels.append(f"{record.name} ({record.pcode})")
        else:
            labels.append(str(record))
    return labels
