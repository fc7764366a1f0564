"""How strongly two activities overlap: the weights, and the scoring of candidate pairs in bulk.

score = spatial × activity type × title × target group × time, each factor in (0, 1]:

- spatial: ``SPATIAL_DECAY ** g`` where g is the number of admin levels between the two areas
  (same area: 1; a province containing a district: 0.75; a country containing a district: 0.56);
- activity type: same known type 1, a type unknown on either side 0.8, different types 0.4
  (the pair is then "complementary");
- title: ``TITLE_BASE + (1 - TITLE_BASE) × s`` with s the rapidfuzz token-set similarity of the
  titles (descriptions when a title is empty) in [0, 1], or ``TITLE_UNKNOWN`` when a title is
  missing or the pair is complementary (titles of different kinds of work are not compared);
- target group: ``TARGET_DIFFERENT`` when both are given and differ, else 1;
- time: ``TIME_BASE + (1 - TIME_BASE) × f`` with f the share of the shorter date range that the
  intersection covers (1 when a range is unbounded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from coordhub.overlap.core.model import OverlapKind
from coordhub.overlap.core.table import NO_END, NO_START, ActivityTable

SPATIAL_DECAY = 0.75
TYPE_SAME = 1.0
TYPE_UNKNOWN = 0.8
TYPE_DIFFERENT = 0.4
TITLE_BASE = 0.75
TITLE_UNKNOWN = 0.5
TARGET_DIFFERENT = 0.85
TIME_BASE = 0.5

#: kind codes used in arrays, indexing this tuple
KINDS = (OverlapKind.OVERLAP, OverlapKind.COMPLEMENTARY, OverlapKind.DUPLICATE_ENTRY,
         OverlapKind.DOUBLE_COUNT)
OVERLAP, COMPLEMENTARY, DUPLICATE_ENTRY, DOUBLE_COUNT = range(4)
#: kind code of a pair that is not reported: one organisation's own work of different types
OWN_WORK = -1


@dataclass(slots=True)
class PairScores:
    """Scores of pairs of rows, one array entry per pair.

    ``start``/``end`` are the intersection as day ordinals (NO_START / NO_END when unbounded),
    ``days`` is -1 when unbounded, ``similarity`` is NaN when a title is missing, ``counted``
    is the row counted in coverage for double counts (-1 otherwise) and ``funder`` the other.
    """

    score: np.ndarray
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray
    days: np.ndarray
    similarity: np.ndarray
    counted: np.ndarray
    funder: np.ndarray


def title_similarity(table: ActivityTable, text_a: np.ndarray, text_b: np.ndarray) -> np.ndarray:
    """Token-set similarity in [0, 1] of interned texts; NaN where either text is missing."""
    out = np.full(len(text_a), np.nan)
    both = (text_a >= 0) & (text_b >= 0)
    out[both & (text_a == text_b)] = 1.0
    differ = np.flatnonzero(both & (text_a != text_b))
    if len(differ):
        texts = table.texts.keys
        n = len(texts)
        lo = np.minimum(text_a[differ], text_b[differ])
        hi = np.maximum(text_a[differ], text_b[differ])
        keys, inverse = np.unique(lo * n + hi, return_inverse=True)
        first = [texts[k] for k in (keys // n).tolist()]
        second = [texts[k] for k in (keys % n).tolist()]
        # texts were interned in rapidfuzz's processed form, so no processor here
        values = cpdist(first, second, scorer=fuzz.token_set_ratio, workers=-1) / 100.0
        out[differ] = values[inverse]
    return out


def score_pairs(table: ActivityTable, ra: np.ndarray, rb: np.ndarray, gap: np.ndarray) -> PairScores:
    """Score pairs of rows known to share a sector and related areas ``gap`` levels apart.

    The date ranges must intersect (callers only pass such pairs). The result does not depend
    on which row of a pair comes first. One organisation's activities of different types get
    kind :data:`OWN_WORK`: not a duplicate entry, and nobody else to coordinate with.
    """
    sa, sb = table.start[ra], table.start[rb]
    ea, eb = table.end[ra], table.end[rb]
    start = np.maximum(sa, sb)
    end = np.minimum(ea, eb)
    bounded = (start != NO_START) & (end != NO_END)
    days = np.where(bounded, end - start + 1, -1)
    span_a = np.where((sa != NO_START) & (ea != NO_END), ea - sa + 1, np.inf)
    span_b = np.where((sb != NO_START) & (eb != NO_END), eb - sb + 1, np.inf)
    shorter = np.minimum(span_a, span_b)
    share = np.where(np.isfinite(shorter) & bounded, days / np.where(np.isfinite(shorter), shorter, 1), 1.0)
    time_weight = TIME_BASE + (1 - TIME_BASE) * np.minimum(share, 1.0)

    ta, tb = table.type[ra], table.type[rb]
    known = (ta >= 0) & (tb >= 0)
    compatible = ~known | (ta == tb)
    type_weight = np.where(~known, TYPE_UNKNOWN, np.where(ta == tb, TYPE_SAME, TYPE_DIFFERENT))

    similarity = np.full(len(ra), np.nan)
    alike = np.flatnonzero(compatible)
    similarity[alike] = title_similarity(table, table.text[ra[alike]], table.text[rb[alike]])
    title_weight = TITLE_BASE + (1 - TITLE_BASE) * np.where(np.isnan(similarity), TITLE_UNKNOWN,
                                                            similarity)
    ga, gb = table.target[ra], table.target[rb]
    target_weight = np.where((ga >= 0) & (gb >= 0) & (ga != gb), TARGET_DIFFERENT, 1.0)

    spatial = SPATIAL_DECAY ** np.arange(int(gap.max(initial=0)) + 1)
    score = spatial[gap] * type_weight * title_weight * target_weight * time_weight

    same_org = table.org[ra] == table.org[rb]
    names_ab = table.names_partner(ra, rb)
    names_ba = table.names_partner(rb, ra)
    double = compatible & (names_ab | names_ba) & ~(same_org & names_ab & names_ba)
    kind = np.full(len(ra), OVERLAP, dtype=np.int8)
    kind[~compatible] = COMPLEMENTARY
    kind[~compatible & same_org] = OWN_WORK
    kind[compatible & same_org] = DUPLICATE_ENTRY
    kind[double] = DOUBLE_COUNT
    # the partner's report counts; the funder's report (the one naming the partner) is linked
    counted = np.where(double, np.where(names_ab, rb, ra), -1)
    for k in np.flatnonzero(double & names_ab & names_ba).tolist():
        # both name each other: keep the report with the smaller id, whatever the row order
        a, b = table.activities[ra[k]], table.activities[rb[k]]
        counted[k] = ra[k] if a.id < b.id else rb[k]
    funder = np.where(double, np.where(counted == ra, rb, ra), -1)
    return PairScores(score=score, kind=kind, start=start, end=end, days=days,
                      similarity=similarity, counted=counted, funder=funder)
