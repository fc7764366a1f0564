"""Every sentence the allocation core says to people, in one place for translation.

``NEED_REASONS`` and ``CAPACITY_REASONS`` map a stable machine code to an English template.  An
explanation stores the code and its parameters as plain JSON values (ids, numbers, ISO dates, lists:
never words), and :func:`render` fills the template in the language of the ``translate`` function it is
given (gettext in the web application, the identity for the English of the file command).  Templates
are marked with ``_`` (the identity here) so that pybabel extracts them; placeholders are named so that
word order can change between languages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

Translate = Callable[[str], str]
Label = Callable[[str, str], str]  # (kind: need, capacity, resource_type, area; key) -> what people read


def _(message: str) -> str:
    """Marks a message for translation (the identity until a translation layer is given to render)."""
    return message


# Needs that are not fully met.
NO_CAPACITY_OF_TYPE = "no_capacity_of_type"
NO_CAPACITY_IN_AREA = "no_capacity_in_area"
NO_CAPACITY_IN_TIME_WINDOW = "no_capacity_in_time_window"
EXCLUDED_BY_FORBIDDEN_PAIRS = "excluded_by_forbidden_pairs"
NOT_ENOUGH_CAPACITY = "not_enough_capacity"
USED_BY_HIGHER_PRIORITY = "used_by_higher_priority"
USED_BY_EQUAL_PRIORITY = "used_by_equal_priority"
USED_BY_PINS = "used_by_pins"
USED_FOR_AREA_COVERAGE = "used_for_area_coverage"
NOT_WORTH_COST = "not_worth_cost"
BUDGET_CAP = "budget_cap"
SINGLE_PROVIDER = "single_provider"
MIN_LOT_SIZE = "min_lot_size"
LOCAL_SHARE = "local_share"
SIDE_CONSTRAINT = "side_constraint"
TIMED_OUT = "timed_out"
INFEASIBLE = "infeasible"
NO_ACCESS = "no_access"
NO_GO = "no_go"
BOOKED_IN_TIME = "booked_in_time"
LEAD_TIME = "lead_time"
# Capacities that are not fully used.
NO_NEED_OF_TYPE = "no_need_of_type"
NO_NEED_IN_SERVICE_AREA = "no_need_in_service_area"
NO_NEED_IN_TIME_WINDOW = "no_need_in_time_window"
NEEDS_ALREADY_MET = "needs_already_met"
SURPLUS = "surplus"
NOT_CLEARED = "not_cleared"
THROUGHPUT = "throughput"

NEED_REASONS: Mapping[str, str] = {
    NO_CAPACITY_OF_TYPE: _("No partner offers {resource_type}."),
    NO_CAPACITY_IN_AREA: _("No {resource_type} capacity serves {pcode} or an area above it."),
    NO_CAPACITY_IN_TIME_WINDOW: _(
        "The {resource_type} capacity serving {pcode} is not available between {start} and {end}."
    ),
    EXCLUDED_BY_FORBIDDEN_PAIRS: _("Every capacity that could serve it is excluded for this need ({reasons})."),
    NOT_ENOUGH_CAPACITY: _(
        "All the capacity that could serve it ({capacities}) is used up; {met} of it went to this need."
    ),
    USED_BY_HIGHER_PRIORITY: _(
        "The capacity that could serve it ({capacities}) went to higher-priority needs: {takers}."
    ),
    USED_BY_EQUAL_PRIORITY: _(
        "The capacity that could serve it ({capacities}) went to needs of the same or higher priority: {takers}."
    ),
    USED_BY_PINS: _("The capacity that could serve it ({capacities}) is pinned to other needs: {takers}."),
    USED_FOR_AREA_COVERAGE: _(
        "The capacity that could serve it ({capacities}) went to {takers} to reach the minimum coverage "
        "of every admin-1 area."
    ),
    NOT_WORTH_COST: _(
        "Delivering costs at least {unit_cost} per unit, more than the value the policy gives "
        "a unit of priority {priority} ({value})."
    ),
    BUDGET_CAP: _("The budget cap of {orgs} is reached, so their spare capacity ({capacities}) cannot be used."),
    SINGLE_PROVIDER: _("The policy allows one provider per need and {capacities} already serves it as far as it can."),
    MIN_LOT_SIZE: _("The remaining {shortfall} is below the minimum lot size of {lot} units."),
    LOCAL_SHARE: _(
        "Using more of the international capacity ({capacities}) would lower the share delivered by "
        "local organisations below {share}."
    ),
    SIDE_CONSTRAINT: _("The side constraints of the policy ({constraints}) leave no room for more."),
    TIMED_OUT: _("The solver reached its time limit before finding more for this need."),
    INFEASIBLE: _("No allocation satisfies every constraint of the policy, so only pinned assignments were kept."),
    NO_ACCESS: _("No capacity cleared for restricted access ({clearances}) could serve {area} ({pcode}) in {period}."),
    NO_GO: _("{area} ({pcode}) is a no-go area in {period}: nobody may serve it."),
    BOOKED_IN_TIME: _(
        "The capacity that could serve it ({capacities}) is fully booked, by throughput or higher priorities, "
        "in the periods from {start} to {end}."
    ),
    LEAD_TIME: _(
        "Could not mobilise in time: {capacities}, not yet present in {pcode}, need {lead_time} days "
        "to mobilise there and could deliver only from {ready}."
    ),
}

CAPACITY_REASONS: Mapping[str, str] = {
    NO_NEED_OF_TYPE: _("No need for {resource_type} is registered."),
    NO_NEED_IN_SERVICE_AREA: _("No need for {resource_type} is registered in the areas it serves ({areas})."),
    NO_NEED_IN_TIME_WINDOW: _("The {resource_type} needs in the areas it serves fall outside {start} to {end}."),
    EXCLUDED_BY_FORBIDDEN_PAIRS: _("It is excluded from every need it could serve ({reasons})."),
    NEEDS_ALREADY_MET: _("The needs it could serve are already met by cheaper or pinned capacity: {capacities}."),
    SURPLUS: _("It already meets in full every need it could serve; the rest is more than they ask for."),
    NOT_WORTH_COST: _(
        "Its cost per unit ({unit_cost}) is more than the value the policy gives the needs it could serve."
    ),
    BUDGET_CAP: _("The budget cap of {org} ({cap}) is reached."),
    SINGLE_PROVIDER: _("The needs it could serve already have their one provider."),
    MIN_LOT_SIZE: _("What the needs it could serve still lack is below the minimum lot size of {lot} units."),
    LOCAL_SHARE: _("Using it more would lower the share delivered by local organisations below {share}."),
    SIDE_CONSTRAINT: _("The side constraints of the policy ({constraints}) leave no room to use it more."),
    TIMED_OUT: _("The solver reached its time limit before finding a use for it."),
    INFEASIBLE: _("No allocation satisfies every constraint of the policy, so only pinned assignments were kept."),
    NOT_CLEARED: _("Access rules keep it out of every area where it could serve a need ({areas})."),
    THROUGHPUT: _(
        "It can deliver at most {throughput} per period, and the needs it could serve can take it only "
        "in periods where it is already fully used."
    ),
}

OPEN_END = _("ongoing")
BETWEEN = _("the time from {start} to {end}")
BETWEEN_OPEN = _("the time from {start} to ongoing")
WEEK_OF = _("the week of {day}")
MONTHS = (
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
)
MONTH_YEAR = _("{month} {year}")
PERCENT = _("{percent}%")
OR = _("or")
NONE = _("none")
AND_MORE = _("{listed} and {more} more")
NOT_GIVEN = _("no reason given")
TAKER = _("{id} (priority {priority}, {quantity})")
CONSTRAINT_NAMES: Mapping[str, str] = {
    "budget_caps": _("budget caps"),
    "min_admin1_coverage": _("minimum coverage per admin-1 area"),
    "min_local_share": _("minimum local share"),
    "single_provider": _("one provider per need"),
    "min_lot_size": _("minimum lot size"),
}

# Progress of a run (for a background job's progress display).
PROGRESS_CHECKING = "Checking the input"
PROGRESS_MATCHING = "Finding which capacities can serve which needs"
PROGRESS_BUILDING = "Building the optimisation model"
PROGRESS_SOLVING = "Solving"
PROGRESS_SOLVING_BLOCK = "Solving part {index} of {count} ({types})"
PROGRESS_EXPLAINING = "Explaining unmet needs and unused capacities"
PROGRESS_DONE = "Done"

# Notes on a whole run.
NOTE_TIME_LIMIT = "The solver stopped at the time limit of {seconds} s; the result is the best found so far."
NOTE_INFEASIBLE = "The side constraints cannot all be met: {detail}."
INFEASIBLE_BLOCK = "the {constraints} cannot hold together for {types}"
NOTE_LATENESS_PER_UNIT = (
    "Lateness is weighed per unit against cost (one period of delay of one unit outweighs any unit cost), "
    "not strictly before cost: the costs are too large for the strict order."
)
NOTE_PLAN_UNSUPPORTED = "a plan over periods cannot be combined with {what} (the value trade-off): leave it out"
NOTE_BUDGET_PER_PERIOD_NEEDS_PLAN = "budget_per_period: budgets per period need a plan over periods"
NOTE_FLOW_OVER_TIME = "The min-cost flow cannot be interrupted and took {seconds} s, over the time limit."


def constraint_list(names: Sequence[str], translate: Translate = _) -> str:
    """'budget caps, minimum lot size' from Policy.side_constraints() names."""
    return ", ".join(translate(CONSTRAINT_NAMES[name]) for name in names) or translate(NONE)


def number(value: float) -> str:
    """A quantity or amount for people: no trailing zeros, thousands separated."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def listing(items: Sequence[str], total: int | None = None, translate: Translate = _) -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    total = len(items) if total is None else total
    text = ", ".join(items)
    if total > len(items):
        return translate(AND_MORE).format(listed=text, more=total - len(items))
    return text


