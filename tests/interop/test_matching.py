from coordhub.interop.matching import (
    AdminAreaMatcher,
    AdminAreaRef,
    AreaQuery,
    MatchStatus,
    OrganisationMatcher,
    SectorMatcher,
    clean_sector_text,
)

# Organisations ---------------------------------------------------------------------------------


def test_exact_organisation_ignores_case_spaces_and_accents(organisations):
    matcher = OrganisationMatcher(organisations)
    assert matcher.match("  action against HUNGER ").record.id == 1
    assert matcher.match("Medecins sans frontieres").record.id == 4
    assert matcher.match("Organization for Coordination of Humanitarian Relief\u00a0").record.id == 5
    result = matcher.match(acronym="unicef")
    assert result.status == MatchStatus.exact and result.record.id == 2


def test_names_found_by_acronym_and_acronym_alternatives(organisations):
    matcher = OrganisationMatcher(organisations)
    assert matcher.match("UNICEF").record.id == 2  # acronym typed in the name column
    assert matcher.match("Action Against Hunger", "AAH/ACF").record.id == 1  # Nigeria's 'AAH/ACF'
    assert matcher.match(None, "AAH/ACF").record.id == 1
    assert matcher.match("PIN: People in Need").record.id == 8  # 'ACRONYM: Name', as in the Afghanistan 3W


def test_near_misses_are_suggested_not_accepted(organisations):
    matcher = OrganisationMatcher(organisations)
    result = matcher.match("Action Againts Hunger")
    assert result.status == MatchStatus.near_miss
    assert result.record is None
    assert result.candidates[0].id == 1
    assert (
        result.message == "no organisation named 'Action Againts Hunger'; did you mean 'Action Against Hunger (ACF)'?"
    )
    assert matcher.match("Totally Unknown Collective").status == MatchStatus.not_found


def test_fuzzy_acceptance_only_when_asked_and_unique(organisations):
    strict = OrganisationMatcher(organisations, accept_score=90)
    assert strict.match("Norwegian Refugee Councel").status == MatchStatus.fuzzy
    assert strict.match("Norwegian Refugee Councel").record.id == 3
    both = strict.match("Save the Children")  # not UNICEF, though both have 'Children'
    assert both.status == MatchStatus.near_miss  # International and Federation tie: never auto-accepted
    assert {record.id for record in both.candidates} == {6, 7}


def test_ambiguous_acronym_and_conflicting_name(organisations):
    matcher = OrganisationMatcher(organisations)
    result = matcher.match(acronym="DRC")
    assert result.status == MatchStatus.ambiguous
    assert {record.id for record in result.candidates} == {10, 11}
    assert "Danish Refugee Council (DRC)" in result.message
    assert matcher.match("Danish Refugee Council", "DRC").record.id == 10  # the name settles it
    conflict = matcher.match("Norwegian Refugee Council", "PIN")
    assert conflict.status == MatchStatus.ambiguous
    assert "different organisations" in conflict.message
    assert matcher.match(None, None).status == MatchStatus.blank


# Sectors ---------------------------------------------------------------------------------------


def test_sector_by_code_name_and_alias(sectors):
    matcher = SectorMatcher(sectors)
    assert matcher.match("EDU").record.code == "EDU"
    assert matcher.match("water and sanitation").record.code == "WAT"
    assert matcher.match("Santé").record.code == "HEA"
    assert matcher.match("rule of law").record.code == "ROL"


def test_cluster_names_and_codes_lead_to_the_registry_sector(sectors):
    matcher = SectorMatcher(sectors)
    for text, code in [
        ("WASH", "WAT"),
        ("Water, Sanitation & Hygiene", "WAT"),
        ("EHA", "WAT"),
        ("Health", "HEA"),
        ("HEA", "HEA"),
        ("Education in Emergencies", "EDU"),
        ("Logistics", "TRA"),
        ("Coordination", "CME"),
    ]:
        result = matcher.match(text)
        assert result.ok and result.record.code == code, text


def test_afghanistan_presence_quirks(sectors):
    matcher = SectorMatcher(sectors)
    for text in ("EiE_OP", "EDUCATION_OP", "Operational Presence: Education in Emergencies"):
        assert matcher.match(text).record.code == "EDU", text
    assert matcher.match("Operatioanl Presence: Water, Sanitation & Hygiene").record.code == "WAT"
    assert clean_sector_text("Operatioanl Presence: Water, Sanitation & Hygiene") == "Water, Sanitation & Hygiene"
    assert matcher.match_any("WASH_OP", "Operatioanl Presence: Water, Sanitation & Hygiene").record.code == "WAT"


