"""The words files use for sectors: the registry sectors' aliases and the "Operational Presence" packaging."""

from __future__ import annotations

import re

# What 3W files call the registry's 14 reconstruction sectors (by registry code): IASC cluster names
# and codes, the areas of responsibility reported under them, and French names. A direct alias wins
# over the cluster table, which is what settles clusters that several sectors sit under (Early
# Recovery: five sectors; Protection: three). Decisions worth knowing:
# - Food security and agriculture (FSAC, FSC, FSL) and "early recovery" (ERL) go to economic recovery
#   and livelihoods, whose resource types (seeds and tools, cash-for-work) are what those clusters do.
# - Nutrition goes to Health: the registry has no nutrition sector and nutrition services run
#   through health facilities.
# - Shelter/NFI goes to housing and shelter (house reconstruction, shelter and household-items kits);
#   CCCM (camp coordination and camp management) goes to coordination.
SECTOR_ALIASES: dict[str, tuple[str, ...]] = {
    "GOV": (
        "governance",
        "good governance",
        "local governance",
        "elections",
        "electoral support",
        "public administration",
        "civil administration",
        "decentralisation",
        "decentralization",
        "gouvernance",
        "gouvernance et elections",
        "elections et gouvernance",
        "administration publique",
    ),
    "ROL": (
        "rule of law",
        "justice",
        "access to justice",
        "legal aid",
        "rule of law and justice",
        "courts",
        "etat de droit",
        "justice et etat de droit",
        "acces a la justice",
    ),
    "TRANS": (
        "transport",
        "transportation",
        "roads",
        "roads and bridges",
        "infrastructure transport",
        "logistics",
        "log",
        "logs",
        "logistique",
        "transports",
        "routes",
        "pistes",
        "ponts",
    ),
    "ENERGY": ("energy", "electricity", "power", "energie", "electricite"),
    "WASH": (
        "wash",
        "water",
        "sanitation",
        "water sanitation and hygiene",
        "water sanitation hygiene",
        "eau",
        "assainissement",
        "eau et assainissement",
        "eha",
        "eah",
    ),
    "HEALTH": ("health", "hea", "hlt", "sante", "health and nutrition", "nutrition", "nut", "sante et nutrition"),
    "EDU": ("education", "edu", "eie", "education in emergencies", "educ", "education en situation d urgence"),
    "LIVE": (
        "livelihoods",
        "livelihood",
        "economic recovery",
        "economic recovery and livelihoods",
        "early recovery",
        "erl",
        "early recovery and livelihoods",
        "food security",
        "food security and agriculture",
        "food security & agriculture",
        "food security and livelihoods",
        "fsac",
        "fsc",
        "fss",
        "fsl",
        "agriculture",
        "cash for work",
        "relevement precoce",
        "relevement economique",
        "moyens d existence",
        "moyens de subsistance",
        "securite alimentaire",
        "securite alimentaire et moyens d existence",
    ),
    "SHELTER": (
        "shelter",
        "shl",
        "esnfi",
        "emergency shelter",
        "emergency shelter and nfi",
        "emergency shelter and non food items",
        "emergency shelter & non-food items",
        "shelter and nfi",
        "shelter nfi",
        "nfi",
        "non food items",
        "housing",
        "housing reconstruction",
        "abri",
        "abris",
        "abris et ame",
        "abris ame",
        "ame",
        "articles menagers essentiels",
        "logement",
        "reconstruction de logements",
    ),
    "COHESION": (
        "social cohesion",
        "cohesion",
        "reconciliation",
        "peacebuilding",
        "peace building",
        "community dialogue",
        "cohesion sociale",
        "reconciliation et cohesion sociale",
        "consolidation de la paix",
    ),
    "PROT": (
        "protection",
        "pro",
        "prot",
        "general protection",
        "child protection",
        "cp",
        "gender based violence",
        "gbv",
        "vbg",
        "mine action",
        "hlp",
        "housing land and property",
        "victim support",
        "victim assistance",
        "protection de l enfance",
        "assistance aux victimes",
        "violences basees sur le genre",
        "lutte antimines",
    ),
    "DDR": (
        "ddr",
        "disarmament demobilisation and reintegration",
        "disarmament demobilization and reintegration",
        "reintegration",
        "demobilisation",
        "ddrr",
        "desarmement demobilisation et reintegration",
    ),
    "SSR": ("ssr", "security sector reform", "security", "police", "rss", "reforme du secteur de la securite"),
    # Camp coordination and camp management coordinates sites and services: the coordination sector.
    "COORD": (
        "coordination",
        "coordination and m&e",
        "coordination and common services",
        "ccs",
        "m&e",
        "cccm",
        "camp coordination and camp management",
        "camp management",
        "cccm et abris",
        "gestion des sites",
        "coordination et gestion des camps",
        "cccm/shelter",
        "monitoring and evaluation",
        "information management",
        "im",
        "suivi et evaluation",
        "coordination et suivi evaluation",
        "services communs",
    ),
}

# "Operational Presence: Education …" (and its misspelling "Operatioanl Presence") and the
# "_OP" code suffix of the Afghanistan 3W are packaging, not part of the sector.
_PRESENCE_PREFIX = re.compile(r"^\s*op\w*\s+presen\w*\s*[:\-–]\s*", re.IGNORECASE)
_PRESENCE_SUFFIX = re.compile(r"[_\s-]+op\s*$", re.IGNORECASE)


def clean_sector_text(text: str) -> str:
    """Strip presence packaging: 'Operatioanl Presence: Water, Sanitation & Hygiene' → 'Water, Sanitation & Hygiene', 'EiE_OP' → 'EiE'."""
    cleaned = _PRESENCE_PREFIX.sub("", text)
    cleaned = _PRESENCE_SUFFIX.sub("", cleaned)
    return cleaned.strip() or text.strip()
