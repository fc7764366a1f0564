"""Reading needs, capacities and areas from CSV (plain and HXL) and writing assignments."""

from __future__ import annotations

import io
from datetime import date

import pytest

from coordhub.allocation.core import Assignment
from coordhub.allocation.core.files import FileError, read_areas, read_capacities, read_needs, write_assignments


def test_needs_with_plain_headers_in_any_order_and_case():
    text = "Priority, NEED_ID ,pcode,resource_type,quantity,start,end\n3,N1,XX11,tent,2.5,2025-03-01,\n"
    (need,) = read_needs(io.StringIO(text), "needs.csv")
    assert (need.id, need.priority, need.quantity, need.start, need.end) == ("N1", 3, 2.5, date(2025, 3, 1), None)


def test_capacities_local_flag_from_org_type_or_column():
    text = (
        "capacity_id,org,org_type,resource_type,quantity,unit_cost,service_pcodes,start,end\n"
        "C1,A,National NGO,tent,1,,XX1 ; XX2,2025-01-01,\n"
        "C2,B,International NGO,tent,1,3,XX1,2025-01-01,\n"
        "C3,C,NNGO,tent,1,3,XX1,2025-01-01,\n"
    )
    c1, c2, c3 = read_capacities(io.StringIO(text), "caps.csv")
    assert (c1.is_local, c2.is_local, c3.is_local) == (True, False, True)
    assert c1.service_pcodes == ("XX1", "XX2") and c1.unit_cost == 0.0
    text = "capacity_id,org,resource_type,quantity,service_pcodes,start,is_local\nC1,A,tent,1,XX1,2025-01-01,yes\n"
    assert read_capacities(io.StringIO(text), "caps.csv")[0].is_local is True


def test_hxl_row_maps_by_hashtag_and_cost_is_not_quantity():
    text = (
        "x,y,z,w,v,u,t,s,r\n"
        "#value+cost,#org+type,#adm1+code+service,#date+start,#capacity+id,#org+name,#item+type,#value,#date+end\n"
        "2.5,NNGO,XX1,2025-01-01,C1,Local,tent,40,\n"
    )
    (cap,) = read_capacities(io.StringIO(text), "caps.csv")
    assert (cap.id, cap.org, cap.quantity, cap.unit_cost, cap.is_local) == ("C1", "Local", 40.0, 2.5, True)


def test_semicolon_separated_files_are_read():
    text = "need_id;pcode;resource_type;quantity;priority;start;end\nN1;XX11;tent;5;3;2025-03-01;\n"
    assert read_needs(io.StringIO(text), "needs.csv")[0].quantity == 5


def test_areas_with_coordinates_and_levels():
    text = "pcode,parent_pcode,name,level,lat,lon\nXX,,Country,0,-10.5,-40\nXX1,XX,North,1,,\n"
    country, north = read_areas(io.StringIO(text), "areas.csv")
    assert (country.lat, country.lon, country.level) == (-10.5, -40.0, 0)
    assert (north.parent_pcode, north.lat) == ("XX", None)


def test_several_problems_are_reported_together():
    text = "need_id,pcode,resource_type,quantity,priority,start,end\nN1,XX11,tent,0,9,2025-03-01,\n"
    with pytest.raises(FileError) as raised:
        read_needs(io.StringIO(text), "needs.csv")
    messages = [str(p) for p in raised.value.problems]
    assert messages == [
        "needs.csv, row 2, column priority: must be a whole number from 1 to 5, not '9'",
        "needs.csv, row 2, column quantity: must be greater than 0, not 0",
    ]


def test_empty_file_is_an_error():
    with pytest.raises(FileError, match="empty"):
        read_needs(io.StringIO(""), "needs.csv")


def test_write_assignments_plain_numbers(tmp_path):
    out = tmp_path / "a.csv"
    write_assignments([Assignment(need_id="N", capacity_id="C", quantity=2.0, unit_cost=0.1 + 0.2, cost=0.6)], out)
    assert out.read_text().splitlines() == ["need_id,capacity_id,quantity,unit_cost", "N,C,2,0.3"]
