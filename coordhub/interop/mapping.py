"""Column mapping: which file column feeds which field, per import kind, by HXL hashtag or header name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from coordhub.reading.hxl import Hashtag, TagPattern
from coordhub.reading.tables import Table
from coordhub.reading.values import normalise_text

# Value types the record extractor knows (see coordhub.interop.records.parse_cell).
VALUE_TYPES = (
    "text",
    "code",
    "pcode",
    "pcode_list",
    "date_start",
    "date_end",
    "month",
    "year",
    "integer",
    "number",
    "amount",
    "currency",
    "project_status",
    "need_status",
    "priority",
    "organisation_type",
    "boolean",
)


@dataclass(frozen=True)
class FieldSpec:
    """One target field of an import kind.

    `hashtags` are HXL tag patterns in order of preference (`-attr` excludes an attribute);
    `headers` are header names used when the column has no hashtag (compared without case,
    accents, spaces or punctuation). `export_hashtag` / `export_header` are what writers put on
    this field's column, chosen so that an export re-imports with every column recognised.
    """

    name: str
    label: str
    value_type: str = "text"
    required: bool = False
    hashtags: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        if self.value_type not in VALUE_TYPES:
            raise ValueError(f"unknown value type {self.value_type!r} for field {self.name!r}")

    @property
    def patterns(self) -> tuple[TagPattern, ...]:
        return tuple(TagPattern.parse(text) for text in self.hashtags)

    @property
    def export_hashtag(self) -> str:
        """The first pattern's tag and + attributes: `#org+impl-acronym` → `#org+impl`."""
        if not self.hashtags:
            return ""
        pattern = TagPattern.parse(self.hashtags[0])
        return pattern.tag + "".join("+" + name for name in sorted(pattern.include))

    @property
    def export_header(self) -> str:
        return self.label


@dataclass(frozen=True)
class KindSpec:
    """What one import kind (projects, needs, …) reads: its fields and its requirements.

    `one_of` lists groups of fields of which at least one must be mapped and, in each row,
    filled (e.g. an organisation by name or by acronym). `key_fields` name the stable key used
    to recognise a record on re-import.
    """

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    key_fields: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no field {name!r}")

    def group_label(self, group: tuple[str, ...], mapped: Iterable[str] | None = None) -> str:
        """How to name a `one_of` group to a person: 'Organisation or Acronym', 'an admin area
        (Admin 2 P-code or Admin 2 name)'. With `mapped`, only those fields are named."""
        names = [name for name in group if mapped is None or name in set(mapped)] or list(group)
        labels = " or ".join(self.field(name).label for name in names)
        if any(name.startswith(("adm", "pcode")) for name in group):
            return f"an admin area ({labels})"
        return labels

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    def to_json(self) -> dict[str, Any]:
        """What the mapping step of the wizard (and the API) shows about this kind."""
        return {
            "name": self.name,
            "label": self.label,
            "fields": [
                {
                    "name": spec.name,
                    "label": spec.label,
                    "type": spec.value_type,
                    "required": spec.required,
                    "hashtags": list(spec.hashtags),
                    "headers": list(spec.headers),
                    "help": spec.help,
                }
                for spec in self.fields
            ],
            "one_of": [list(group) for group in self.one_of],
            "key_fields": list(self.key_fields),
        }


# ---------------------------------------------------------------------------------------------
# Shared field definitions


def _org_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(
            "organisation",
            "Organisation",
            hashtags=(
                "#org+name-impl-partner-funder-donor-type-acronym-code-id",
                "#org-impl-partner-funder-donor-type-acronym-code-id",
            ),
            headers=(
                "organisation",
                "organization",
                "organisation name",
                "organization name",
                "org",
                "org name",
                "reporting organisation",
                "reporting organization",
                "agency",
                "agency name",
                "partner name",
                "organisme",
                "organisation nom",
                "nom de l organisation",
                "acteur",
                "partenaire",
                "structure",
            ),
            help="Name of the organisation that reports the record.",
        ),
        FieldSpec(
            "organisation_acronym",
            "Acronym",
            hashtags=("#org+acronym-impl-partner-funder-donor",),
            headers=(
                "acronym",
                "org acronym",
                "organisation acronym",
                "organization acronym",
                "abbreviation",
                "short name",
                "sigle",
                "acronyme",
                "sigle organisation",
            ),
        ),
        FieldSpec(
            "organisation_type",
            "Organisation type",
            value_type="organisation_type",
            hashtags=("#org+type-impl-partner-funder-donor",),
            headers=(
                "organisation type",
                "organization type",
                "org type",
                "type of organisation",
                "type of organization",
                "type",
                "agency type",
                "type d organisation",
                "type de structure",
                "type organisation",
                "type d acteur",
                "categorie",
            ),
        ),
    )


