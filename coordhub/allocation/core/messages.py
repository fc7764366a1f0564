"""Every sentence the allocation core says to people, in one place (ready to be wrapped for translation).

``REASONS`` maps a stable machine code to an English template; the
placeholders are filled from ``Explanation.params``.  A translation layer can
look up the same code and fill its own template from the same params.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
# Capacities that are not fully used.
NO_NEED_OF_TYPE = "no_need_of_type"
NO_NEED_IN_SERVICE_AREA = "no_need_in_service_area"
NO_NEED_IN_TIME_WINDOW = "no_need_in_time_window"
NEEDS_ALREADY_MET = "needs_already_met"
SURPLUS = "surplus"
NOT_CLEARED = "not_cleared"
THROUGHPUT = "throughput"

NEED_REASONS: Mapping[str, str] = {
    NO_CAPACITY_OF_TYPE: "No partner offers {resource_type}.",
    NO_CAPACITY_IN_AREA: "No {resource_type} capacity serves {pcode} or an area above it.",
    NO_CAPACITY_IN_TIME_WINDOW: (
        "The {resource_type} capacity serving {pcode} is not available between {start} and {end}."
    ),
    EXCLUDED_BY_FORBIDDEN_PAIRS: "Every capacity that could serve it is excluded for this need ({reasons}).",
    NOT_ENOUGH_CAPACITY: "All the capacity that could serve it ({capacities}) is used up; {met} of it went to this need.",
    USED_BY_HIGHER_PRIORITY: "The capacity that could serve it ({capacities}) went to higher-priority needs: {takers}.",
    USED_BY_EQUAL_PRIORITY: (
        "The capacity that could serve it ({capacities}) went to needs of the same or higher priority: {takers}."
    ),
    USED_BY_PINS: "The capacity that could serve it ({capacities}) is pinned to other needs: {takers}.",
    USED_FOR_AREA_COVERAGE: (
        "The capacity that could serve it ({capacities}) went to {takers} to reach the minimum coverage "
        "of every admin-1 area."
    ),
    NOT_WORTH_COST: (
        "Delivering costs at least {unit_cost} per unit, more than the value the policy gives "
        "a unit of priority {priority} ({value})."
    ),
    BUDGET_CAP: "The budget cap of {orgs} is reached, so their spare capacity ({capacities}) cannot be used.",
    SINGLE_PROVIDER: "The policy allows one provider per need and {capacities} already serves it as far as it can.",
    MIN_LOT_SIZE: "The remaining {shortfall} is below the minimum lot size of {lot} units.",
    LOCAL_SHARE: (
        "Using more of the international capacity ({capacities}) would lower the share delivered by "
        "local organisations below {share}."
    ),
    SIDE_CONSTRAINT: "The side constraints of the policy ({constraints}) leave no room for more.",
    TIMED_OUT: "The solver reached its time limit before finding more for this need.",
    INFEASIBLE: "No allocation satisfies every constraint of the policy, so only pinned assignments were kept.",
    NO_ACCESS: "No capacity cleared for restricted access ({clearances}) could serve {area} ({pcode}) in {period}.",
    NO_GO: "{area} ({pcode}) is a no-go area in {period}: nobody may serve it.",
    BOOKED_IN_TIME: (
        "The capacity that could serve it ({capacities}) is fully booked, by throughput or higher priorities, "
        "in the periods from {start} to {end}."
    ),
}

CAPACITY_REASONS: Mapping[str, str] = {
    NO_NEED_OF_TYPE: "No need for {resource_type} is registered.",
    NO_NEED_IN_SERVICE_AREA: "No need for {resource_type} is registered in the areas it serves ({areas}).",
    NO_NEED_IN_TIME_WINDOW: "The {resource_type} needs in the areas it serves fall outside {start} to {end}.",
    EXCLUDED_BY_FORBIDDEN_PAIRS: "It is excluded from every need it could serve ({reasons}).",
    NEEDS_ALREADY_MET: "The needs it could serve are already met by cheaper or pinned capacity: {capacities}.",
    SURPLUS: "It already meets in full every need it could serve; the rest is more than they ask for.",
    NOT_WORTH_COST: "Its cost per unit ({unit_cost}) is more than the value the policy gives the needs it could serve.",
    BUDGET_CAP: "The budget cap of {org} ({cap}) is reached.",
    SINGLE_PROVIDER: "The needs it could serve already have their one provider.",
    MIN_LOT_SIZE: "What the needs it could serve still lack is below the minimum lot size of {lot} units.",
    LOCAL_SHARE: "Using it more would lower the share delivered by local organisations below {share}.",
    SIDE_CONSTRAINT: "The side constraints of the policy ({constraints}) leave no room to use it more.",
    TIMED_OUT: "The solver reached its time limit before finding a use for it.",
    INFEASIBLE: "No allocation satisfies every constraint of the policy, so only pinned assignments were kept.",
    NOT_CLEARED: "Access rules keep it out of every area where it could serve a need ({areas}).",
    THROUGHPUT: (
        "It can deliver at most {throughput} per period, and the needs it could serve can take it only "
        "in periods where it is already fully used."
    ),
}

OPEN_END = "ongoing"
BETWEEN = "the time from {start} to {end}"
WEEK_OF = "the week of {day}"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
AND_MORE = "{listed} and {more} more"
NOT_GIVEN = "no reason given"
TAKER = "{id} (priority {priority}, {quantity})"
CONSTRAINT_NAMES: Mapping[str, str] = {
    "budget_caps": "budget caps",
    "min_admin1_coverage": "minimum coverage per admin-1 area",
    "min_local_share": "minimum local share",
    "single_provider": "one provider per need",
    "min_lot_size": "minimum lot size",
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
NOTE_PLAN_UNSUPPORTED = "a plan over periods cannot yet be combined with {what}"
NOTE_FLOW_OVER_TIME = "The min-cost flow cannot be interrupted and took {seconds} s, over the time limit."


def constraint_list(names: Sequence[str]) -> str:
    """'budget caps, minimum lot size' from Policy.side_constraints() names."""
    return ", ".join(CONSTRAINT_NAMES[name] for name in names) or "none"


def number(value: float) -> str:
    """A quantity or amount for people: no trailing zeros, thousands separated."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def listing(items: Sequence[str], total: int | None = None) -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    total = len(items) if total is None else total
    text = ", ".join(items)
    if total > len(items):
        return AND_MORE.format(listed=text, more=total - len(items))
    return text


def render(subject: str, reason: str, params: Mapping[str, Any]) -> str:
    """The English sentence for an explanation."""
    templates = NEED_REASONS if subject == "need" else CAPACITY_REASONS
    return templates[reason].format(**params)
