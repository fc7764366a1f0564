"""Fixtures for the interop tests: paths to the real-file extracts and a small registry as plain lists."""

from pathlib import Path

import pytest

from coordhub.interop.matching import AdminAreaRef, OrganisationRef, SectorRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"
REAL_FILES = Path(__file__).resolve().parents[1] / "fixtures" / "real"  # whole files, see PROVENANCE.md


@pytest.fixture
def fixture_path():
    def path(name: str) -> Path:
        return FIXTURES / name

    return path


@pytest.fixture
def shared_data():
    """The folder of the full real files (copies kept in the repository)."""
    return REAL_FILES


# coordhub's reconstruction sectors with the IASC cluster each sits closest to and its DAC code.
RECONSTRUCTION_SECTORS = [
    SectorRef(
        1, "GOV", "Governance and elections", "Early Recovery", "15150", ("governance", "elections", "gouvernance")
    ),
    SectorRef(2, "ROL", "Rule of law and justice", "Protection", "15130", ("justice", "rule of law", "etat de droit")),
    SectorRef(3, "TRA", "Transport", "Logistics", "21020", ("roads", "transport et infrastructures")),
    SectorRef(4, "ENE", "Energy", None, "23110", ("electricity", "energie")),
    SectorRef(5, "WAT", "Water and sanitation", "WASH", "14020", ("water", "eau et assainissement")),
    SectorRef(6, "HEA", "Health", "Health", "12220", ("sante",)),
    SectorRef(7, "EDU", "Education", "Education", "11220", ("education de base",)),
    SectorRef(
        8,
        "ECO",
        "Economic recovery and livelihoods",
        "Early Recovery",
        "43072",
        ("livelihoods", "moyens de subsistance"),
    ),
    SectorRef(
        9, "SOC", "Social cohesion and reconciliation", "Early Recovery", "15220", ("peacebuilding", "cohesion sociale")
    ),
    SectorRef(10, "PRO", "Protection and victim support", "Protection", "15160", ("victim support", "protection")),
    SectorRef(11, "DDR", "DDR", None, "15240", ("disarmament demobilisation and reintegration",)),
    SectorRef(12, "SSR", "Security sector reform", None, "15210", ("ssr",)),
    SectorRef(13, "CME", "Coordination and M&E", "Coordination", "43010", ("coordination",)),
]


@pytest.fixture
def sectors():
    return list(RECONSTRUCTION_SECTORS)


@pytest.fixture
def organisations():
    return [
        OrganisationRef(1, "Action Against Hunger", "ACF"),
        OrganisationRef(2, "United Nations Children's Fund", "UNICEF"),
        OrganisationRef(3, "Norwegian Refugee Council", "NRC"),
        OrganisationRef(4, "Médecins Sans Frontières", "MSF"),
        OrganisationRef(5, "Organization for Coordination of Humanitarian Relief", "OCHR"),
        OrganisationRef(6, "Save the Children International", "SCI"),
        OrganisationRef(7, "Save the Children Federation", "SCF"),
        OrganisationRef(8, "People in Need", "PIN"),
        OrganisationRef(9, "Première Urgence Internationale", "PUI"),
        OrganisationRef(10, "Danish Refugee Council", "DRC"),
        OrganisationRef(11, "Democratic Republic of Congo Relief", "DRC"),
    ]


@pytest.fixture
def areas():
    """A piece of Nigeria (COD prefix NG) and of Chad with names repeated under different parents."""
    return [
        AdminAreaRef(1, "NG008", "Borno", 1),
        AdminAreaRef(2, "NG008023", "Mobbar", 2, "NG008"),
        AdminAreaRef(3, "NG008016", "Konduga", 2, "NG008"),
        AdminAreaRef(4, "NG036", "Yobe", 1),
        AdminAreaRef(5, "NG036009", "Jakusko", 2, "NG036"),
        AdminAreaRef(6, "NG036011", "Machina", 2, "NG036"),
        AdminAreaRef(7, "NG002", "Adamawa", 1),
        AdminAreaRef(8, "NG002010", "Central", 2, "NG002"),
        AdminAreaRef(9, "NG008030", "Central", 2, "NG008"),
        AdminAreaRef(10, "NG008030001", "Ward A", 3, "NG008030"),
    ]
