from hypothesis import given
from hypothesis import strategies as st

from coordhub.reading.hxl import Hashtag, TagPattern, is_hashtag_row


def test_spaced_and_upper_case_hashtags_are_normalised():
    assert str(Hashtag.parse("#org +acronym")) == "#org+acronym"
    assert str(Hashtag.parse("  #Sector +Cluster +Code ")) == "#sector+cluster+code"
    assert str(Hashtag.parse("#HRP")) == "#hrp"
    assert Hashtag.parse("#org +type +name") == Hashtag.parse("#org+name+type")


def test_blank_and_non_hashtag_cells_are_none():
    for cell in (None, "", "   ", "Organisation", "#", "#1abc", "#org+", "org+name", "#N/A", 2023):
        assert Hashtag.parse(cell) is None


def test_pattern_matches_as_hxl_does():
    org = TagPattern.parse("#org")
    assert org.matches(Hashtag.parse("#org+impl+name"))
    assert not org.matches(Hashtag.parse("#sector"))
    impl = TagPattern.parse("#org+impl")
    assert impl.matches(Hashtag.parse("#org +name +impl"))
    assert not impl.matches(Hashtag.parse("#org+name"))
    reporting = TagPattern.parse("#org-impl-acronym")
    assert reporting.matches(Hashtag.parse("#org+name"))
    assert not reporting.matches(Hashtag.parse("#org+impl"))
    assert not reporting.matches(None)


def test_hashtag_row_detection():
    assert is_hashtag_row(["#adm1+name", "#adm1+code", "#org +acronym", None, ""])
    assert not is_hashtag_row(["REGION", "PROVINCE", "#adm1"])
    assert not is_hashtag_row([None, "", "  "])


names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(tag=names, attributes=st.lists(names, max_size=4), spaces=st.booleans(), upper=st.booleans())
def test_normalisation_is_stable(tag, attributes, spaces, upper):
    joiner = " +" if spaces else "+"
    text = "#" + tag + "".join(joiner + name for name in attributes)
    parsed = Hashtag.parse(text.upper() if upper else text)
    assert parsed is not None
    assert parsed.attributes == frozenset(attributes)
    assert Hashtag.parse(str(parsed)) == parsed
    assert TagPattern.parse(str(parsed)).matches(parsed)
