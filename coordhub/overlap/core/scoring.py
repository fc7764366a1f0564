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

from coordhub.overlap.core.model import InvalidInput, OverlapKind
from coordhub.overlap.core.table import NO_END, NO_START, ActivityTable

SPATIAL_DECAY = 0.75
TYPE_UNKNOWN = 0.8
TYPE_DIFFERENT = 0.4
TITLE_BASE = 0.75
TITLE_UNKNOWN = 0.5
TARGET_DIFFERENT = 0.85
TIME_BASE = 0.5

#: kind codes used in arrays, indexing this tuple
KINDS = (OverlapKind.OVERLAP, OverlapKind.COMPLEMENTARY, OverlapKind.DUPLICATE_ENTRY, OverlapKind.DOUBLE_COUNT)
OVERLAP, COMPLEMENTARY, DUPLICATE_ENTRY, DOUBLE_COUNT = range(4)
#: kind code of a pair that is not reported: one organisation's own work of different types
OWN_WORK = -1


@dataclass(slots=True)
class PairScores:
    """Scores of pairs of rows, one array entry per pair.

    ``score`` (float32, see :data:`SCORE_DECIMALS`), ``kind`` (a code indexing :data:`KINDS`,
    or :data:`OWN_WORK`), ``similarity`` (float32, NaN when not compared) and ``counted``: for
    double counts the row counted in coverage (the other row of the pair is the funder's
    report), -1 otherwise.
    """

    score: np.ndarray
    kind: np.ndarray
    similarity: np.ndarray
    counted: np.ndarray

    def take(self, index: np.ndarray) -> PairScores:
        return PairScores(self.score[index], self.kind[index], self.similarity[index], self.counted[index])


#: scores are compared and reported rounded to this many decimals
SCORE_DECIMALS = 6


def check_min_score(min_score: float) -> None:
    """Raise :class:`InvalidInput` unless ``min_score`` lies in [0, 1]."""
    if not 0.0 <= min_score <= 1.0:
        raise InvalidInput(f"min_score must lie in [0, 1], not {min_score}", field="min_score")


def intersections(table: ActivityTable, ra: np.ndarray, rb: np.ndarray):
    """(start, end, days) of the pairs' date intersections as day ordinals; ``days`` is -1 and
    ``start``/``end`` are NO_START/NO_END where the intersection is unbounded."""
    start = np.maximum(table.start[ra], table.start[rb])
    end = np.minimum(table.end[ra], table.end[rb])
    days = end - start + 1
    days[(start == NO_START) | (end == NO_END)] = -1
    return start, end, days


def title_similarity(table: ActivityTable, text_a: np.ndarray, text_b: np.ndarray) -> np.ndarray:
    """Token-set similarity in [0, 1] of interned texts (float32); NaN where either is missing."""
    out = np.full(len(text_a), np.nan, dtype=np.float32)
    both = (text_a >= 0) & (text_b >= 0)
    out[both & (text_a == text_b)] = 1.0
    differ = np.flatnonzero(both & (text_a != text_b))
    if len(differ):
        texts = table.texts.keys
        n = len(texts)
        lo = np.minimum(text_a[differ], text_b[differ]).astype(np.int64)
        hi = np.maximum(text_a[differ], text_b[differ])
        keys, inverse = np.unique(lo * n + hi, return_inverse=True)
        first = [texts[k] for k in (keys // n).tolist()]
        second = [texts[k] for k in (keys % n).tolist()]
        # texts were interned in rapidfuzz's processed form, so no processor here
        values = cpdist(first, second, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.float32)
        out[differ] = values[inverse] / np.float32(100)
    return out


def score_pairs(table: ActivityTable, ra: np.ndarray, rb: np.ndarray, gap: np.ndarray) -> PairScores:
    """Score pairs of rows known to share a sector and related areas ``gap`` levels apart.

    The date ranges must intersect (callers only pass such pairs). The result does not depend
    on which row of a pair comes first. One organisation's activities of different types get
    kind :data:`OWN_WORK`: not a duplicate entry, and nobody else to coordinate with.
    Weights are float32 (millions of pairs; a score needs no more than 6 decimals).
    """
    n = len(ra)
    f32 = np.float32
    # time: share of the shorter date range covered by the intersection
    _, _, days = intersections(table, ra, rb)
    sa, sb, ea, eb = table.start[ra], table.start[rb], table.end[ra], table.end[rb]
    unbounded = np.iinfo(np.int32).max
    shorter = np.where((sa != NO_START) & (ea != NO_END), ea - sa + 1, unbounded)
    np.minimum(shorter, np.where((sb != NO_START) & (eb != NO_END), eb - sb + 1, unbounded), out=shorter)
    del sa, sb, ea, eb
    finite = np.flatnonzero((days > 0) & (shorter < unbounded))
    score = np.ones(n, dtype=f32)
    score[finite] = days[finite] / shorter[finite]
    score *= f32(1 - TIME_BASE)
    score += f32(TIME_BASE)
    del shorter, finite, days

    score *= (f32(SPATIAL_DECAY) ** np.arange(int(gap.max(initial=0)) + 1, dtype=f32))[gap]

    ta, tb = table.type[ra], table.type[rb]
    known = (ta >= 0) & (tb >= 0)
    equal = ta == tb
    compatible = ~known | equal
    score[known & ~equal] *= f32(TYPE_DIFFERENT)
    score[~known] *= f32(TYPE_UNKNOWN)
    del ta, tb, known, equal

    # titles are compared for the same or an unknown activity type only
    similarity = np.full(n, np.nan, dtype=f32)
    alike = np.flatnonzero(compatible)
    similarity[alike] = title_similarity(table, table.text[ra[alike]], table.text[rb[alike]])
    title = np.where(np.isnan(similarity), f32(TITLE_UNKNOWN), similarity)
    title *= f32(1 - TITLE_BASE)
    title += f32(TITLE_BASE)
    score *= title
    del title, alike

    ga, gb = table.target[ra], table.target[rb]
    score[(ga >= 0) & (gb >= 0) & (ga != gb)] *= f32(TARGET_DIFFERENT)
    del ga, gb

    same_org = table.org[ra] == table.org[rb]
    names_ab = table.names_partner(ra, rb)
    names_ba = table.names_partner(rb, ra)
    double = compatible & (names_ab | names_ba) & ~(same_org & names_ab & names_ba)
    kind = np.full(n, OVERLAP, dtype=np.int8)
    kind[~compatible] = COMPLEMENTARY
    kind[~compatible & same_org] = OWN_WORK
    kind[compatible & same_org] = DUPLICATE_ENTRY
    kind[double] = DOUBLE_COUNT
    # the partner's report counts; the funder's report (the one naming the partner) is linked
    counted = np.full(n, -1, dtype=np.int32)
    doubles = np.flatnonzero(double)
    counted[doubles] = np.where(names_ab[doubles], rb[doubles], ra[doubles])
    for k in np.flatnonzero(double & names_ab & names_ba).tolist():
        # both name each other: keep the report with the smaller id, whatever the row order
        a, b = table.activities[ra[k]], table.activities[rb[k]]
        counted[k] = ra[k] if a.id < b.id else rb[k]
    return PairScores(score=score, kind=kind, similarity=similarity, counted=counted)