def _partner_field() -> FieldSpec:
    return FieldSpec(
        "implementing_partner",
        "Implementing partner",
        hashtags=("#org+impl-acronym-type", "#org+partner-acronym-type"),
        headers=(
            "implementing partner",
            "implementing partners",
            "implementing organisation",
            "implementing organization",
            "partner",
            "partners",
            "ip",
            "partenaire de mise en oeuvre",
            "partenaire d execution",
            "partenaires de mise en oeuvre",
            "partenaire operationnel",
        ),
        help="Implementing partner(s); several may be separated by ';' or ','.",
    )


def _sector_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(
            "sector",
            "Sector",
            hashtags=("#sector-code-id",),
            headers=(
                "sector",
                "sector name",
                "cluster",
                "cluster name",
                "sector cluster",
                "project sector",
                "cluster sector name",
                "secteur",
                "cluster secteur",
                "nom du secteur",
                "domaine",
            ),
        ),
        FieldSpec(
            "sector_code",
            "Sector code",
            value_type="code",
            hashtags=("#sector+code", "#sector+id"),
            headers=("sector code", "cluster code", "cluster sector code", "code secteur", "code du secteur"),
        ),
    )


def _admin_fields(levels: Iterable[int] = (1, 2, 3)) -> tuple[FieldSpec, ...]:
    names = {
        0: ("country", "pays", "country name"),
        1: ("region", "province", "state", "governorate", "etat", "admin 1", "admin1"),
        2: ("district", "lga", "departement", "department", "county", "admin 2", "admin2", "cercle", "prefecture"),
        3: ("sub district", "subdistrict", "commune", "ward", "sous prefecture", "admin 3", "admin3", "arrondissement"),
    }
    codes = {
        0: ("country code", "iso3", "iso", "code pays"),
        1: ("region code", "prov code", "province code", "state pcode", "state code", "state p code"),
        2: ("dist code", "district code", "lga pcode", "lga code", "lga p code", "district pcode"),
        3: ("ward pcode", "ward code", "commune code", "sub district code"),
    }
    specs = []
    for level in levels:
        prefixes = (f"adm{level}", f"admin{level}", f"admin {level}", f"adm {level}")
        name_headers = (
            tuple(
                f"{p} {suffix}" for p in prefixes for suffix in ("name", "fr", "en", "nom", "ref", "name fr", "name en")
            )
            + names[level]
        )
        code_headers = tuple(f"{p} {suffix}" for p in prefixes for suffix in ("pcode", "p code", "code")) + codes[level]
        # Every level word with a code word before or after it: 'Pcode région', 'Code préfecture', 'LGA P-code'.
        code_headers += tuple(
            dict.fromkeys(
                phrase
                for word in names[level]
                if not word.startswith("adm")
                for code_word in ("pcode", "p code", "code")
                for phrase in (
                    f"{word} {code_word}",
                    f"{code_word} {word}",
                    f"{code_word} de la {word}",
                    f"{code_word} du {word}",
                )
                if phrase not in name_headers
            )
        )
        specs.append(
            FieldSpec(
                f"adm{level}_name",
                f"Admin {level} name",
                hashtags=(f"#adm{level}+name", f"#adm{level}-code-id"),
                headers=name_headers,
            )
        )
        specs.append(
            FieldSpec(
                f"adm{level}_code",
                f"Admin {level} P-code",
                value_type="pcode",
                hashtags=(f"#adm{level}+code", f"#adm{level}+id", f"#adm{level}+pcode"),
                headers=code_headers,
            )
        )
    return tuple(specs)


_ADMIN_ONE_OF = ("adm3_code", "adm3_name", "adm2_code", "adm2_name", "adm1_code", "adm1_name")


