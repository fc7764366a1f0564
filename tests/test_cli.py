"""The `coordhub` command: demo, create-user, import-admin-areas."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.models import AdminArea, Capacity, Need, Project
from tests.conftest import REAL_FILES


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_and_import_admin_areas(world, app):
    result = invoke(
        app,
        "create-user",
        "--email",
        "New@Example.org",
        "--name",
        "New person",
        "--organisation",
        "NGOA",
        "--role",
        "focal_point",
        "--operation",
        "CAR recovery 2026",
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert user.role is Role.focal_point and user.check_password("a long password")

    result = invoke(
        app, "create-user", "--email", "x@example.org", "--name", "X", "--organisation", "NGOA", input="short\nshort\n"
    )
    assert result.exit_code != 0 and "password" in result.output

    result = invoke(
        app, "import-admin-areas", str(REAL_FILES / "bfa_admin2_population_2023.csv"), "--operation", "Elsewhere 2026"
    )
    assert result.exit_code == 0, result.output
    assert "59 admin areas created" in result.output and "admin2: 45" in result.output
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AdminArea).where(AdminArea.operation_id == world.other_operation.id)
        )
        == 60
    )


def test_import_admin_areas_error_exits_2_and_loads_nothing(world, app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ADM1_PCODE,ADM1_FR,ADM2_PCODE\nQ1,Un,Q11\nQ2,Deux,Q11\n")
    result = invoke(app, "import-admin-areas", str(bad), "--operation", "CAR recovery 2026")
    assert result.exit_code == 2
    assert "row 3" in result.output and "Nothing was loaded" in result.output
    assert db.session.scalar(sa.select(AdminArea).where(AdminArea.pcode == "Q1")) is None


def test_demo_loads_a_realistic_operation_once(app):
    from coordhub.demo.loader import DEMO_PASSWORD, load_demo

    users = load_demo(DEMO_PASSWORD)
    assert users is not None and any(u.role is Role.admin for u in users)
    assert load_demo(DEMO_PASSWORD) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) > 40
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) > 50
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Capacity)) > 15
    assert db.session.scalar(sa.select(AdminArea).where(AdminArea.pcode == "TD1403")).name == "Assoungha"
    admin = next(u for u in users if u.role is Role.admin)
    client = app.test_client()
    assert client.post("/login", data={"email": admin.email, "password": DEMO_PASSWORD}).status_code == 302
    for url in ("/", "/projects/", "/needs/", "/capacities/", "/areas/"):
        assert client.get(url).status_code == 200, url


def test_from_an_empty_database_to_a_real_operation(app):
    """create-operation, the office's COD list, then the first administrator with their organisation."""
    from pathlib import Path

    from coordhub.registry.models import Operation, Organisation, OrganisationType

    result = invoke(app, "create-operation", "Tchad 2027", "--country", "TD", "--currency", "XAF")
    assert result.exit_code == 0, result.output
    operation = db.session.scalar(sa.select(Operation).where(Operation.name == "Tchad 2027"))
    assert (operation.country_code, operation.currency) == ("TD", "XAF")
    assert invoke(app, "create-operation", "Tchad 2027", "--country", "TD").exit_code != 0  # names are unique
    bad = invoke(app, "create-operation", "Nowhere", "--country", "T1")
    assert bad.exit_code != 0 and "country_code" in bad.output

    cod = Path(__file__).resolve().parent / "fixtures" / "interop" / "tcd_admin2_extract.csv"
    assert invoke(app, "import-admin-areas", str(cod), "--operation", "Tchad 2027").exit_code == 0

    result = invoke(
        app,
        "create-user",
        "--email",
        "im@ocha.example",
        "--name",
        "Information manager",
        "--organisation",
        "Bureau de la coordination",
        "--organisation-type",
        "Agence UN",
        "--acronym",
        "BCAH",
        "--role",
        "admin",
        "--operation",
        "Tchad 2027",
        input="Tchad-relevement-2027!\nTchad-relevement-2027!\n",
    )
    assert result.exit_code == 0, result.output
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.acronym == "BCAH"))
    assert organisation.type is OrganisationType.un_agency
    user = db.session.scalar(sa.select(User).where(User.email == "im@ocha.example"))
    assert user.role is Role.admin and user.organisation_id == organisation.id and user.operations == [operation]
    missing = invoke(
        app,
        "create-user",
        "--email",
        "y@ocha.example",
        "--name",
        "Y",
        "--organisation",
        "Nobody",
        input="Tchad-relevement-2027!\nTchad-relevement-2027!\n",
    )
    assert missing.exit_code != 0 and "--organisation-type" in missing.output