def period(kind: str, start: str, end: str | None, translate: Translate = _) -> str:
    """'March 2027' (kind 'month'), 'the week of 2027-03-01' ('week'), 'the time from 2027-03-01 to ongoing'
    (any other kind: a need's window; end None when open)."""
    if kind == "month":
        day = date.fromisoformat(start)
        return translate(MONTH_YEAR).format(month=translate(MONTHS[day.month - 1]), year=day.year)
    if kind == "week":
        return translate(WEEK_OF).format(day=start)
    if end is None:
        return translate(BETWEEN_OPEN).format(start=start)
    return translate(BETWEEN).format(start=start, end=end)


def _key(kind: str, key: str) -> str:
    return key


_NUMBERS = ("met", "shortfall", "unused", "unit_cost", "value", "lot", "cap", "throughput")


def render(
    subject: str,
    reason: str,
    params: Mapping[str, Any],
    translate: Translate = _,
    *,
    label: Label = _key,
    number: Callable[[float], str] = number,
) -> str:
    """The sentence of an explanation (subject 'need' or 'capacity') from its reason code and parameters as
    :func:`explain` stores them.  translate: gettext for the reader's language (the identity gives the
    English of the file command); label: the name people read for a need or capacity id, a resource-type
    code or a P-code (default: the id or code itself); number: how quantities and amounts are written.
    Raises KeyError for an unknown reason or a missing parameter."""
    template = (NEED_REASONS if subject == "need" else CAPACITY_REASONS)[reason]
    values: dict[str, Any] = dict(params)
    for name in _NUMBERS:
        if name in params:
            values[name] = number(params[name])
    if "resource_type" in params:
        values["resource_type"] = label("resource_type", params["resource_type"])
    if "pcode" in params and "area" not in params:  # the access sentences name the area themselves
        values["pcode"] = label("area", params["pcode"])
    for name in ("start", "end"):
        if name in params:
            values[name] = params[name] or translate(OPEN_END)
    if "capacities" in params:
        values["capacities"] = listing(
            [label("capacity", key) for key in params["capacities"]], params.get("capacities_total"), translate
        )
    if "takers" in params:
        values["takers"] = listing(
            [
                translate(TAKER).format(id=label("need", key), priority=priority, quantity=number(quantity))
                for key, priority, quantity in params["takers"]
            ],
            params.get("takers_total"),
            translate,
        )
    for name in ("orgs", "areas"):
        if name in params:
            values[name] = listing(params[name], params.get(f"{name}_total"), translate) or translate(NONE)
    if "constraints" in params:
        values["constraints"] = constraint_list(params["constraints"], translate)
    if "reasons" in params:
        values["reasons"] = "; ".join(sorted({reason or translate(NOT_GIVEN) for reason in params["reasons"]}))
    if "share" in params:
        values["share"] = translate(PERCENT).format(percent=format(params["share"] * 100, ".0f"))
    if "period_kind" in params:
        values["period"] = period(params["period_kind"], params["period_start"], params.get("period_end"), translate)
    if "clearances" in params:
        values["clearances"] = f" {translate(OR)} ".join(params["clearances"])
    return translate(template).format(**values)