def _any_level_pcode_field(many: bool) -> FieldSpec:
    """P-code(s) of any admin level in one column (the allocation engine's CSVs use 'pcode' and
    'service_pcodes')."""
    headers = ("pcode", "p code", "area pcode", "location pcode", "admin pcode", "code lieu")
    if many:
        headers = ("pcodes", "service pcodes", "area pcodes", "areas", "service areas", "locations") + headers
    return FieldSpec(
        "pcodes" if many else "pcode",
        "P-codes (any level)" if many else "P-code (any level)",
        value_type="pcode_list" if many else "pcode",
        hashtags=("#loc+code", "#loc+pcode", "#loc+id"),
        headers=headers,
        help="Several P-codes may be separated by ';', ',' or spaces." if many else "",
    )


def _date_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(
            "start_date",
            "Start date",
            value_type="date_start",
            hashtags=("#date+start",),
            headers=(
                "start date",
                "start",
                "date start",
                "starting date",
                "begin date",
                "from",
                "date from",
                "planned start date",
                "actual start date",
                "date de debut",
                "debut",
                "date debut",
                "date de demarrage",
            ),
        ),
        FieldSpec(
            "end_date",
            "End date",
            value_type="date_end",
            hashtags=("#date+end",),
            headers=(
                "end date",
                "end",
                "date end",
                "ending date",
                "finish date",
                "to",
                "date to",
                "planned end date",
                "actual end date",
                "date de fin",
                "fin",
                "date fin",
                "date d achevement",
            ),
        ),
        FieldSpec(
            "month",
            "Month",
            value_type="month",
            hashtags=("#date+month",),
            headers=("month", "reporting month", "mois", "mois de rapportage"),
            help="With a year column, gives the first and last day of the month when there are no start/end dates.",
        ),
        FieldSpec(
            "year",
            "Year",
            value_type="year",
            hashtags=("#date+year",),
            headers=("year", "reporting year", "annee", "an"),
        ),
    )


def _currency_field() -> FieldSpec:
    """The currency of a budget (projects) or a unit cost (capacities), ISO 4217."""
    return FieldSpec(
        "currency",
        "Currency",
        value_type="currency",
        hashtags=("#currency",),
        headers=("currency", "devise", "monnaie"),
    )


def _code_field(*extra_hashtags: str, extra_headers: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(
        "code",
        "Code",
        value_type="code",
        hashtags=extra_hashtags + ("#meta+id", "#meta+code"),
        headers=extra_headers
        + (
            "code",
            "id",
            "reference",
            "ref",
            "identifier",
            "unique id",
            "record id",
            "code unique",
            "identifiant",
            "reference interne",
        ),
        help="The partner's own stable key: re-importing a file with the same codes updates, never duplicates.",
    )


def _resource_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(
            "resource_type",
            "Resource type",
            hashtags=("#item+name", "#item-code-id", "#resource+type-code", "#resource-code-id"),
            headers=(
                "resource type",
                "resource",
                "item",
                "item name",
                "type of resource",
                "resource_type",
                "type de ressource",
                "ressource",
                "article",
                "intrant",
            ),
        ),
        FieldSpec(
            "resource_type_code",
            "Resource type code",
            value_type="code",
            hashtags=("#item+code", "#resource+code", "#item+id"),
            headers=("resource type code", "resource code", "item code", "code ressource", "code article"),
        ),
    )


