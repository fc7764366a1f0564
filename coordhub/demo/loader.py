"""Loads a realistic demo operation (eastern Chad recovery 2026) with partners, projects, needs, capacities."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from coordhub.allocation.operations import run_allocation
from coordhub.auth.models import Role, User
from coordhub.auth.operations import check_password_rule
from coordhub.demo.results import load_results
from coordhub.extensions import db
from coordhub.overlap.detection import detect_operation
from coordhub.registry.admin_areas import parse_admin_areas
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Organisation,
    Project,
    ProjectStatus,
    ResourceType,
)
from coordhub.registry.models import (
    OrganisationType as T,
)
from coordhub.registry.operations import load_admin_areas
from coordhub.registry.reference import ensure_reference_data

DEMO_OPERATION = "Tchad – relèvement de l'Est 2026"
HERE = Path(__file__).resolve().parent

# Approximate coordinates of the provincial capitals (for distance costs in allocations).
CENTROIDS = {
    "TD14": (13.83, 20.83),
    "TD21": (12.22, 21.41),
    "TD17": (14.53, 20.92),
    "TD15": (10.98, 20.28),
    "TD20": (16.07, 22.84),
    "TD01": (13.21, 18.34),
    "TD07": (13.46, 14.71),
    "TD18": (12.11, 15.04),
    # The other provinces, approximate (to the tenth of a degree), so that the demo maps show all of Chad.
    "TD02": (18.0, 18.5),
    "TD03": (11.4, 16.0),
    "TD04": (11.7, 18.8),
    "TD05": (12.6, 16.0),
    "TD06": (14.8, 15.6),
    "TD08": (8.6, 15.9),
    "TD09": (8.0, 16.3),
    "TD10": (8.6, 17.6),
    "TD11": (9.9, 15.3),
    "TD12": (9.6, 14.5),
    "TD13": (9.2, 18.6),
    "TD16": (9.4, 16.3),
    "TD19": (14.3, 16.5),
    "TD22": (21.0, 17.5),
    "TD23": (18.5, 21.0),
}
EAST = ["TD14", "TD21", "TD17", "TD15", "TD20", "TD01"]

ORGANISATIONS = [
    ("Office for the Coordination of Humanitarian Affairs", "OCHA", T.un_agency, False),
    ("United Nations Children's Fund", "UNICEF", T.un_agency, False),
    ("World Health Organization", "WHO", T.un_agency, False),
    ("United Nations Development Programme", "UNDP", T.un_agency, False),
    ("Office of the UN High Commissioner for Refugees", "UNHCR", T.un_agency, False),
    ("World Food Programme", "WFP", T.un_agency, False),
    ("International Organization for Migration", "IOM", T.un_agency, False),
    ("Norwegian Refugee Council", "NRC", T.international_ngo, False),
    ("International Rescue Committee", "IRC", T.international_ngo, False),
    ("Save the Children International", "SCI", T.international_ngo, False),
    ("Action contre la Faim", "ACF", T.international_ngo, False),
    ("Oxfam", "Oxfam", T.international_ngo, False),
    ("Croix-Rouge du Tchad", "CRT", T.red_cross, True),
    ("Secours Catholique et Développement", "SECADEV", T.national_ngo, True),
    ("Association des Femmes Juristes du Tchad", "AFJT", T.national_ngo, True),
    ("Délégation provinciale de la santé du Ouaddaï", "DPS Ouaddaï", T.local_authority, True),
    ("Gouvernorat de la province du Sila", "Gouv. Sila", T.local_authority, True),
    ("Ministère de l'Eau et de l'Énergie", "MEE", T.government_ministry, True),
    ("Commission nationale de désarmement, démobilisation et réinsertion", "CNDDR", T.government_ministry, True),
    ("European Civil Protection and Humanitarian Aid Operations", "ECHO", T.donor, False),
]

USERS = [
    ("admin@demo.coordhub.org", "Aïcha Mahamat (admin)", "OCHA", Role.admin),
    ("coordinator@demo.coordhub.org", "Jean-Baptiste Ngarlem", "OCHA", Role.coordinator),
    ("unicef@demo.coordhub.org", "Fatimé Abakar", "UNICEF", Role.focal_point),
    ("who@demo.coordhub.org", "Dr Hassan Idriss", "WHO", Role.focal_point),
    ("nrc@demo.coordhub.org", "Ingrid Solberg", "NRC", Role.focal_point),
    ("sci@demo.coordhub.org", "Moussa Djimet", "SCI", Role.focal_point),
    ("secadev@demo.coordhub.org", "Thérèse Nodjimbaye", "SECADEV", Role.focal_point),
    ("afjt@demo.coordhub.org", "Delphine Kemneloum", "AFJT", Role.focal_point),
    ("dps.ouaddai@demo.coordhub.org", "Abdelkerim Saleh", "DPS Ouaddaï", Role.focal_point),
    ("donor@demo.coordhub.org", "Claire Dubois", "ECHO", Role.viewer),
]

# (organisation, resource type code, French title pattern, sector-level areas "admin1"/"admin2", sensitive)
PROJECT_TEMPLATES = [
    ("UNICEF", "EDU-CLASSROOM", "Réhabilitation de salles de classe – {area}", 2, False),
    ("SCI", "EDU-CLASSROOM", "Salles de classe temporaires et réhabilitation – {area}", 2, False),
    ("SCI", "EDU-TEACHER-TRAIN", "Formation des enseignants communautaires – {area}", 1, False),
    ("UNICEF", "WASH-BOREHOLE", "Forages et adduction d'eau – {area}", 2, False),
    ("Oxfam", "WASH-BOREHOLE", "Accès à l'eau potable dans les villages hôtes – {area}", 2, False),
    ("ACF", "WASH-LATRINE", "Latrines familiales et promotion de l'hygiène – {area}", 2, False),
    ("WHO", "HEALTH-MOBILE-CLINIC", "Cliniques mobiles – {area}", 1, False),
    ("ACF", "HEALTH-MOBILE-CLINIC", "Équipes mobiles santé-nutrition – {area}", 2, False),
    ("WHO", "HEALTH-CENTRE-REHAB", "Réhabilitation du centre de santé – {area}", 2, False),
    ("IRC", "HEALTH-CENTRE-REHAB", "Remise en état des centres de santé – {area}", 2, False),
    ("UNDP", "LIVE-CFW", "Argent contre travail : pistes rurales – {area}", 2, False),
    ("WFP", "LIVE-CFW", "Vivres et argent contre actifs – {area}", 1, False),
    ("UNDP", "TRANS-ROAD", "Réhabilitation de la route d'accès – {area}", 1, False),
    ("NRC", "ROL-LEGAL-AID", "Information, conseil et assistance juridique – {area}", 1, False),
    ("AFJT", "ROL-LEGAL-AID", "Assistance juridique aux femmes – {area}", 2, True),
    ("UNHCR", "PROT-VICTIM-CASE", "Prise en charge des survivants de violences – {area}", 1, True),
    ("SECADEV", "PROT-VICTIM-CASE", "Accompagnement psychosocial des survivants – {area}", 2, True),
    ("UNDP", "COHESION-DIALOGUE", "Comités de dialogue agriculteurs-éleveurs – {area}", 2, False),
    ("SECADEV", "COHESION-DIALOGUE", "Médiation communautaire – {area}", 2, False),
    ("IOM", "DDR-REINTEGRATION-KIT", "Réinsertion communautaire des ex-combattants – {area}", 1, True),
    ("CRT", "WASH-TRUCKING", "Approvisionnement d'urgence en eau – {area}", 2, False),
    ("UNDP", "ENERGY-SOLAR", "Mini-réseaux solaires pour centres de santé – {area}", 1, False),
    ("UNDP", "GOV-COUNCIL", "Appui aux conseils communaux – {area}", 1, False),
]

NEED_TEMPLATES = [
    ("WASH-BOREHOLE", "Forages non fonctionnels", (2, 12)),
    ("WASH-LATRINE", "Latrines manquantes dans les sites de déplacés", (50, 400)),
    ("EDU-CLASSROOM", "Salles de classe détruites ou endommagées", (4, 30)),
    ("EDU-TEACHER-TRAIN", "Enseignants communautaires non formés", (100, 800)),
    ("HEALTH-MOBILE-CLINIC", "Zones sans accès aux soins", (8, 40)),
    ("HEALTH-CENTRE-REHAB", "Centres de santé endommagés", (1, 4)),
    ("LIVE-CFW", "Ménages sans revenus après les violences", (2000, 15000)),
    ("TRANS-ROAD", "Routes coupées pendant la saison des pluies", (10, 80)),
    ("ROL-LEGAL-AID", "Demandes d'assistance juridique en attente", (6, 36)),
    ("PROT-VICTIM-CASE", "Survivants de violences sans prise en charge", (20, 150)),
    ("COHESION-DIALOGUE", "Conflits fonciers non résolus", (6, 24)),
    ("DDR-REINTEGRATION-KIT", "Ex-combattants démobilisés sans appui", (50, 300)),
]

# (organisation, resource type, quantity range, unit cost range, service area P-codes or None = random east admin1)
CAPACITY_TEMPLATES = [
    ("UNICEF", "WASH-BOREHOLE", (10, 30), (9000, 14000)),
    ("Oxfam", "WASH-BOREHOLE", (5, 15), (8000, 12000)),
    ("ACF", "WASH-LATRINE", (300, 900), (120, 250)),
    ("CRT", "WASH-LATRINE", (100, 300), (90, 160)),
    ("UNICEF", "EDU-CLASSROOM", (20, 60), (7000, 11000)),
    ("SCI", "EDU-CLASSROOM", (10, 30), (6000, 9000)),
    ("SCI", "EDU-TEACHER-TRAIN", (500, 1500), (15, 30)),
    ("WHO", "HEALTH-MOBILE-CLINIC", (40, 100), (2500, 4000)),
    ("ACF", "HEALTH-MOBILE-CLINIC", (20, 60), (2000, 3200)),
    ("IRC", "HEALTH-CENTRE-REHAB", (3, 8), (40000, 70000)),
    ("WHO", "HEALTH-CENTRE-REHAB", (2, 5), (50000, 80000)),
    ("UNDP", "LIVE-CFW", (20000, 50000), (4, 6)),
    ("WFP", "LIVE-CFW", (30000, 60000), (3, 5)),
    ("SECADEV", "LIVE-CFW", (5000, 12000), (3, 4)),
    ("UNDP", "TRANS-ROAD", (40, 120), (25000, 45000)),
    ("NRC", "ROL-LEGAL-AID", (24, 60), (1800, 2600)),
    ("AFJT", "ROL-LEGAL-AID", (12, 30), (900, 1400)),
    ("UNHCR", "PROT-VICTIM-CASE", (200, 500), (300, 600)),
    ("SECADEV", "PROT-VICTIM-CASE", (80, 200), (200, 350)),
    ("UNDP", "COHESION-DIALOGUE", (30, 60), (1500, 3000)),
    ("SECADEV", "COHESION-DIALOGUE", (10, 30), (600, 1200)),
    ("IOM", "DDR-REINTEGRATION-KIT", (300, 700), (400, 700)),
]


# The demo accounts' shared password: printed by `coordhub demo`, and it passes the password rule.
DEMO_PASSWORD = "sahel-wells-2026"


def check_demo_password(password: str) -> None:
    """Raise ValidationError unless `password` passes the password rule for every demo account."""
    for email, name, _acronym, _role in USERS:
        check_password_rule(password, email, name)


def load_demo(password: str = DEMO_PASSWORD, seed: int = 2026) -> list[User] | None:
    """Create the demo operation and everything in it. Returns the users, or None if already loaded.
    Raises ValidationError if `password` fails the password rule for one of the demo users."""
    if db.session.scalar(sa.select(Operation.id).where(Operation.name == DEMO_OPERATION)) is not None:
        return None
    check_demo_password(password)
    rng = random.Random(seed)
    ensure_reference_data()
    operation = Operation(
        name=DEMO_OPERATION,
        country_code="TD",
        currency="USD",
        description="Relèvement et stabilisation dans l'Est du Tchad (Ouaddaï, Sila, Wadi Fira, "
        "Salamat, Ennedi Est, Batha) après les déplacements de 2023–2025.",
    )
    db.session.add(operation)
    db.session.flush()
    load_admin_areas(operation, parse_admin_areas(HERE / "tcd_admin2.csv", language="fr"))
    areas = {a.pcode: a for a in db.session.scalars(sa.select(AdminArea).where(AdminArea.operation_id == operation.id))}
    for pcode, (lat, lon) in CENTROIDS.items():
        areas[pcode].latitude, areas[pcode].longitude = lat, lon
    east_admin2 = sorted((a for a in areas.values() if a.level == 2 and a.parent.pcode in EAST), key=lambda a: a.pcode)

    existing = {o.acronym: o for o in db.session.scalars(sa.select(Organisation))}
    orgs = {}
    for name, acronym, org_type, local in ORGANISATIONS:
        orgs[acronym] = existing.get(acronym) or Organisation(name=name, acronym=acronym, type=org_type, is_local=local)
        db.session.add(orgs[acronym])
    db.session.flush()

    users = []
    for email, name, acronym, role in USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, organisation=orgs[acronym], role=role)
            user.set_password(password)
            db.session.add(user)
        user.operations.append(operation)
        user.current_operation = operation
        users.append(user)
    db.session.flush()
    by_org = {u.organisation.acronym: u for u in users}
    author = lambda acronym: by_org.get(acronym, users[1])  # noqa: E731  (coordinator enters for others)

    types = {t.code: t for t in db.session.scalars(sa.select(ResourceType))}
    start_of_year = date(2026, 1, 1)

    def window(months_min: int, months_max: int) -> tuple[date, date | None]:
        start = start_of_year + timedelta(days=rng.randrange(0, 240))
        if rng.random() < 0.15:
            return start, None
        return start, start + timedelta(days=30 * rng.randint(months_min, months_max))

    # Projects: each template in 2–4 places; some deliberately in the same place to show overlaps.
    counter = 0
    for acronym, type_code, title, level, sensitive in PROJECT_TEMPLATES:
        rtype = types[type_code]
        places = rng.sample(EAST, 2) if level == 1 else rng.sample(east_admin2, 3)
        for place in places:
            area = areas[place] if isinstance(place, str) else place
            counter += 1
            start, end = window(4, 14)
            status = ProjectStatus.ongoing if start <= date(2026, 6, 1) else ProjectStatus.planned
            project = Project(
                operation=operation,
                organisation=orgs[acronym],
                code=f"{acronym.upper()[:6]}-{counter:03d}",
                sector=rtype.sector,
                resource_type=rtype,
                title=title.format(area=area.name),
                description=f"{rtype.name} ({rtype.unit}) à {area.name}.",
                start_date=start,
                end_date=end,
                status=status,
                budget=float(rng.randrange(50, 900) * 1000),
                currency="USD",
                beneficiaries_targeted=rng.randrange(500, 25000),
                target_group="Déplacés et communautés hôtes",
                sensitive=sensitive,
                created_by=author(acronym),
                updated_by=author(acronym),
                areas=[area],
            )
            db.session.add(project)
    # A funding chain: UNHCR funds SECADEV, and both report the same intervention.
    assoungha = areas["TD1403"]
    for acronym, partners in (("UNHCR", ["SECADEV"]), ("SECADEV", [])):
        db.session.add(
            Project(
                operation=operation,
                organisation=orgs[acronym],
                code=f"{acronym}-CHAIN-1",
                sector=types["COHESION-DIALOGUE"].sector,
                resource_type=types["COHESION-DIALOGUE"],
                title="Dialogue intercommunautaire autour des points d'eau – Assoungha",
                description="Comités de gestion des points d'eau et médiation.",
                start_date=date(2026, 2, 1),
                end_date=date(2026, 11, 30),
                status=ProjectStatus.ongoing,
                budget=180000.0,
                currency="USD",
                beneficiaries_targeted=12000,
                target_group="Réfugiés et communautés hôtes",
                partners=[orgs[p] for p in partners],
                areas=[assoungha],
                created_by=author(acronym),
                updated_by=author(acronym),
            )
        )

    # Needs from the (invented) 2026 multi-sector needs assessment, reported by local authorities and OCHA.
    for index, area in enumerate(east_admin2):
        for type_code, label, (low, high) in rng.sample(NEED_TEMPLATES, 4):
            rtype = types[type_code]
            start, end = window(3, 9)
            reporter = (
                "DPS Ouaddaï"
                if area.parent.pcode == "TD14" and rtype.sector.code == "HEALTH"
                else ("Gouv. Sila" if area.parent.pcode == "TD21" else "OCHA")
            )
            db.session.add(
                Need(
                    operation=operation,
                    organisation=orgs[reporter],
                    area=area,
                    sector=rtype.sector,
                    resource_type=rtype,
                    title=f"{label} – {area.name}",
                    description=f"Relevé par l'évaluation multisectorielle des besoins, {area.parent.name}.",
                    quantity=float(rng.randint(low, high)),
                    priority=rng.choices([1, 2, 3, 4, 5], [1, 2, 4, 3, 2])[0],
                    start_date=start,
                    end_date=end,
                    source="MSNA Est du Tchad 2026",
                    status=NeedStatus.open,
                    sensitive=type_code in ("PROT-VICTIM-CASE", "DDR-REINTEGRATION-KIT"),
                    code=f"MSNA26-{index:03d}-{type_code}",
                    created_by=author(reporter),
                    updated_by=author(reporter),
                )
            )

    for number, (acronym, type_code, (qlow, qhigh), (clow, chigh)) in enumerate(CAPACITY_TEMPLATES, start=1):
        rtype = types[type_code]
        served = [areas[p] for p in rng.sample(EAST, rng.randint(1, 3))]
        start = start_of_year + timedelta(days=rng.randrange(0, 120))
        db.session.add(
            Capacity(
                operation=operation,
                organisation=orgs[acronym],
                resource_type=rtype,
                code=f"CAP-{number:03d}",
                title=f"{rtype.name} – {orgs[acronym].acronym}",
                quantity=float(rng.randint(qlow, qhigh)),
                start_date=start,
                end_date=start + timedelta(days=30 * rng.randint(6, 12)),
                unit_cost=float(round(rng.uniform(clow, chigh), -1)),
                currency="USD",
                notes="Capacité annoncée à la réunion de coordination de janvier 2026.",
                areas=served,
                created_by=author(acronym),
                updated_by=author(acronym),
            )
        )
    db.session.commit()
    detect_operation(operation)  # the demo starts with its overlap alerts and clusters
    load_results(operation, users, rng)  # targets and three months of reports (coordhub.monitoring)
    run_allocation(None, operation, {}, "Demo: default policy")  # and one stored allocation run (about 0.1 s)
    return users
