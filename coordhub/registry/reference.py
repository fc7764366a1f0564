"""Reference lists: the reconstruction sectors (with IASC cluster and OECD-DAC purpose code) and resource types."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from coordhub.extensions import db
from coordhub.registry.models import ResourceType, Sector

# (code, name, closest IASC cluster, OECD-DAC 5-digit purpose code, [(resource code, name, unit)])
SECTORS: list[tuple[str, str, str, str, list[tuple[str, str, str]]]] = [
    (
        "GOV",
        "Governance and elections",
        "Early Recovery",
        "15151",
        [
            ("GOV-ELECT-TRAIN", "Electoral staff training", "trainee-days"),
            ("GOV-COUNCIL", "Local council support", "council-months"),
        ],
    ),
    (
        "ROL",
        "Rule of law and justice",
        "Protection",
        "15130",
        [
            ("ROL-LEGAL-AID", "Legal aid lawyer", "person-months"),
            ("ROL-COURT-REHAB", "Court rehabilitation", "courts"),
            ("ROL-MOBILE-COURT", "Mobile court session", "sessions"),
        ],
    ),
    (
        "TRANS",
        "Transport",
        "Logistics",
        "21020",
        [
            ("TRANS-ROAD", "Road rehabilitation", "km"),
            ("TRANS-BRIDGE", "Bridge repair", "bridges"),
        ],
    ),
    (
        "ENERGY",
        "Energy",
        "Early Recovery",
        "23630",
        [
            ("ENERGY-SOLAR", "Solar mini-grid", "kW installed"),
            ("ENERGY-GENERATOR", "Generator repair", "generators"),
        ],
    ),
    (
        "WASH",
        "Water and sanitation",
        "WASH",
        "14030",
        [
            ("WASH-BOREHOLE", "Borehole drilling", "boreholes"),
            ("WASH-TRUCKING", "Water trucking", "m³"),
            ("WASH-LATRINE", "Latrine construction", "latrines"),
        ],
    ),
    (
        "HEALTH",
        "Health",
        "Health",
        "12220",
        [
            ("HEALTH-MOBILE-CLINIC", "Mobile clinic team", "team-weeks"),
            ("HEALTH-CENTRE-REHAB", "Health centre rehabilitation", "health centres"),
            ("HEALTH-MED-KIT", "Essential medicines kit", "kits"),
        ],
    ),
    (
        "EDU",
        "Education",
        "Education",
        "11220",
        [
            ("EDU-CLASSROOM", "Classroom rehabilitation", "classrooms"),
            ("EDU-TEACHER-TRAIN", "Teacher training", "teacher-days"),
            ("EDU-SCHOOL-KIT", "School kits", "kits"),
        ],
    ),
    (
        "LIVE",
        "Economic recovery and livelihoods",
        "Early Recovery",
        "16020",
        [
            ("LIVE-CFW", "Cash-for-work", "worker-days"),
            ("LIVE-VOC-TRAIN", "Vocational training", "trainee-months"),
            ("LIVE-SEEDS", "Seed and tool kits", "kits"),
        ],
    ),
    (
        "SHELTER",
        "Housing and shelter",
        "Shelter",
        "16030",
        [
            ("SHELTER-HOUSE", "House reconstruction", "houses"),
            ("SHELTER-KIT", "Shelter kit", "kits"),
            ("SHELTER-NFI", "Household items kit", "kits"),
        ],
    ),
    (
        "COHESION",
        "Social cohesion and reconciliation",
        "Early Recovery",
        "15220",
        [
            ("COHESION-DIALOGUE", "Inter-communal dialogue session", "sessions"),
            ("COHESION-RADIO", "Community radio programme", "broadcast-weeks"),
        ],
    ),
    (
        "PROT",
        "Protection and victim support",
        "Protection",
        "15160",
        [
            ("PROT-PSS", "Psychosocial support", "case-months"),
            ("PROT-VICTIM-CASE", "Victim assistance case management", "cases"),
            ("PROT-SAFE-SPACE", "Safe space for women and girls", "space-months"),
        ],
    ),
    (
        "DDR",
        "Disarmament, demobilisation and reintegration",
        "Early Recovery",
        "15240",
        [
            ("DDR-REINTEGRATION-KIT", "Reintegration kit", "kits"),
            ("DDR-VOC-TRAIN", "Ex-combatant vocational training", "trainee-months"),
        ],
    ),
    (
        "SSR",
        "Security sector reform",
        "Protection",
        "15210",
        [
            ("SSR-POLICE-TRAIN", "Police training", "trainee-days"),
            ("SSR-POLICE-POST", "Police post rehabilitation", "posts"),
        ],
    ),
    (
        "COORD",
        "Coordination and M&E",
        "Coordination and Common Services",
        "72050",
        [
            ("COORD-IMO", "Information management officer", "person-months"),
            ("COORD-ASSESSMENT", "Needs assessment", "assessments"),
        ],
    ),
]

# Marked for extraction so the French catalogue translates the reference names too.
_SECTOR_NAMES_FOR_TRANSLATION = [_l(name) for _, name, _, _, _ in SECTORS]


def ensure_reference_data() -> tuple[int, int]:
    """Create missing sectors and resource types (idempotent). Returns (sectors added, types added)."""
    existing_sectors = {s.code: s for s in db.session.scalars(db.select(Sector))}
    existing_types = set(db.session.scalars(db.select(ResourceType.code)))
    added_sectors = added_types = 0
    for code, name, cluster, dac, resource_types in SECTORS:
        sector = existing_sectors.get(code)
        if sector is None:
            sector = Sector(code=code, name=name, iasc_cluster=cluster, dac_code=dac)
            db.session.add(sector)
            added_sectors += 1
        for rcode, rname, unit in resource_types:
            if rcode not in existing_types:
                db.session.add(ResourceType(code=rcode, name=rname, unit=unit, sector=sector))
                added_types += 1
    db.session.flush()
    return added_sectors, added_types