PROJECTS = KindSpec(
    name="projects",
    label="Projects and activities (3W/4W)",
    fields=(
        _code_field(
            "#activity+code",
            "#activity+id",
            "#project+code",
            "#project+id",
            extra_headers=(
                "activity code",
                "activity id",
                "project code",
                "project id",
                "code activite",
                "code projet",
                "project number",
                "numero du projet",
            ),
        ),
        FieldSpec(
            "title",
            "Activity",
            hashtags=(
                "#activity+name",
                "#activity-code-id-description-type",
                "#project+name",
                "#project-code-id-description",
            ),
            headers=(
                "activity",
                "activities",
                "activity name",
                "activity title",
                "title",
                "project",
                "project name",
                "project title",
                "activite",
                "activites",
                "titre",
                "intitule",
                "nom du projet",
                "titre du projet",
                "intitule du projet",
                "projet",
            ),
            help="When there is no activity column (operational-presence 3W files), the sector text is used as the title.",
        ),
        FieldSpec(
            "description",
            "Description",
            hashtags=("#activity+description", "#project+description", "#description"),
            headers=(
                "description",
                "activity description",
                "project description",
                "details",
                "description de l activite",
            ),
        ),
        *_org_fields(),
        _partner_field(),
        *_sector_fields(),
        *_admin_fields(),
        _any_level_pcode_field(many=True),
        *_date_fields(),
        FieldSpec(
            "status",
            "Status",
            value_type="project_status",
            hashtags=("#status",),
            headers=("status", "activity status", "project status", "statut", "etat d avancement", "statut du projet"),
        ),
        FieldSpec(
            "beneficiaries_targeted",
            "Beneficiaries targeted",
            value_type="integer",
            hashtags=("#targeted",),
            headers=(
                "targeted",
                "beneficiaries targeted",
                "targeted beneficiaries",
                "target",
                "people targeted",
                "beneficiaries",
                "cibles",
                "beneficiaires cibles",
                "personnes ciblees",
                "beneficiaires",
            ),
        ),
        FieldSpec(
            "beneficiaries_reached",
            "Beneficiaries reached",
            value_type="integer",
            hashtags=("#reached",),
            headers=(
                "reached",
                "beneficiaries reached",
                "people reached",
                "atteints",
                "beneficiaires atteints",
                "personnes atteintes",
            ),
        ),
        FieldSpec(
            "budget",
            "Budget",
            value_type="amount",
            hashtags=("#value+budget", "#value-unit-cost"),
            headers=(
                "budget",
                "amount",
                "value",
                "project budget",
                "total budget",
                "funding",
                "cost",
                "montant",
                "budget total",
                "cout",
                "financement",
            ),
        ),
        _currency_field(),
        FieldSpec(
            "target_group",
            "Target group",
            hashtags=("#targeted+type", "#population+type", "#beneficiary+type"),
            headers=("target group", "beneficiary type", "population group", "groupe cible", "type de beneficiaires"),
        ),
    ),
    one_of=(("organisation", "organisation_acronym"), ("sector", "sector_code"), _ADMIN_ONE_OF + ("pcodes",)),
    key_fields=("code",),
)

NEEDS = KindSpec(
    name="needs",
    label="Needs",
    fields=(
        _code_field(
            "#need+code", "#need+id", extra_headers=("need id", "need code", "code besoin", "identifiant du besoin")
        ),
        FieldSpec(
            "title",
            "Need",
            required=True,
            hashtags=("#need+name", "#need-code-id-quantity", "#description+title"),
            headers=("need", "title", "need title", "need description", "besoin", "titre", "intitule du besoin"),
        ),
        FieldSpec("description", "Description", hashtags=("#description-title",), headers=("description", "details")),
        *_org_fields(),
        *_sector_fields(),
        *_resource_fields(),
        *_admin_fields(),
        _any_level_pcode_field(many=False),
        FieldSpec(
            "quantity",
            "Quantity",
            value_type="amount",
            required=True,
            hashtags=("#quantity", "#need+quantity", "#item+quantity", "#inneed"),
            headers=(
                "quantity",
                "qty",
                "amount needed",
                "quantity needed",
                "units",
                "quantite",
                "quantite requise",
                "nombre",
            ),
        ),
        FieldSpec(
            "priority",
            "Priority",
            value_type="priority",
            hashtags=("#priority", "#severity"),
            headers=("priority", "urgency", "severity", "priorite", "urgence", "severite"),
        ),
        FieldSpec(
            "start_date",
            "Start date",
            value_type="date_start",
            hashtags=("#date+start",),
            headers=("start date", "start", "needed from", "date from", "date de debut", "debut", "a partir du"),
        ),
        FieldSpec(
            "end_date",
            "End date",
            value_type="date_end",
            hashtags=("#date+end",),
            headers=("end date", "end", "needed until", "needed by", "date to", "date de fin", "fin", "jusqu au"),
        ),
        FieldSpec(
            "lead_time",
            "Lead time to mobilise (days)",
            value_type="integer",
            hashtags=("#need+leadtime",),
            headers=("lead time", "lead time days", "mobilisation days", "delai de mobilisation", "delai"),
            help="Days a partner not yet present in the area needs to mobilise there (plans over time).",
        ),
        FieldSpec(
            "source",
            "Source",
            hashtags=("#meta+source",),
            headers=("source", "assessment", "data source", "source des donnees", "evaluation"),
        ),
        FieldSpec(
            "status",
            "Status",
            value_type="need_status",
            hashtags=("#status",),
            headers=("status", "need status", "statut", "etat"),
        ),
    ),
    one_of=(
        ("organisation", "organisation_acronym"),
        ("resource_type", "resource_type_code"),
        _ADMIN_ONE_OF + ("pcode",),
    ),
    key_fields=("code",),
)

