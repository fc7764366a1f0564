"""COD admin-area files: the real Burkina Faso, Chad and Afghanistan lists, and broken files."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.registry.admin_areas import AdminAreaFileError, parse_admin_areas
from coordhub.registry.models import AdminArea
from coordhub.registry.operations import load_admin_areas
from tests import factories
from tests.conftest import REAL_FILES


def test_chad_cod_with_bom_and_french_names():
    records = parse_admin_areas(REAL_FILES / "tcd_admin2_population_2021.csv")
    by_code = {r.pcode: r for r in records}
    assert by_code["TD"].level == 0 and by_code["TD"].name == "Tchad"
    assert len([r for r in records if r.level == 1]) == 23
    assert len([r for r in records if r.level == 2]) == 70
    assert by_code["TD0401"].name == "Guéra" and by_code["TD0401"].parent_pcode == "TD04"
    assert by_code["TD04"].parent_pcode == "TD"


def test_burkina_faso_cod():
    records = parse_admin_areas(REAL_FILES / "bfa_admin2_population_2023.csv")
    levels = [r.level for r in records]
    assert levels.count(1) == 13 and levels.count(2) == 45
    assert {r.pcode: r.name for r in records}["BF4601"] == "Bale"


def test_afghanistan_admin1_with_hxl_row():
    records = parse_admin_areas(REAL_FILES / "afg_admin1_population_2021.csv", language="en")
    admin1 = [r for r in records if r.level == 1]
    assert len(admin1) == 34
    assert {r.pcode: r.name for r in admin1}["AF01"] == "Kabul"
    assert all(not r.pcode.startswith("#") for r in records)


def test_flat_file_with_parents_and_centroids():
    text = b"pcode,parent_pcode,name,level,lat,lon\nCF,,CAR,0,,\nCF63,CF,Ouham-Pende,,7.1,16.4\nCF632,CF63,Bozoum,,,\n"
    records = parse_admin_areas(text)
    assert [(r.pcode, r.level) for r in records] == [("CF", 0), ("CF63", 1), ("CF632", 2)]
    assert records[1].latitude == 7.1


@pytest.mark.parametrize(
    "content,message",
    [
        (b"name,population\nA,1\n", "row 1: no admin P-code column"),
        (b"ADM1_PCODE,ADM1_FR,ADM2_PCODE,ADM2_FR\nA1,Un,A11,Onze\nA2,Deux,A11,Onze\n", "row 3, column 'ADM2_PCODE'"),
        (b"pcode,parent_pcode,name\nA,,a\nB,Z,b\n", "parent P-code Z of B is not in the file"),
        (b"pcode,parent_pcode,name,level,lat,lon\nA,,a,0,north,1\n", "row 2, column 'lat': 'north' is not a number"),
        (b"pcode,parent_pcode,name\nA,,a\nA,,again\n", "row 3, column 'pcode': P-code A appears twice"),
    ],
)
def test_broken_files_are_reported_with_row_and_column(content, message):
    with pytest.raises(AdminAreaFileError) as error:
        parse_admin_areas(content)
    assert message in str(error.value)


def test_loading_builds_paths_and_updates_in_place(world):
    operation = factories.make_operation("Chad test", [])
    created, updated = load_admin_areas(operation, parse_admin_areas(REAL_FILES / "tcd_admin2_population_2021.csv"))
    assert (created, updated) == (94, 0)
    guera = db.session.scalar(
        sa.select(AdminArea).where(AdminArea.pcode == "TD0401", AdminArea.operation_id == operation.id)
    )
    assert guera.path == "/TD/TD04/TD0401/" and guera.parent.pcode == "TD04"
    created, updated = load_admin_areas(operation, parse_admin_areas(REAL_FILES / "tcd_admin2_population_2021.csv"))
    assert (created, updated) == (0, 0)


def test_admin_uploads_areas_through_the_ui_all_or_nothing(world, login, client):
    login(world.users["admin"])
    operation = world.operation
    broken = b"ADM1_PCODE,ADM1_FR,ADM2_PCODE,ADM2_FR\nZZ1,Un,ZZ11,Onze\nZZ2,Deux,ZZ11,Onze\n"
    from io import BytesIO

    response = client.post(
        f"/admin/operations/{operation.id}",
        data={"areas-file": (BytesIO(broken), "areas.csv"), "areas-language": "fr", "areas-submit": "y"},
        content_type="multipart/form-data",
    )
    assert "Nothing was loaded" in response.get_data(as_text=True)
    assert factories.area(operation, "ZZ1") is None
    good = (REAL_FILES / "bfa_admin2_population_2023.csv").read_bytes()
    response = client.post(
        f"/admin/operations/{operation.id}",
        data={"areas-file": (BytesIO(good), "bfa.csv"), "areas-language": "fr", "areas-submit": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "59 admin areas created" in response.get_data(as_text=True)
    assert factories.area(operation, "BF4601").name == "Bale"


def test_semicolon_cp1252_file_is_read_through_the_reading_layer():
    from coordhub.registry.admin_areas import parse_admin_areas

    text = "pcode;parent_pcode;name;level\r\nXX;;Pays;0\r\nXX01;XX;Région Nord;1\r\n"
    records = parse_admin_areas(text.encode("cp1252"))
    assert [(r.pcode, r.parent_pcode, r.name) for r in records] == [("XX", None, "Pays"), ("XX01", "XX", "Région Nord")]