def test_a_cluster_shared_by_several_sectors_is_ambiguous(sectors):
    matcher = SectorMatcher(sectors)
    result = matcher.match("Early Recovery")
    assert result.status == MatchStatus.ambiguous
    assert {record.code for record in result.candidates} == {"GOV", "ECO", "SOC"}
    assert "choose one" in result.message
    protection = matcher.match("PRO")  # a registry code wins over the cluster code
    assert protection.record.code == "PRO"


def test_unknown_and_misspelt_sectors(sectors):
    matcher = SectorMatcher(sectors)
    result = matcher.match("Eductaion")
    assert result.status == MatchStatus.near_miss
    assert result.candidates[0].code == "EDU"
    assert "did you mean 'Education (EDU)'" in result.message
    assert matcher.match("Nutrition").status == MatchStatus.not_found  # no registry sector for that cluster
    extra = SectorMatcher(sectors, extra_cluster_aliases={"Health": ["NUT", "Nutrition"]})
    assert extra.match("NUT").record.code == "HEA"


# Admin areas -----------------------------------------------------------------------------------


def test_pcodes_exact_and_with_the_other_prefix(areas):
    matcher = AdminAreaMatcher(areas)
    assert matcher.match_pcode("ng008023").record.name == "Mobbar"
    variant = matcher.match_pcode("NGA008")
    assert variant.status == MatchStatus.variant and variant.record.pcode == "NG008"
    assert matcher.match_pcode("NGA008023").record.name == "Mobbar"
    assert matcher.match_pcode("NG999").status == MatchStatus.not_found
    wrong_level = matcher.match_pcode("NG008", level=2)
    assert not wrong_level.ok and "admin 1 area, not admin 2" in wrong_level.message


def test_pcode_variant_ambiguity_is_reported():
    matcher = AdminAreaMatcher([AdminAreaRef(1, "NGA008", "Borno", 1), AdminAreaRef(2, "NGB008", "Other", 1)])
    result = matcher.match_pcode("NG008")
    assert result.status == MatchStatus.ambiguous
    assert len(result.candidates) == 2


def test_names_within_the_parent_and_ambiguous_names(areas):
    matcher = AdminAreaMatcher(areas)
    assert matcher.match_name("central", level=2, parent_pcode="NG002").record.pcode == "NG002010"
    result = matcher.match_name("Central", level=2)
    assert result.status == MatchStatus.ambiguous
    assert result.message == (
        "2 areas are named 'Central' at admin level 2: 'Central (NG002010)' in Adamawa (NG002), "
        "'Central (NG008030)' in Borno (NG008); give the P-code or the parent area"
    )
    near = matcher.match_name("Kondugaa", level=2, parent_pcode="NG008")
    assert near.status == MatchStatus.near_miss and near.candidates[0].name == "Konduga"
    assert matcher.match_name("Konduga", parent_pcode="NG036").status == MatchStatus.not_found


def test_path_resolution(areas):
    matcher = AdminAreaMatcher(areas)
    nigeria_row = [AreaQuery(1, "NGA008", "Borno"), AreaQuery(2, "NG008023", "Mobbar")]
    assert matcher.match_path(nigeria_row).record.pcode == "NG008023"
    by_names = [AreaQuery(1, name="Borno"), AreaQuery(2, name="Central")]
    assert matcher.match_path(by_names).record.pcode == "NG008030"  # the parent settles the name
    deeper = [AreaQuery(1, name="Borno"), AreaQuery(2, name="Central"), AreaQuery(3, name="ward a")]
    assert matcher.match_path(deeper).record.pcode == "NG008030001"
    contradiction = matcher.match_path([AreaQuery(1, "NG036"), AreaQuery(2, "NG008023")])
    assert not contradiction.ok and contradiction.message == "Mobbar (NG008023) is not in Yobe (NG036)"
    code_typo = matcher.match_path([AreaQuery(1, "NG008"), AreaQuery(2, "NG008099", "Konduga")])
    assert not code_typo.ok and code_typo.candidates[0].pcode == "NG008016"
    assert "the name 'Konduga' is Konduga (NG008016)" in code_typo.message
    assert matcher.match_path([AreaQuery(1), AreaQuery(2)]).status == MatchStatus.blank