CAPACITIES = KindSpec(
    name="capacities",
    label="Capacities",
    fields=(
        _code_field(
            "#capacity+code",
            "#capacity+id",
            extra_headers=("capacity id", "capacity code", "code capacite", "identifiant de la capacite"),
        ),
        FieldSpec(
            "title",
            "Capacity",
            required=True,
            hashtags=("#capacity+name", "#capacity-code-id-quantity"),
            headers=("capacity", "title", "capacity title", "offer", "capacite", "titre", "offre"),
        ),
        *_org_fields(),
        *_resource_fields(),
        *_admin_fields(),
        _any_level_pcode_field(many=True),
        FieldSpec(
            "quantity",
            "Quantity",
            value_type="amount",
            required=True,
            hashtags=("#quantity", "#capacity+quantity", "#item+quantity"),
            headers=(
                "quantity",
                "qty",
                "units",
                "units available",
                "quantity available",
                "quantite",
                "quantite disponible",
                "nombre",
            ),
        ),
        FieldSpec(
            "unit_cost",
            "Unit cost",
            value_type="amount",
            hashtags=("#value+unit", "#value+cost"),
            headers=("unit cost", "cost per unit", "price", "unit price", "cout unitaire", "prix unitaire"),
        ),
        _currency_field(),
        FieldSpec(
            "start_date",
            "Start date",
            value_type="date_start",
            hashtags=("#date+start",),
            headers=(
                "start date",
                "start",
                "available from",
                "date from",
                "date de debut",
                "debut",
                "disponible a partir du",
            ),
        ),
        FieldSpec(
            "end_date",
            "End date",
            value_type="date_end",
            hashtags=("#date+end",),
            headers=("end date", "end", "available until", "date to", "date de fin", "fin", "disponible jusqu au"),
        ),
        FieldSpec(
            "throughput",
            "Throughput per period",
            value_type="amount",
            hashtags=("#capacity+throughput",),
            headers=("throughput", "per period", "per month", "throughput per period", "debit", "debit par periode"),
        ),
        FieldSpec(
            "clearances",
            "Access clearances",
            hashtags=("#access+clearance",),
            headers=("clearance", "clearances", "access clearances", "autorisations", "autorisations d acces"),
        ),
        FieldSpec(
            "notes",
            "Notes",
            hashtags=("#description", "#meta+notes"),
            headers=("notes", "note", "comments", "remarks", "remarques", "commentaires"),
        ),
    ),
    one_of=(
        ("organisation", "organisation_acronym"),
        ("resource_type", "resource_type_code"),
        _ADMIN_ONE_OF + ("pcodes",),
    ),
    key_fields=("code",),
)

ORGANISATIONS = KindSpec(
    name="organisations",
    label="Organisations",
    fields=(
        FieldSpec(
            "name",
            "Organisation",
            required=True,
            hashtags=("#org+name-acronym-type-code-id", "#org-acronym-type-code-id-impl-partner-funder-donor"),
            headers=_org_fields()[0].headers + ("name", "nom"),
        ),
        FieldSpec("acronym", "Acronym", hashtags=("#org+acronym",), headers=_org_fields()[1].headers),
        FieldSpec(
            "type",
            "Organisation type",
            value_type="organisation_type",
            hashtags=("#org+type",),
            headers=_org_fields()[2].headers,
        ),
        FieldSpec(
            "iati_identifier",
            "IATI identifier",
            value_type="code",
            hashtags=("#org+code", "#org+id", "#org+iati"),
            headers=(
                "iati identifier",
                "iati id",
                "iati org id",
                "organisation identifier",
                "organization identifier",
                "org id",
                "org code",
                "identifiant iati",
            ),
        ),
        FieldSpec(
            "is_local",
            "National/local actor",
            value_type="boolean",
            hashtags=("#org+local", "#meta+local"),
            headers=(
                "local",
                "is local",
                "national actor",
                "local actor",
                "national local actor",
                "acteur local",
                "acteur national",
            ),
        ),
    ),
    key_fields=("name",),
)

