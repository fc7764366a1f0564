"""Match file values to registry records (organisations, sectors, admin areas) given as plain lists."""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

from coordhub.reading.values import normalise_text
from coordhub.reading.vocabulary import clean_sector_text

T = TypeVar("T")


class MatchStatus(enum.StrEnum):
    exact = "exact"  # same text once case, accents, spaces and punctuation are ignored
    alias = "alias"  # through a known alias or code (sectors, clusters)
    variant = "variant"  # a tolerated spelling of the key (a P-code with the other country prefix)
    fuzzy = "fuzzy"  # accepted on similarity (only when the caller allows it)
    ambiguous = "ambiguous"  # several records fit: the person must choose
    near_miss = "near_miss"  # nothing fits exactly; suggestions offered ("did you mean …?")
    not_found = "not_found"
    blank = "blank"


@dataclass(frozen=True)
class Suggestion(Generic[T]):
    record: T
    score: float
    matched_on: str


@dataclass(frozen=True)
class MatchResult(Generic[T]):
    """The outcome of matching one value: `record` is set only when the match is accepted
    (exact, alias, variant, fuzzy). `message` explains anything else to a person."""

    query: str
    status: MatchStatus
    record: T | None = None
    suggestions: tuple[Suggestion[T], ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.record is not None

    @property
    def candidates(self) -> tuple[T, ...]:
        return tuple(suggestion.record for suggestion in self.suggestions)


def _key(text: str | None) -> str:
    return normalise_text(text) if text else ""


def _compact(text: str | None) -> str:
    return _key(text).replace(" ", "")


def name_key(text: str | None) -> str:
    """The key under which two names are the same for the matchers: no case, accents, spaces or
    punctuation. Importers dedupe new organisations and areas on it (the Nigeria 3W spells one
    organisation both 'Center For Advocacy…' and 'Center for Advocacy…')."""
    return _compact(text)


# ---------------------------------------------------------------------------------------------
# Organisations


@dataclass(frozen=True)
class OrganisationRef:
    """An organisation of the registry as the matcher needs it."""

    id: int | str
    name: str
    acronym: str | None = None


class OrganisationMatcher:
    """Find organisations by name and/or acronym.

    Exact match ignores case, accents, spacing and punctuation, and a name may also be found
    by acronym ('UNICEF' in the name column) and the other way round. Acronyms written as
    alternatives ('AAH/ACF') match either part. Otherwise rapidfuzz (WRatio, 0–100) proposes up
    to `max_suggestions` organisations scoring ≥ `suggest_score` as "did you mean …?"; none is
    accepted unless `accept_score` is given and the best is alone at or above it. Results are
    cached: a 50,000-row file holds a few hundred distinct organisations.
    """

    def __init__(
        self,
        organisations: Iterable[OrganisationRef],
        *,
        suggest_score: float = 88,
        accept_score: float | None = None,
        max_suggestions: int = 3,
    ) -> None:
        self.organisations = list(organisations)
        self.suggest_score = suggest_score
        self.accept_score = accept_score
        self.max_suggestions = max_suggestions
        self._by_name: dict[str, list[OrganisationRef]] = defaultdict(list)
        self._by_acronym: dict[str, list[OrganisationRef]] = defaultdict(list)
        for organisation in self.organisations:
            self._by_name[_compact(organisation.name)].append(organisation)
            if organisation.acronym:
                self._by_acronym[_compact(organisation.acronym)].append(organisation)
        self._choices = {index: _key(org.name) for index, org in enumerate(self.organisations)}
        self._acronym_choices = {
            index: _key(org.acronym) for index, org in enumerate(self.organisations) if org.acronym
        }
        self._cache: dict[tuple[str, str], MatchResult[OrganisationRef]] = {}

    def match(self, name: str | None = None, acronym: str | None = None) -> MatchResult[OrganisationRef]:
        cache_key = (_compact(name), _compact(acronym))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._match(name, acronym)
        return self._cache[cache_key]

    def _match(self, name: str | None, acronym: str | None) -> MatchResult[OrganisationRef]:
        query = " / ".join(part.strip() for part in (name, acronym) if part and part.strip())
        if not query:
            return MatchResult(query="", status=MatchStatus.blank, message="no organisation given")

        by_name = self._exact_name(name) if name else []
        by_acronym = self._exact_acronym(acronym) if acronym else []
        if by_name and by_acronym and not set(map(id, by_name)) & set(map(id, by_acronym)):
            found = _unique(by_name + by_acronym)
            return MatchResult(
                query=query,
                status=MatchStatus.ambiguous,
                suggestions=tuple(Suggestion(org, 100.0, "name or acronym") for org in found),
                message=f"the name and the acronym point to different organisations: {_labels(found)}",
            )
        found = _unique([org for org in by_name if not by_acronym or org in by_acronym] or by_acronym)
        if len(found) == 1:
            return MatchResult(query=query, status=MatchStatus.exact, record=found[0])
        if len(found) > 1:
            return MatchResult(
                query=query,
                status=MatchStatus.ambiguous,
                suggestions=tuple(Suggestion(org, 100.0, "exact") for org in found),
                message=f"{query!r} fits several organisations: {_labels(found)}",
            )
        return self._fuzzy(query, name, acronym)

    def _exact_name(self, name: str) -> list[OrganisationRef]:
        key = _compact(name)
        found = list(self._by_name.get(key, []))
        if not found:
            found = list(self._by_acronym.get(key, []))
        if not found and ":" in name:
            # 'ASCHIANA: Afghanistan's Children – a New Approach' = acronym, colon, name.
            head, _, tail = name.partition(":")
            found = self._by_acronym.get(_compact(head), []) + self._by_name.get(_compact(tail), [])
        return _unique(found)

    def _exact_acronym(self, acronym: str) -> list[OrganisationRef]:
        found = list(self._by_acronym.get(_compact(acronym), []))
        if not found:
            for part in re.split(r"[/|,;]", acronym):
                found += self._by_acronym.get(_compact(part), [])
        if not found:
            found = list(self._by_name.get(_compact(acronym), []))
        return _unique(found)

    def _fuzzy(self, query: str, name: str | None, acronym: str | None) -> MatchResult[OrganisationRef]:
        scored: dict[int, tuple[float, str]] = {}
        if name:
            for _, score, index in process.extract(
                _key(name),
                self._choices,
                scorer=fuzz.WRatio,
                limit=self.max_suggestions * 2,
                score_cutoff=self.suggest_score,
            ):
                scored[index] = max(scored.get(index, (0.0, "")), (score, "name"))
        if acronym:
            for _, score, index in process.extract(
                _key(acronym),
                self._acronym_choices,
                scorer=fuzz.ratio,
                limit=self.max_suggestions * 2,
                score_cutoff=self.suggest_score,
            ):
                scored[index] = max(scored.get(index, (0.0, "")), (score, "acronym"))
        ranked = sorted(scored.items(), key=lambda item: (-item[1][0], self.organisations[item[0]].name))[
            : self.max_suggestions
        ]
        suggestions = tuple(Suggestion(self.organisations[index], round(score, 1), on) for index, (score, on) in ranked)
        return _from_suggestions(query, suggestions, self.accept_score, "no organisation named")


def _from_suggestions(
    query: str, suggestions: tuple[Suggestion[T], ...], accept_score: float | None, nothing: str
) -> MatchResult[T]:
    """Not found, near miss with "did you mean …?", or (only when `accept_score` is set and the
    best suggestion is alone at the top) a fuzzy acceptance."""
    if not suggestions:
        return MatchResult(query=query, status=MatchStatus.not_found, message=f"{nothing} {query!r} in the registry")
    best = suggestions[0]
    alone = len(suggestions) == 1 or suggestions[1].score < best.score
    if accept_score is not None and best.score >= accept_score and alone:
        return MatchResult(query=query, status=MatchStatus.fuzzy, record=best.record, suggestions=suggestions)
    return MatchResult(
        query=query,
        status=MatchStatus.near_miss,
        suggestions=suggestions,
        message=f"{nothing} {query!r}; did you mean {_labels([s.record for s in suggestions], ' or ')}?",
    )


def _unique(records: list[T]) -> list[T]:
    seen, unique = set(), []
    for record in records:
        if id(record) not in seen:
            seen.add(id(record))
            unique.append(record)
    return unique


def _label(record: object) -> str:
    if isinstance(record, OrganisationRef):
        return f"{record.name} ({record.acronym})" if record.acronym else record.name
    if isinstance(record, SectorRef):
        return f"{record.name} ({record.code})"
    if isinstance(record, AdminAreaRef):
        return f"{record.name} ({record.pcode})"
    return str(record)


def _labels(records: Sequence[object], joiner: str = ", ") -> str:
    return joiner.join(f"'{_label(record)}'" for record in records)


# ---------------------------------------------------------------------------------------------
# Sectors

# Common names and codes of the IASC global clusters (and the areas of responsibility people
# report under them), in English and French, as they appear in 3W files (OCHA Afghanistan and
# Nigeria codes included). Keys are the canonical cluster names registry sectors refer to.
CLUSTER_ALIASES: dict[str, tuple[str, ...]] = {
    "Education": (
        "education",
        "edu",
        "eie",
        "education in emergencies",
        "education cluster",
        "education sector",
        "eie op",
        "education op",
        "éducation",
        "education en situation d urgence",
        "educ",
    ),
    "Health": ("health", "hea", "hlt", "health op", "health cluster", "santé", "sante", "health sector"),
    "WASH": (
        "wash",
        "water sanitation and hygiene",
        "water sanitation hygiene",
        "water, sanitation & hygiene",
        "water sanitation & hygiene",
        "wash op",
        "eha",
        "eah",
        "eau hygiene et assainissement",
        "eau assainissement et hygiene",
        "eau, hygiène et assainissement",
        "wash cluster",
    ),
    "Protection": (
        "protection",
        "pro",
        "prot",
        "protection op",
        "general protection",
        "child protection",
        "cp",
        "gender based violence",
        "gbv",
        "vbg",
        "mine action",
        "housing land and property",
        "hlp",
        "protection de l enfance",
        "violences basees sur le genre",
        "lutte antimines",
    ),
    "Food Security": (
        "food security",
        "fsc",
        "fss",
        "fsl",
        "fsac",
        "fsac op",
        "food security and agriculture",
        "food security & agriculture",
        "food security and livelihoods",
        "food security cluster",
        "securite alimentaire",
        "sécurité alimentaire",
        "sa",
        "secal",
        "securite alimentaire et moyens d existence",
    ),
    "Shelter/NFI": (
        "shelter",
        "shelter nfi",
        "shelter/nfi",
        "shl",
        "es nfi",
        "esnfi",
        "esnfi op",
        "es/nfi",
        "nfi",
        "emergency shelter and nfi",
        "emergency shelter & non-food items",
        "emergency shelter and non food items",
        "shelter and non food items",
        "shelter & nfi",
        "abris",
        "abris ame",
        "abri",
        "ame",
        "abris et ame",
        "articles menagers essentiels",
    ),
    "CCCM": (
        "cccm",
        "camp coordination and camp management",
        "camp coordination & camp management",
        "camp management",
        "cccm cluster",
        "coordination et gestion des camps",
        "cgc",
        "gestion des sites",
    ),
    "Logistics": ("logistics", "log", "logs", "logistique", "logistics cluster"),
    "Nutrition": ("nutrition", "nut", "nutrition op", "nutrition cluster"),
    "Early Recovery": (
        "early recovery",
        "erl",
        "er",
        "early recovery and livelihoods",
        "livelihoods",
        "relevement precoce",
        "relèvement précoce",
        "relevement",
        "moyens d existence",
    ),
    "ETC": (
        "etc",
        "emergency telecommunications",
        "emergency telecommunications cluster",
        "telecommunications",
        "telecommunications d urgence",
    ),
    "Coordination": (
        "coordination",
        "coordination and common services",
        "ccs",
        "coordination and m&e",
        "services communs",
    ),
}


@dataclass(frozen=True)
class SectorRef:
    """A registry sector: its code and name, the IASC cluster it sits closest to (a key of
    CLUSTER_ALIASES, or any name), and extra aliases people use for it."""

    id: int | str
    code: str
    name: str
    iasc_cluster: str | None = None
    dac_code: str | None = None
    aliases: tuple[str, ...] = ()


class SectorMatcher:
    """Find a sector from a code, a name, an alias, or a common cluster name or code.

    Order: registry code, registry name, the sector's own aliases (exact after normalising,
    with presence packaging removed); then cluster names and codes (CLUSTER_ALIASES plus
    `extra_cluster_aliases`) leading to the registry sectors whose `iasc_cluster` is that
    cluster (accepted when exactly one; ambiguous with the candidates otherwise); then fuzzy
    suggestions, never accepted unless `accept_score` is given.
    """

    def __init__(
        self,
        sectors: Iterable[SectorRef],
        *,
        extra_cluster_aliases: dict[str, Iterable[str]] | None = None,
        suggest_score: float = 80,
        accept_score: float | None = None,
        max_suggestions: int = 3,
    ) -> None:
        self.sectors = list(sectors)
        self.suggest_score = suggest_score
        self.accept_score = accept_score
        self.max_suggestions = max_suggestions
        self._direct: dict[str, list[SectorRef]] = defaultdict(list)
        for sector in self.sectors:
            for text in (sector.code, sector.name, *sector.aliases):
                key = _compact(text)
                if key and sector not in self._direct[key]:
                    self._direct[key].append(sector)
        cluster_aliases: dict[str, set[str]] = defaultdict(set)
        for cluster, words in CLUSTER_ALIASES.items():
            cluster_aliases[_compact(cluster)].update(_compact(word) for word in words)
            cluster_aliases[_compact(cluster)].add(_compact(cluster))
        for cluster, words in (extra_cluster_aliases or {}).items():
            cluster_aliases[_compact(cluster)].update(_compact(word) for word in words)
            cluster_aliases[_compact(cluster)].add(_compact(cluster))
        self._cluster_of_alias: dict[str, set[str]] = defaultdict(set)
        for cluster, words in cluster_aliases.items():
            for word in words:
                self._cluster_of_alias[word].add(cluster)
        self._sectors_of_cluster: dict[str, list[SectorRef]] = defaultdict(list)
        for sector in self.sectors:
            if sector.iasc_cluster:
                self._sectors_of_cluster[_compact(sector.iasc_cluster)].append(sector)
        self._choices: dict[int, str] = {}
        self._choice_owner: dict[int, SectorRef] = {}
        for sector in self.sectors:
            for text in (sector.name, *sector.aliases):
                index = len(self._choices)
                self._choices[index] = _key(text)
                self._choice_owner[index] = sector
        self._cache: dict[str, MatchResult[SectorRef]] = {}

    def match(self, text: str | None) -> MatchResult[SectorRef]:
        key = _compact(text)
        if key not in self._cache:
            self._cache[key] = self._match(text or "")
        return self._cache[key]

    def match_any(self, *texts: str | None) -> MatchResult[SectorRef]:
        """Match the first of several values (e.g. the sector code, then the sector name) that is
        accepted; if none is, the most useful failure (ambiguous, then near miss)."""
        results = [self.match(text) for text in texts if text and text.strip()]
        if not results:
            return MatchResult(query="", status=MatchStatus.blank, message="no sector given")
        for result in results:
            if result.ok:
                return result
        order = [MatchStatus.ambiguous, MatchStatus.near_miss, MatchStatus.not_found]
        return min(results, key=lambda result: order.index(result.status) if result.status in order else len(order))

    def _match(self, text: str) -> MatchResult[SectorRef]:
        query = text.strip()
        if not query:
            return MatchResult(query="", status=MatchStatus.blank, message="no sector given")
        for candidate_text, status in ((query, MatchStatus.exact), (clean_sector_text(query), MatchStatus.alias)):
            found = self._direct.get(_compact(candidate_text), [])
            if len(found) == 1:
                return MatchResult(query=query, status=status, record=found[0])
            if len(found) > 1:
                return self._ambiguous(query, found)
        cleaned_key = _compact(clean_sector_text(query))
        clusters = self._cluster_of_alias.get(cleaned_key) or self._cluster_of_alias.get(_compact(query)) or set()
        found = _unique(
            [sector for cluster in sorted(clusters) for sector in self._sectors_of_cluster.get(cluster, [])]
        )
        if len(found) == 1:
            return MatchResult(query=query, status=MatchStatus.alias, record=found[0])
        if len(found) > 1:
            return self._ambiguous(query, found)
        return self._fuzzy(query)

    def _ambiguous(self, query: str, found: list[SectorRef]) -> MatchResult[SectorRef]:
        return MatchResult(
            query=query,
            status=MatchStatus.ambiguous,
            suggestions=tuple(Suggestion(sector, 100.0, "cluster") for sector in found),
            message=f"{query!r} fits several sectors: {_labels(found)}; choose one",
        )

    def _fuzzy(self, query: str) -> MatchResult[SectorRef]:
        best: dict[int, tuple[float, SectorRef]] = {}
        for _, score, index in process.extract(
            _key(clean_sector_text(query)),
            self._choices,
            scorer=fuzz.WRatio,
            limit=self.max_suggestions * 3,
            score_cutoff=self.suggest_score,
        ):
            sector = self._choice_owner[index]
            if id(sector) not in best or best[id(sector)][0] < score:
                best[id(sector)] = (score, sector)
        ranked = sorted(best.values(), key=lambda item: (-item[0], item[1].name))[: self.max_suggestions]
        suggestions = tuple(Suggestion(sector, round(score, 1), "name") for score, sector in ranked)
        return _from_suggestions(query, suggestions, self.accept_score, "no sector or cluster called")


# ---------------------------------------------------------------------------------------------
# Admin areas

_PCODE_PARTS = re.compile(r"^([A-Z]{2,3})([0-9A-Z_\-.]*)$")


def normalise_pcode(code: str) -> str:
    return re.sub(r"\s+", "", code).upper()


@dataclass(frozen=True)
class AdminAreaRef:
    """A registry admin area: P-code, name, level (COD numbering: 1 = admin 1) and parent P-code."""

    id: int | str
    pcode: str
    name: str
    level: int
    parent_pcode: str | None = None


@dataclass(frozen=True)
class AreaQuery:
    """One level of a row's location: the P-code and/or the name the file gives for it."""

    level: int
    pcode: str | None = None
    name: str | None = None


class AdminAreaMatcher:
    """Find admin areas by P-code, or by name within their parent.

    P-codes match exactly (case and spaces ignored) or, where unambiguous, with the other
    country-prefix convention (the Nigeria 3W writes admin 1 as NGA008 and admin 2 as
    NG008023): same digits, a 2- or 3-letter prefix where one starts the other. Names match
    within the parent when a parent is known; without one, a name shared by areas under
    different parents is reported as ambiguous with every candidate.
    """

    def __init__(self, areas: Iterable[AdminAreaRef], *, suggest_score: float = 80, max_suggestions: int = 3) -> None:
        self.areas = list(areas)
        self.suggest_score = suggest_score
        self.max_suggestions = max_suggestions
        self._by_pcode: dict[str, AdminAreaRef] = {}
        self._by_tail: dict[str, list[AdminAreaRef]] = defaultdict(list)
        self._children: dict[str | None, list[AdminAreaRef]] = defaultdict(list)
        self._by_name: dict[tuple[int | None, str], list[AdminAreaRef]] = defaultdict(list)
        for area in self.areas:
            code = normalise_pcode(area.pcode)
            self._by_pcode[code] = area
            parts = _PCODE_PARTS.match(code)
            if parts:
                self._by_tail[parts.group(2)].append(area)
            parent = normalise_pcode(area.parent_pcode) if area.parent_pcode else None
            self._children[parent].append(area)
            self._by_name[(area.level, _compact(area.name))].append(area)
            self._by_name[(None, _compact(area.name))].append(area)
        self._cache: dict[tuple, MatchResult[AdminAreaRef]] = {}

    def get(self, pcode: str) -> AdminAreaRef | None:
        return self._by_pcode.get(normalise_pcode(pcode))

    def match_pcode(self, pcode: str | None, *, level: int | None = None) -> MatchResult[AdminAreaRef]:
        if not pcode or not pcode.strip():
            return MatchResult(query="", status=MatchStatus.blank, message="no P-code given")
        key = ("pcode", normalise_pcode(pcode), level)
        if key not in self._cache:
            self._cache[key] = self._match_pcode(pcode.strip(), level)
        return self._cache[key]

    def _match_pcode(self, pcode: str, level: int | None) -> MatchResult[AdminAreaRef]:
        code = normalise_pcode(pcode)
        area = self._by_pcode.get(code)
        if area is not None:
            if level is not None and area.level != level:
                return MatchResult(
                    query=pcode,
                    status=MatchStatus.not_found,
                    message=f"P-code {pcode!r} is {_label(area)}, an admin {area.level} area, not admin {level}",
                )
            return MatchResult(query=pcode, status=MatchStatus.exact, record=area)
        parts = _PCODE_PARTS.match(code)
        if parts:
            prefix, tail = parts.groups()
            candidates = [
                candidate
                for candidate in self._by_tail.get(tail, [])
                if (level is None or candidate.level == level)
                and _compatible_prefix(prefix, _PCODE_PARTS.match(normalise_pcode(candidate.pcode)).group(1))
            ]
            if len(candidates) == 1:
                return MatchResult(
                    query=pcode,
                    status=MatchStatus.variant,
                    record=candidates[0],
                    message=f"P-code {pcode!r} read as {candidates[0].pcode!r}",
                )
            if len(candidates) > 1:
                return MatchResult(
                    query=pcode,
                    status=MatchStatus.ambiguous,
                    suggestions=tuple(Suggestion(candidate, 90.0, "P-code") for candidate in candidates),
                    message=f"P-code {pcode!r} could be {_labels(candidates, ' or ')}",
                )
        return MatchResult(query=pcode, status=MatchStatus.not_found, message=f"no admin area has the P-code {pcode!r}")

    def match_name(
        self, name: str | None, *, level: int | None = None, parent_pcode: str | None = None
    ) -> MatchResult[AdminAreaRef]:
        if not name or not name.strip():
            return MatchResult(query="", status=MatchStatus.blank, message="no area name given")
        key = ("name", _compact(name), level, normalise_pcode(parent_pcode) if parent_pcode else None)
        if key not in self._cache:
            self._cache[key] = self._match_name(name.strip(), level, parent_pcode)
        return self._cache[key]

    def _match_name(self, name: str, level: int | None, parent_pcode: str | None) -> MatchResult[AdminAreaRef]:
        wanted = _compact(name)
        if parent_pcode:
            parent = normalise_pcode(parent_pcode)
            pool = [area for area in self._children.get(parent, []) if level is None or area.level == level]
            found = [area for area in pool if _compact(area.name) == wanted]
            where = f" in {_label(self._by_pcode[parent])}" if parent in self._by_pcode else f" under {parent_pcode}"
        else:
            found = list(self._by_name.get((level, wanted), []))
            pool = [area for area in self.areas if level is None or area.level == level]
            where = f" at admin level {level}" if level is not None else ""
        if len(found) == 1:
            return MatchResult(query=name, status=MatchStatus.exact, record=found[0])
        if len(found) > 1:
            described = ", ".join(f"'{_label(area)}' in {self._parent_label(area)}" for area in found)
            return MatchResult(
                query=name,
                status=MatchStatus.ambiguous,
                suggestions=tuple(Suggestion(area, 100.0, "name") for area in found),
                message=f"{len(found)} areas are named {name!r}{where}: {described}; give the P-code or the parent area",
            )
        choices = {index: _key(area.name) for index, area in enumerate(pool)}
        ranked = process.extract(
            _key(name), choices, scorer=fuzz.WRatio, limit=self.max_suggestions, score_cutoff=self.suggest_score
        )
        suggestions = tuple(Suggestion(pool[index], round(score, 1), "name") for _, score, index in ranked)
        if suggestions:
            return MatchResult(
                query=name,
                status=MatchStatus.near_miss,
                suggestions=suggestions,
                message=f"no area named {name!r}{where}; did you mean {_labels([s.record for s in suggestions], ' or ')}?",
            )
        return MatchResult(query=name, status=MatchStatus.not_found, message=f"no area named {name!r}{where}")

    def _parent_label(self, area: AdminAreaRef) -> str:
        parent = self._by_pcode.get(normalise_pcode(area.parent_pcode)) if area.parent_pcode else None
        return _label(parent) if parent else "no parent"

    def match_path(self, levels: Sequence[AreaQuery]) -> MatchResult[AdminAreaRef]:
        """Resolve a row's location given per level (admin 1, 2, 3 …): the deepest level given
        wins. Each level is found by P-code, else by name within the area found above it. A
        P-code that contradicts the level above is reported ("AF0201 is not in AF01")."""
        parent: AdminAreaRef | None = None
        result: MatchResult[AdminAreaRef] = MatchResult(
            query="", status=MatchStatus.blank, message="no admin area given"
        )
        for query in sorted(levels, key=lambda item: item.level):
            has_code = bool(query.pcode and query.pcode.strip())
            has_name = bool(query.name and query.name.strip())
            if not has_code and not has_name:
                continue
            if has_code:
                current = self.match_pcode(query.pcode, level=query.level)
                if current.ok and parent is not None and not self._is_within(current.record, parent):
                    return MatchResult(
                        query=query.pcode or "",
                        status=MatchStatus.not_found,
                        message=f"{_label(current.record)} is not in {_label(parent)}",
                    )
                if not current.ok and has_name:
                    by_name = self.match_name(
                        query.name, level=query.level, parent_pcode=parent.pcode if parent else None
                    )
                    if by_name.ok:
                        current = MatchResult(
                            query=query.pcode or "",
                            status=MatchStatus.near_miss,
                            suggestions=(Suggestion(by_name.record, 90.0, "name"),),
                            message=f"{current.message}; the name {query.name!r} is {_label(by_name.record)}",
                        )
            else:
                current = self.match_name(query.name, level=query.level, parent_pcode=parent.pcode if parent else None)
            if not current.ok:
                return current
            parent, result = current.record, current
        return result

    def _is_within(self, area: AdminAreaRef, ancestor: AdminAreaRef) -> bool:
        current: AdminAreaRef | None = area
        while current is not None:
            if current is ancestor or normalise_pcode(current.pcode) == normalise_pcode(ancestor.pcode):
                return True
            current = self._by_pcode.get(normalise_pcode(current.parent_pcode)) if current.parent_pcode else None
        return False


def _compatible_prefix(first: str, second: str) -> bool:
    """'NGA' and 'NG' are the same country's prefixes; so are equal ones."""
    return first == second or first.startswith(second) or second.startswith(first)