ADMIN_AREAS = KindSpec(
    name="admin_areas",
    label="Administrative areas (COD P-codes)",
    fields=(
        *_admin_fields((0, 1, 2, 3)),
        FieldSpec(
            "latitude", "Latitude", value_type="number", hashtags=("#geo+lat",), headers=("latitude", "lat", "y")
        ),
        FieldSpec(
            "longitude",
            "Longitude",
            value_type="number",
            hashtags=("#geo+lon",),
            headers=("longitude", "lon", "long", "lng", "x"),
        ),
    ),
    one_of=(("adm1_code", "adm2_code", "adm3_code"),),
    key_fields=("adm3_code", "adm2_code", "adm1_code"),
)

# Results by project, indicator, area and period (coordhub.monitoring.importing): the 5W/4W reporting layout.
# Disaggregated "reached" columns (HXL attributes) and the category each fills.
REPORT_BREAKDOWNS = (
    ("f", "sex:female", "Reached, female"),
    ("m", "sex:male", "Reached, male"),
    ("children", "age:0-17", "Reached, children"),
    ("adults", "age:18-59", "Reached, adults"),
    ("elderly", "age:60+", "Reached, elderly"),
    ("idps", "displacement:idp", "Reached, IDPs"),
    ("refugees", "displacement:refugee", "Reached, refugees"),
    ("returnees", "displacement:returnee", "Reached, returnees"),
    ("host", "displacement:host", "Reached, host community"),
    ("disabled", "disability:with", "Reached, with disability"),
)
_NOT_BROKEN_DOWN = "".join(f"-{attribute}" for attribute, _category, _label in REPORT_BREAKDOWNS)
REPORTS = KindSpec(
    name="reports",
    label="Results (reports per indicator, area and period)",
    fields=(
        *_org_fields()[:2],
        FieldSpec(
            "project_code",
            "Project code",
            value_type="code",
            required=True,
            hashtags=("#activity+code", "#activity+id", "#meta+project"),
            headers=("project code", "activity code", "project id", "activity id", "code projet", "code activite"),
        ),
        FieldSpec(
            "indicator_code",
            "Indicator code",
            value_type="code",
            required=True,
            hashtags=("#indicator+code", "#indicator-name-unit"),
            headers=("indicator code", "indicator", "code indicateur", "indicateur"),
        ),
        FieldSpec(
            "pcode",
            "P-code (any level)",
            value_type="pcode",
            required=True,
            hashtags=("#loc+code", "#adm3+code", "#adm2+code", "#adm1+code"),
            headers=("pcode", "p code", "area pcode", "admin pcode", "location pcode", "code lieu"),
        ),
        FieldSpec(
            "start_date",
            "Period start",
            value_type="date_start",
            hashtags=("#date+start", "#date+reported", "#date-end-month-year"),
            headers=("period start", "period", "reporting period", "date", "start date", "debut de periode", "periode"),
        ),
        *_date_fields()[2:],
        FieldSpec(
            "reached",
            "Reached",
            value_type="amount",
            hashtags=(f"#reached{_NOT_BROKEN_DOWN}",),
            headers=("reached", "achieved", "achievement", "actual", "value", "atteint", "realise", "valeur"),
        ),
        FieldSpec(
            "targeted",
            "Targeted",
            value_type="amount",
            hashtags=(f"#targeted{_NOT_BROKEN_DOWN}",),
            headers=("targeted", "target", "cible", "ciblé"),
        ),
        *(
            FieldSpec(f"reached_{attribute}", label, value_type="amount", hashtags=(f"#reached+{attribute}",))
            for attribute, _category, label in REPORT_BREAKDOWNS
        ),
        FieldSpec(
            "comment",
            "Comment",
            hashtags=("#description", "#meta+comment"),
            headers=("comment", "comments", "remarks", "commentaire", "remarques"),
        ),
    ),
    one_of=(("organisation", "organisation_acronym"), ("start_date", "month")),
    key_fields=("project_code", "indicator_code", "pcode", "start_date"),
)

KINDS: dict[str, KindSpec] = {
    spec.name: spec for spec in (PROJECTS, NEEDS, CAPACITIES, ORGANISATIONS, ADMIN_AREAS, REPORTS)
}


def get_kind(name: str) -> KindSpec:
    """The KindSpec for 'projects', 'needs', 'capacities', 'organisations' or 'admin_areas'."""
    try:
        return KINDS[name.replace("-", "_")]
    except KeyError:
        raise ValueError(f"Unknown import kind {name!r}: use one of {', '.join(KINDS)}.") from None


# ---------------------------------------------------------------------------------------------
# Proposing and checking a mapping


def header_key(text: str) -> str:
    """Header comparison key: no case, accents, spaces, underscores or punctuation ('Date de début' → 'datededebut')."""
    return normalise_text(text).replace(" ", "")


@dataclass(frozen=True)
class ColumnMatch:
    """Why a column was proposed for a field: 'hashtag' (with the pattern), 'header', or 'similar header' (with a score)."""

    column: int
    method: str
    detail: str = ""
    score: float = 100.0


@dataclass
class MappingProposal:
    """A proposed {field: column index} plus how each was found, for the wizard to show and correct."""

    kind: str
    mapping: dict[str, int]
    matches: dict[str, ColumnMatch]
    unmapped_columns: list[int]
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "mapping": dict(self.mapping),
            "matches": {name: vars(match) for name, match in self.matches.items()},
            "unmapped_columns": list(self.unmapped_columns),
            "problems": list(self.problems),
        }


def propose_mapping(table: Table, kind: KindSpec | str, *, fuzzy_headers: bool = True) -> MappingProposal:
    """Propose which column feeds each field of `kind`.

    Hashtags first, as HXL matches them (the column has the pattern's tag and all its + and
    none of its - attributes; the most specific pattern wins, then the column with fewest
    extra attributes, then the leftmost). Then, for fields still unmapped, header names on the
    remaining columns (exact after normalising; with `fuzzy_headers`, near spellings scoring
    ≥ 90 are proposed as 'similar header'). Never maps a column twice.
    """
    spec = get_kind(kind) if isinstance(kind, str) else kind
    mapping: dict[str, int] = {}
    matches: dict[str, ColumnMatch] = {}
    used: set[int] = set()

    if table.hashtags is not None:
        candidates = []
        for field_order, field_spec in enumerate(spec.fields):
            for pattern_order, pattern in enumerate(field_spec.patterns):
                for column, hashtag in enumerate(table.hashtags):
                    if pattern.matches(hashtag):
                        extra = len(hashtag.attributes - pattern.include)
                        rank = (-len(pattern.include), extra, pattern_order, column, field_order)
                        candidates.append((rank, field_spec.name, column, str(pattern)))
        # Tightest fits first, across all fields: most attributes named, fewest left over.
        for _, name, column, pattern in sorted(candidates):
            if name in mapping or column in used:
                continue
            mapping[name] = column
            matches[name] = ColumnMatch(column=column, method="hashtag", detail=pattern)
            used.add(column)

    keys = [header_key(header) for header in table.headers]
    for field_spec in spec.fields:
        if field_spec.name in mapping:
            continue
        for synonym in _header_synonyms(field_spec):
            column = next((i for i, key in enumerate(keys) if key == synonym and i not in used), None)
            if column is not None:
                mapping[field_spec.name] = column
                matches[field_spec.name] = ColumnMatch(column=column, method="header", detail=table.headers[column])
                used.add(column)
                break

    if fuzzy_headers:
        candidates = []
        for field_order, field_spec in enumerate(spec.fields):
            if field_spec.name in mapping:
                continue
            synonyms = [key for key in _header_synonyms(field_spec) if len(key) >= 5]
            for column, key in enumerate(keys):
                if column in used or len(key) < 5 or not synonyms:
                    continue
                score = max(fuzz.ratio(key, synonym) for synonym in synonyms)
                if score >= 90:
                    candidates.append((-score, column, field_order, field_spec.name))
        for negative_score, column, _, name in sorted(candidates):
            if name in mapping or column in used:
                continue
            mapping[name] = column
            matches[name] = ColumnMatch(
                column=column, method="similar header", detail=table.headers[column], score=-negative_score
            )
            used.add(column)

    ordered = {spec_field.name: mapping[spec_field.name] for spec_field in spec.fields if spec_field.name in mapping}
    proposal = MappingProposal(
        kind=spec.name,
        mapping=ordered,
        matches={name: matches[name] for name in ordered},
        unmapped_columns=[column for column in range(table.width) if column not in used],
    )
    proposal.problems = validate_mapping(table, spec, ordered)
    return proposal


def _header_synonyms(field_spec: FieldSpec) -> list[str]:
    """Header keys for a field, most preferred first, without repeats."""
    keys: list[str] = []
    for text in field_spec.headers + (field_spec.label, field_spec.name):
        key = header_key(text)
        if key and key not in keys:
            keys.append(key)
    return keys


def validate_mapping(table: Table, kind: KindSpec | str, mapping: dict[str, int]) -> list[str]:
    """Problems with a (user-corrected) mapping, as sentences; an empty list means it can be used.

    Checks: known fields, column indexes inside the table, no column used for two fields,
    required fields present, at least one field of each `one_of` group, month and year
    together. Everything listed blocks the import.
    """
    spec = get_kind(kind) if isinstance(kind, str) else kind
    problems: list[str] = []
    known = set(spec.field_names)
    for name, column in mapping.items():
        if name not in known:
            problems.append(f"'{name}' is not a field of {spec.label.lower()}.")
        elif not isinstance(column, int) or isinstance(column, bool) or not 0 <= column < table.width:
            problems.append(f"The column chosen for {spec.field(name).label} does not exist in this file.")
    by_column: dict[int, list[str]] = {}
    for name, column in mapping.items():
        if name in known and isinstance(column, int):
            by_column.setdefault(column, []).append(spec.field(name).label)
    for column, labels in sorted(by_column.items()):
        if len(labels) > 1 and 0 <= column < table.width:
            problems.append(
                f"Column '{table.column_label(column)}' is chosen for {len(labels)} fields ({', '.join(labels)}): choose it for one only."
            )
    for field_spec in spec.fields:
        if field_spec.required and field_spec.name not in mapping:
            problems.append(f"No column is chosen for {field_spec.label}, which is required.")
    for group in spec.one_of:
        if not any(name in mapping for name in group):
            problems.append(f"Choose a column for {spec.group_label(group)}.")
    if ("month" in mapping) != ("year" in mapping):
        problems.append("Month and Year go together: choose a column for both, or for neither.")
    return problems


# ---------------------------------------------------------------------------------------------
# Templates: a mapping saved for reuse on the next file of the same layout


TEMPLATE_VERSION = 1


def mapping_to_template(table: Table, kind: KindSpec | str, mapping: dict[str, int]) -> dict[str, Any]:
    """A JSON-ready template: for each field, the column's index, header and hashtag, so that
    it can be re-applied to a file whose columns moved."""
    spec = get_kind(kind) if isinstance(kind, str) else kind
    fields = {}
    for name, column in mapping.items():
        tag = table.hashtag(column)
        fields[name] = {
            "column": column,
            "header": table.headers[column] if 0 <= column < table.width else "",
            "hashtag": str(tag) if tag is not None else None,
        }
    return {"version": TEMPLATE_VERSION, "kind": spec.name, "fields": fields}


def template_to_json(template: dict[str, Any]) -> str:
    return json.dumps(template, ensure_ascii=False, sort_keys=True)


def apply_template(table: Table, template: dict[str, Any] | str) -> tuple[dict[str, int], list[str]]:
    """Re-apply a saved template to a table: each field finds its column by hashtag, else by
    header, else by the saved index if that column has the same header (or no header). Returns
    (mapping, notes) where notes name the fields that could not be placed."""
    data = json.loads(template) if isinstance(template, str) else template
    if data.get("version") != TEMPLATE_VERSION:
        raise ValueError(f"Unsupported mapping template version {data.get('version')!r}.")
    spec = get_kind(data["kind"])
    mapping: dict[str, int] = {}
    notes: list[str] = []
    used: set[int] = set()
    header_keys = [header_key(text) for text in table.headers]
    for name, saved in data.get("fields", {}).items():
        if name not in spec.field_names:
            notes.append(f"The template's field '{name}' no longer exists and was skipped.")
            continue
        column = None
        saved_tag = Hashtag.parse(saved.get("hashtag")) if saved.get("hashtag") else None
        if saved_tag is not None and table.hashtags is not None:
            column = next((i for i, tag in enumerate(table.hashtags) if tag == saved_tag and i not in used), None)
        if column is None and saved.get("header"):
            wanted = header_key(saved["header"])
            column = next((i for i, key in enumerate(header_keys) if key == wanted and i not in used), None)
        if column is None:
            index = saved.get("column")
            if (
                isinstance(index, int)
                and 0 <= index < table.width
                and index not in used
                and not table.headers[index]
                and not saved.get("header")
            ):
                column = index
        if column is None:
            notes.append(
                f"No column of this file matches the template's column for {spec.field(name).label} ('{saved.get('header') or saved.get('hashtag')}')."
            )
            continue
        mapping[name] = column
        used.add(column)
    return mapping, notes
