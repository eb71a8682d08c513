"""The grammar of observation metrics: what a row's `metric` may say, parsed in one place, and its value
computed from a run's tables.

    metric    := term ('+' term)* ['[' filter (',' filter)* ']']
    term      := quantity ['_' window] ['_share'] ['_' qualifier]
    window    := per_day | cumulative | month          (none: that day)
    filter    := nationality=<country or demonym> | cohort=<cohort>(;<cohort>)* | children | adults
               | household=families | household=alone
    (cohort: departures cohorts, counted together)
    qualifier := words naming a nationality (`_haitian`, `_el_salvador`) or a place (`_bajo_chiquito`)

A quantity is a counted flow (arrivals, departures, set_out, crossed, every outcome of the registry, a
port's processed and signups), a stock (present, in_transit, caravan_size, a port's waitlist, the people
in each state of the registry: `state_<name>`) or wait_days. Quantity and metric aliases keep the names
the observation files use (`waitlist_length`, `passed_through`, `deported_by_mexico_cumulative`,
`tickets_sold_per_day`...). docs/model.md ("Observation metrics") defines each one.

`parse(text)` knows nothing of a scenario; `resolve(sc, text, place)` checks a parsed metric against a
scenario (its tables, ports, caravans, nationalities, places) and folds the qualifier into the filters or
the target; `value(res, resolved, ...)` computes it. A metric the scenario cannot produce though another
could (a port's list without ports) is a MetricError: one line, with the valid ones. What no run produces (an
input, a quantity no mechanism counts yet, a flow by nationality or age) resolves unscored, with the reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from .. import states

if TYPE_CHECKING:  # evaluate/ sits below output/: it reads a run's record, never imports the output layer
    from ..output.results import RunResult
    from ..scenario.model import Scenario

Kind = Literal["flow", "stock", "statistic", "input", "missing"]
On = Literal["place", "port", "caravan", "total", "edge", "none"]

WINDOWS = ("per_day", "cumulative", "month")
WAIT_WINDOW = 7  # wait_days: those called in the 7 days ending on the date
TOTAL = "total"  # the place column's name for the whole scenario
ALL_NATIONS = "*"  # daily()'s nationality filter for every nationality together (a share's base)
OUTSIDE = "-"  # place_names.csv's place for a name the scenario does not model: its rows are shown, not scored


class MetricError(ValueError):
    """A metric or place an observation cannot have in this scenario: `problem` and what is valid."""

    def __init__(self, problem: str, expected: str | None = None, field: str = "metric") -> None:
        super().__init__(problem)
        self.problem, self.expected, self.field = problem, expected, field


@dataclass(frozen=True)
class Quantity:
    name: str
    kind: Kind
    on: On  # what the place column selects: places, the ports there, caravans there, the whole run, its edge
    label: str
    filters: tuple[str, ...] = ()  # the filters it takes


def _quantities() -> dict[str, Quantity]:
    q = [
        Quantity("present", "stock", "place", "people at the places at the end of the day",
                 ("children", "adults", "nationality", "cohort", "household")),
        Quantity("in_transit", "stock", "place", "people on roads towards the places at the end of the day, plus "
                 "people at route waypoints (markers) outside the border region where a port's list is signed"),
        Quantity("caravan_size", "stock", "caravan", "members of the caravans at, passing through, leaving or on "
                 "the road out of the place that day (where none is: of those that set out from there)"),
        Quantity("arrivals", "flow", "place", "people who arrived at the places that day (by nationality: those on "
                 "their own who arrived along a road, not caravans' members nor people brought)", ("nationality",)),
        Quantity("departures", "flow", "place", "people who left the places that day"),
        Quantity("set_out", "flow", "place", "people who set out on their journey from the places that day "
                 "(new people entering the run: the places table's `spawned`)"),
        Quantity("crossed", "flow", "edge", "people who left the area across its edge that day: set out on a road "
                 "from one of its places to a place outside it, were taken by one of its ports (by a crossing "
                 "to a place outside it), or crossed between ports from it (crossed_caught, crossed_undetected, "
                 "crossed_surrendered)"),
        *(Quantity(o.name, "flow", "place", o.label) for o in states.OUTCOMES),
        Quantity("waitlist", "stock", "port", "names on the lists of the ports there at the end of the day"),
        Quantity("processed", "flow", "port", "people the ports there called that day: claims a port of entry "
                 "took, people a crossing (onward_to) took across"),
        Quantity("signups", "flow", "port", "names added to the ports' lists that day"),
        Quantity("wait_days", "statistic", "port", f"median days on the list of those the ports there called in "
                 f"the {WAIT_WINDOW} days ending that day"),
        *(Quantity(f"state_{s.name}", "stock", "total", f"people {s.label} (state {s.name}) at the end of the day")
          for s in states.counted()),
        Quantity("returns", "missing", "none", "no mechanism counts people turning back along the route yet"),
        Quantity("ticket_refund_requests", "missing", "none", "no mechanism counts people leaving a list yet"),
        Quantity("capacity", "input", "none", "an input of the scenario (a capacity), not a result: not scored"),
        Quantity("quota_excess", "input", "none", "arithmetic on an input (a quota), not a result: not scored"),
    ]  # fmt: skip
    return {x.name: x for x in q}


QUANTITIES: dict[str, Quantity] = _quantities()

# The names the reported figures of the 2018 caravans were first written under (observations.csv of
# tijuana-2018 and the shared observation files): metric -> (outcomes summed, cumulative?). The grammar
# reads them through QUANTITY_ALIASES below (deported_by_mexico -> deported...); kept as data for readers.
FATE_ALIASES: dict[str, tuple[tuple[str, ...], bool]] = {
    "deported_by_mexico": (("deported",), False),
    "deported_by_mexico_cumulative": (("deported",), True),
    "returned_to_origin_cumulative": (("deported", "returned_home"), True),
    "returned_voluntarily_cumulative": (("returned_home",), True),
    "asylum_requests_mexico_cumulative": (("refuge",), True),
    "apprehended_us": (("crossed_caught",), False),
}

# A quantity written under another name (any window may follow): name -> quantities summed
QUANTITY_ALIASES: dict[str, str] = {
    "deported_by_mexico": "deported",
    "returned_to_origin": "deported+returned_home",
    "returned_voluntarily": "returned_home",
    "asylum_requests_mexico": "refuge",
    "apprehended_us": "crossed_caught",
    "waitlist_length": "waitlist",
    "tickets_sold": "signups",
    "ticket_wait_days": "wait_days",
    "spawned": "set_out",
    "deaths": "died",
    # a state by its own name, where no outcome or quantity has it
    **{s.name: f"state_{s.name}" for s in states.counted() if s.name not in QUANTITIES},
}

# A whole metric written under another name
METRIC_ALIASES: dict[str, str] = {
    "passed_through": "arrivals_cumulative",
    "departed": "departures_cumulative",
    "children_present": "present[children]",
    "children_cumulative": "arrivals_cumulative[children]",
    "children_share": "arrivals_cumulative_share[children]",
    "nationality_share": "arrivals_cumulative_share[nationality]",
}

# nationality qualifiers and filter values: demonym -> country (a country's own name works too)
DEMONYMS: dict[str, str] = {
    "brazilian": "Brazil", "chilean": "Chile", "colombian": "Colombia", "costa rican": "Costa Rica",
    "cuban": "Cuba", "ecuadorian": "Ecuador", "guatemalan": "Guatemala", "haitian": "Haiti",
    "honduran": "Honduras", "mexican": "Mexico", "nicaraguan": "Nicaragua", "panamanian": "Panama",
    "peruvian": "Peru", "salvadoran": "El Salvador", "salvadorean": "El Salvador", "venezuelan": "Venezuela",
}  # fmt: skip

FILTER_SYNTAX = "[nationality=<country>], [cohort=<cohort>], [household=families|alone], [children] or [adults]"
# household types: people in a household with children, and people on their own (a household of one)
HOUSEHOLD_TYPES = {"families": "in_families", "alone": "alone"}


@dataclass(frozen=True)
class Metric:
    """A parsed metric: the quantities summed, the window, whether it is a share, a qualifier not yet
    resolved, and the filters."""

    text: str
    quantities: tuple[str, ...]
    window: str = "day"  # 'day' (also written _per_day), 'cumulative', 'month'
    share: bool = False  # 100 x the filtered count / the unfiltered count
    qualifier: str = ""  # plain words after the window: a nationality or a place, resolved against a scenario
    # ('nationality', country), ('cohort', a departures cohort), ('household', 'families' | 'alone') and
    # ('age', 'children' | 'adults')
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def kinds(self) -> set[Kind]:
        return {QUANTITIES[q].kind for q in self.quantities}

    def canonical(self) -> str:
        """The metric in the grammar's own words (qualifier included, aliases expanded)."""
        suffix = "" if self.window == "day" else f"_{self.window}"
        text = "+".join(q + suffix for q in self.quantities)
        if self.share:
            text += "_share"
        if self.qualifier:
            text += "_" + self.qualifier.replace(" ", "_")
        if self.filters:
            text += "[" + ",".join(v if k == "age" else f"{k}={v}" if v else k for k, v in self.filters) + "]"
        return text


def grammar_summary() -> str:
    """The grammar in one line, for an error's 'expected'."""
    flows = [n for n, q in QUANTITIES.items() if q.kind == "flow"]
    stocks = [n for n, q in QUANTITIES.items() if q.kind == "stock" and not n.startswith("state_")]
    return (
        f"<quantity>[_per_day|_cumulative|_month][_share][_<nationality or place>][{FILTER_SYNTAX[1:-1]}...] "
        f"with a flow ({', '.join(flows)}), a stock ({', '.join(stocks)}, state_<state>) or wait_days, "
        "or an alias (docs/model.md, Observation metrics)"
    )


_FILTERS = re.compile(r"^(?P<body>[^\[\]]+?)\s*(?:\[(?P<filters>[^\[\]]*)\])?$")


@lru_cache(maxsize=4096)
def parse(text: str) -> Metric:
    """The metric `text` in the grammar (MetricError when it is not): knows no scenario."""
    raw = text
    m = _FILTERS.match(text.strip())
    if not m:
        raise MetricError("not an observation metric", grammar_summary())
    filters = _parse_filters(m.group("filters")) if m.group("filters") is not None else ()
    alias = m.group("body")
    if alias in METRIC_ALIASES:  # a whole metric by another name; filters may follow (passed_through[children])
        m = _FILTERS.match(METRIC_ALIASES[alias])
        assert m, f"metric alias {alias} outside the grammar"
        own = _parse_filters(m.group("filters")) if m.group("filters") is not None else ()
        if {k for k, _ in own} & {k for k, _ in filters}:
            raise MetricError(f"a filter given twice ({alias} is {METRIC_ALIASES[alias]})",
                              f"each of {FILTER_SYNTAX} at most once")  # fmt: skip
        filters = own + filters
    terms = [_parse_term(t.strip()) for t in m.group("body").split("+")]
    quantities: list[str] = []
    for qs, _, _, _ in terms:
        quantities += qs
    windows, shares, quals = {t[1] for t in terms}, {t[2] for t in terms}, {t[3] for t in terms}
    if len(windows) > 1 or len(shares) > 1 or len(quals) > 1:
        raise MetricError(
            "the terms of a sum differ in window, share or qualifier", "terms alike: a_cumulative+b_cumulative"
        )
    share = shares.pop()
    if share and len(quantities) > 1:
        raise MetricError("a share of a sum", "a share of one quantity (arrivals_cumulative_share[children])")
    out = Metric(raw, tuple(quantities), windows.pop(), share, quals.pop(), filters)
    _check_shape(out)
    return out


def _parse_term(body: str) -> tuple[list[str], str, bool, str]:
    words = body.split("_")
    for n in range(len(words), 0, -1):
        head = "_".join(words[:n])
        if head in QUANTITIES or head in QUANTITY_ALIASES:
            break
    else:
        raise MetricError(f"unknown quantity in '{body}'", grammar_summary())
    quantities = QUANTITY_ALIASES.get(head, head).split("+")
    rest = words[n:]
    window = "day"
    if rest[:2] == ["per", "day"]:
        rest = rest[2:]
    elif rest[:1] in (["cumulative"], ["month"]):
        window, rest = rest[0], rest[1:]
    share = rest[:1] == ["share"]
    if share:
        rest = rest[1:]
    if any(not w for w in rest):
        raise MetricError(f"an empty word in '{body}'", grammar_summary())
    return quantities, window, share, " ".join(rest)


def _parse_filters(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in (i.strip() for i in text.split(",")):
        key, eq, val = (s.strip() for s in item.partition("="))
        if key in ("children", "adults") and not eq:
            out.append(("age", key))
        elif key in ("nationality", "cohort"):
            out.append((key, val))
        elif key == "household" and val in HOUSEHOLD_TYPES:
            out.append((key, val))
        elif key == "household":
            raise MetricError(f"unknown household type '{val}'", "[household=families] or [household=alone]")
        else:
            raise MetricError(f"unknown filter '{item}'", FILTER_SYNTAX)
    if len({k for k, _ in out}) < len(out):
        raise MetricError("a filter given twice", f"each of {FILTER_SYNTAX} at most once")
    return tuple(out)


def _check_shape(m: Metric) -> None:
    """What the grammar refuses whatever the scenario: a window on a stock, a share without a filter."""
    if m.window != "day" and m.kinds & {"stock", "statistic"}:
        what = ", ".join(q for q in m.quantities if QUANTITIES[q].kind in ("stock", "statistic"))
        raise MetricError(
            f"{what} is a stock, counted on the day: it has no _{m.window}",
            "_cumulative or _month only on a flow; a YYYY-MM date compares a stock's mean over the month",
        )
    if m.share and not (m.filters or m.qualifier):
        raise MetricError("a share names no group", f"a filter or a nationality: {FILTER_SYNTAX}, _haitian")


# --- resolving against a scenario ---------------------------------------------------------------------


def norm(name: str) -> str:
    """A name compared without case, accents, underscores or repeated spaces."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("_", " ").replace("-", " ").split())


def nations(sc: Scenario) -> list[str]:
    """Every country of the run, in the order of the record's `nation` axis (sim.network's `nations`:
    the places' countries and the departures' nationalities, sorted)."""
    return sorted({p.country for p in sc.places} | {d.nationality for d in sc.departures if d.nationality})


def scenario_names(sc: Scenario) -> set[str]:
    """The names a target may take: places, cities (within), regions and countries."""
    out = set()
    for p in sc.places:
        out.update(n for n in (p.name, p.within, p.region, p.country) if n)
    return out


def resolve_place(sc: Scenario, name: str, names: Mapping[str, str] | None = None) -> str:
    """The scenario name a place column's `name` stands for: itself, its entry in the scenario's
    place_names.csv (`names`), or a name equal but for case, accents and underscores; 'total' is the whole
    run. MetricError (field 'place') with a suggestion when none is."""
    own = scenario_names(sc)
    if name == TOTAL or name in own:
        return name
    names = names or {}
    if name in names:
        return names[name]
    by_norm = {norm(n): n for n in own} | {norm(k): v for k, v in names.items()}
    if norm(name) in by_norm:
        return by_norm[norm(name)]
    close = difflib.get_close_matches(name, sorted(own | set(names)), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise MetricError(
        "unknown place",
        "a place, city (within), region or country of the scenario, a name in its place_names.csv, or 'total'" + hint,
        field="place",
    )


def resolve_nationality(sc: Scenario, text: str) -> str:
    """The scenario's country a nationality (a country or demonym, any case) names; MetricError if none."""
    known = nations(sc)
    key = norm(text)
    country = DEMONYMS.get(key, text)
    for n in known:
        if norm(n) == norm(country):
            return n
    raise MetricError(f"nationality '{text}' is not one of the scenario's", "one of " + ", ".join(known))


@dataclass(frozen=True)
class Resolved:
    """A metric checked against a scenario: qualifier folded in, filters in the scenario's names."""

    metric: Metric
    target: str
    scored: bool = True
    why_not: str = ""  # where not scored: why it has no simulated value


def resolve(sc: Scenario, text: str, place: str, names: Mapping[str, str] | None = None) -> Resolved:
    """`text` (a metric) at `place` (the place column) checked against scenario `sc`: MetricError (field
    'metric' or 'place') naming what is valid when the scenario cannot produce it."""
    m = parse(text)
    target: str | None = None
    if place == OUTSIDE or (names or {}).get(place) == OUTSIDE:
        return Resolved(m, OUTSIDE, scored=False, why_not="a place the scenario does not model (place_names.csv: -)")
    filters = list(m.filters)
    if m.qualifier:
        try:
            filters.append(("nationality", resolve_nationality(sc, m.qualifier)))
        except MetricError:
            try:
                target = resolve_place(sc, m.qualifier, names)
            except MetricError:
                raise MetricError(
                    f"'{m.qualifier}' in metric '{text}' names no nationality or place of the scenario",
                    "a nationality (" + ", ".join(nations(sc)) + ") or a place of the scenario",
                ) from None
    filters = [(k, resolve_nationality(sc, v) if k == "nationality" and v else v) for k, v in filters]
    for k, v in filters:
        for c in v.split(";") if k == "cohort" else ():
            if c not in sc.cohorts()[1:]:
                raise MetricError(
                    f"metric '{text}': cohort '{c}' is not one of the scenario's",
                    "cohorts separated by ';', of "
                    + (", ".join(sc.cohorts()[1:]) or "none (departures.csv names none)"),
                )
    if len({k for k, _ in filters}) < len(filters):
        raise MetricError(f"metric '{text}': a filter given twice", f"each of {FILTER_SYNTAX} at most once")
    if target is None:
        target = resolve_place(sc, place, names)
    m = replace(m, qualifier="", filters=tuple(filters))
    if m.share and not filters:  # the qualifier named a place: a share of everyone there would always be 100
        raise MetricError(
            f"metric '{text}': a share names no group ('{target}' is a place)",
            f"a filter or a nationality: {FILTER_SYNTAX}, _haitian",
        )
    quantities = [QUANTITIES[q] for q in m.quantities]
    # What no run of any scenario has (an input, a quantity no mechanism produces yet, a flow by nationality or
    # age) is read and shown without a value, with the reason, and not scored: the observation files keep such
    # rows. What this scenario lacks and another could have is an error, with what it can produce.
    for quantity in quantities:
        if quantity.kind in ("input", "missing"):
            return Resolved(m, target, scored=False, why_not=f"{quantity.name}: {quantity.label}")
    for quantity in quantities:
        why = _not_produced(sc, quantity)
        if why:
            raise MetricError(f"metric '{text}' is not produced by this scenario: {why}", valid_metrics(sc))
    for quantity in quantities:
        for k, v in filters:
            if k not in quantity.filters and not (k == "age" and v in quantity.filters):
                by = "age" if k == "age" else k
                why = f"{quantity.name} is not counted by {by} in a run's tables (people present are: present[...])"
                return Resolved(m, target, scored=False, why_not=why)
    for k, v in filters:
        if k == "nationality" and not v:
            if m.share:  # a reported share whose nationality only the note names (nationality_share)
                return Resolved(m, target or place, scored=False, why_not="a share that names no nationality")
            raise MetricError(
                f"metric '{text}' names no nationality", "[nationality=<country>], e.g. [nationality=Haiti]"
            )
        table = {"nationality": "nations", "cohort": "cohorts", "household": "in_families"}.get(k, "children")
        if not _recorded(sc, table):
            why = {
                "nationality": "it keeps no counts by nationality (scenario.yaml: counts_by_nationality: true, with "
                "nationalities in departures.csv)",
                "cohort": "it keeps no counts by cohort (scenario.yaml: counts_by_cohort: true, with cohorts in "
                "departures.csv)",
                "household": "nobody sets out in households (departures.csv: household_size above 1)",
            }.get(k, "no departure has children")
            raise MetricError(f"metric '{text}' is not produced by this scenario: {why}", valid_metrics(sc))
    if len(filters) > 1:
        raise MetricError(
            f"metric '{text}': counts by nationality, cohort, household and age together are not kept",
            FILTER_SYNTAX + ", one",
        )
    _check_target(sc, m, target)
    return Resolved(m, target)


def _recorded(sc: Scenario, table: str) -> bool:
    """Whether a run of `sc` fills the record table `table` (it is declared by a component and needed)."""
    from ..sim.components import COMPONENTS

    for c in COMPONENTS:
        for t in c.tables:
            if t.name == table:
                return t.needed is None or bool(t.needed(sc))
    return False


# why a scenario cannot reach a state or outcome whose registry entry has a `when` (a Scenario method)
_WHEN_NOT = {
    "has_road_deaths": "no road has a death_rate (links.csv), so nobody dies",
    "has_surrender": "no crossed hazard has a surrender share (hazards.csv), so nobody surrenders",
}


def _not_produced(sc: Scenario, q: Quantity) -> str:
    """Why scenario `sc` cannot produce quantity `q` ('' when it can)."""
    if q.kind == "missing":
        return q.label
    if q.on == "port":
        return "" if sc.ports else "no ports"
    if q.on == "caravan":
        return "" if sc.caravans else "no caravans"
    if q.name in states.OUTCOME_NAMES:
        outcome = states.OUTCOMES[states.OUTCOME_NAMES.index(q.name)]
        if outcome not in states.outcomes(sc):
            return _WHEN_NOT.get(outcome.when, f"{q.name} does not happen in it ({outcome.when} is false)")
        return "" if _recorded(sc, "fates") else "no hazards or marches, so no outcomes"
    if q.name.startswith("state_"):
        state = states.BY_NAME[q.name.removeprefix("state_")]
        if state not in states.counted(sc):
            return _WHEN_NOT.get(state.when, f"nobody is ever {state.label} in it ({state.when} is false)")
    return ""


def valid_metrics(sc: Scenario) -> str:
    """The quantities scenario `sc` produces, windows and filters, in one line."""
    names = [n for n, q in QUANTITIES.items() if q.kind in ("flow", "stock", "statistic") and not _not_produced(sc, q)]
    plain = [n for n in names if not n.startswith("state_")]
    filters = [f for f, t in (("[nationality=<country>]", "nations"), ("[cohort=<cohort>]", "cohorts"),
                              ("[household=families|alone]", "in_families"), ("[children] or [adults]", "children"))
               if _recorded(sc, t)]  # fmt: skip
    arrivals = " (and [nationality=<country>] on arrivals)" if _recorded(sc, "nations") else ""
    return (
        f"one of {', '.join(plain)}, state_<state>; _per_day, _cumulative or _month on a flow"
        + (f"; {' and '.join(filters)} on present{arrivals}" if filters else "")
        + " (docs/model.md, Observation metrics)"
    )


def _check_target(sc: Scenario, m: Metric, target: str) -> None:
    for q in m.quantities:
        on = QUANTITIES[q].on
        if on == "port" and not port_indices(sc, target):
            where = ", ".join(p.place for p in sc.ports)
            raise MetricError(
                f"{q} is counted at ports: no port at '{target}'",
                f"a port ({where}) or a place where its list is signed",
                field="place",
            )
        if on == "total" and target != TOTAL and len(place_indices(sc, target)) != len(sc.places):
            raise MetricError(
                f"{q} is counted for the whole run, not per place",
                "place 'total' (or an area holding every place)",
                field="place",
            )


# --- the places, ports and roads a target covers --------------------------------------------------------


def place_indices(sc: Scenario, where: str) -> np.ndarray:
    """The places named `where`, or within that city, region or country; every place for 'total'."""
    if where == TOTAL:
        return np.arange(len(sc.places), dtype=np.int64)
    return np.array(sc.places_matching(where), dtype=np.int64)


def members(sc: Scenario, where: str) -> np.ndarray:
    """The places an observation's place covers. For a port that is where its people are: the port,
    the places where its list is signed and every place in the same cities."""
    port = next((p for p in sc.ports if p.place == where), None)
    if port is None:
        return place_indices(sc, where)
    names = {port.place, *port.signup_places}
    cities = {p.within for p in sc.places if p.name in names and p.within}
    return np.array([i for i, p in enumerate(sc.places) if p.name in names or p.name in cities or p.within in cities])


def port_indices(sc: Scenario, where: str) -> list[int]:
    """The ports a target covers: the port itself, or those whose place or a sign-up place lies in it."""
    inside = {sc.places[i].name for i in place_indices(sc, where)}
    return [k for k, p in enumerate(sc.ports) if p.place == where or inside & {p.place, *p.signup_places}]


def _waypoints(sc: Scenario, cols: np.ndarray) -> np.ndarray:
    """Route waypoints (markers) among `cols`, leaving out those in a region where a port's list is
    signed: people there have reached the border."""
    names = {n for port in sc.ports for n in (port.place, *port.signup_places)}
    border = {p.region for p in sc.places if p.name in names and p.region}
    keep = [j for j in cols if sc.places[j].kind == "marker" and sc.places[j].region not in border]
    return np.array(keep, dtype=np.int64)


def _leaving(sc: Scenario, where: str, inside: np.ndarray) -> list[int]:
    """The ports of `where` whose people called leave it: a port of entry's (into custody), or a crossing's
    whose far side (`onward_to`) lies outside it (a crossing within the area moves people inside it)."""
    idx = sc.place_index()
    within = set(inside.tolist())
    out = []
    for k in port_indices(sc, where):
        onward = getattr(sc.ports[k], "onward_to", None)
        if onward is None or idx[onward] not in within:
            out.append(k)
    return out


def _edge_roads(sc: Scenario, inside: np.ndarray) -> np.ndarray:
    """The directed roads (record order: road i is 2i a->b, 2i+1 b->a) from a place in `inside` to one
    outside it."""
    idx = sc.place_index()
    mask = np.zeros(len(sc.places), bool)
    mask[inside] = True
    out = []
    for i, ln in enumerate(sc.links):
        a, b = idx[ln.a], idx[ln.b]
        if mask[a] and not mask[b]:
            out.append(2 * i)
        if mask[b] and not mask[a]:
            out.append(2 * i + 1)
    return np.array(out, dtype=np.int64)


# --- values -------------------------------------------------------------------------------------------


def _caravan_sizes(res: RunResult, places: np.ndarray) -> np.ndarray:
    """days: the members of the caravans whose stops from the one they last left (`caravan_from`) to the one
    they last reached (`caravan_stop`) include one of `places`; on a day none does, the members of the
    caravans that set out from one of them."""
    idx = res.scenario.place_index()
    rec = res.record
    at, origin = np.zeros(res.days), np.zeros(res.days)
    for g, cv in enumerate(res.scenario.caravans):
        inside = np.isin([idx[s.place] for s in cv.stops], places)
        seen = np.concatenate([[0], np.cumsum(inside)])  # seen[k]: stops among the first k that are inside
        last, first = rec.caravan_stop[:, g], np.maximum(0, rec.caravan_from[:, g])
        there = (last >= 0) & (seen[last + 1] > seen[np.minimum(first, last + 1)])
        size = rec.caravan_size[:, g].astype(np.float64)
        at += np.where(there, size, 0.0)
        if inside[0]:
            origin += size
    return np.where(at != 0, at, origin)


def wait_medians(res: RunResult, ports: list[int]) -> np.ndarray:
    """days: the median days waited by those the `ports` called in the WAIT_WINDOW days ending each day
    (NaN where nobody was)."""
    out = np.full(res.days, np.nan)
    day, port, waited = res.record.wait_table()
    mine = np.isin(port, ports)
    d, w = day[mine], waited[mine]
    order = np.argsort(d, kind="stable")
    d, w = d[order], w[order]
    lo = np.searchsorted(d, np.arange(res.days) - WAIT_WINDOW + 1, side="left")
    hi = np.searchsorted(d, np.arange(res.days), side="right")
    for t in np.flatnonzero(hi > lo):
        out[t] = np.median(w[lo[t] : hi[t]])
    return out


def daily(res: RunResult, q: str, target: str, filters: tuple[tuple[str, str], ...] = ()) -> np.ndarray:
    """Quantity `q` at `target` on each day of the run (days,): that day's count of a flow, the level of a
    stock at the end of the day, wait_days (NaN where nobody was called)."""
    sc, rec = res.scenario, res.record
    quantity = QUANTITIES[q]
    if quantity.on == "port":
        ks = port_indices(sc, target)
        if q == "wait_days":
            return wait_medians(res, ks)
        return getattr(rec, q)[:, ks].sum(axis=1).astype(np.float64)
    if quantity.on == "total":
        return rec.census[:, states.BY_NAME[q.removeprefix("state_")].code].astype(np.float64)
    if quantity.on == "edge":
        inside = place_indices(sc, target)
        out = rec.link_entries[:, _edge_roads(sc, inside)].sum(axis=1)
        out = out + rec.processed[:, _leaving(sc, target, inside)].sum(axis=1) if sc.ports else out
        if len(rec.fates):
            between = [states.F_CAUGHT, states.F_THROUGH, states.F_SURRENDERED]
            out = out + rec.fates[:, inside][:, :, between].sum(axis=(1, 2))
        return out.astype(np.float64)
    cols = members(sc, target)
    f = dict(filters)
    if q == "present":
        if "nationality" in f:
            n = nations(sc).index(f["nationality"])
            return rec.nations[:, cols, n].sum(axis=1).astype(np.float64)
        if "cohort" in f:
            ks = [sc.cohorts().index(c) for c in f["cohort"].split(";")]
            return rec.cohorts[:, cols][:, :, ks].sum(axis=(1, 2)).astype(np.float64)
        if "household" in f:
            return getattr(rec, HOUSEHOLD_TYPES[f["household"]])[:, cols].sum(axis=1).astype(np.float64)
        total = rec.population[:, cols].sum(axis=1)
        if f.get("age") == "children":
            return rec.children[:, cols].sum(axis=1).astype(np.float64)
        if f.get("age") == "adults":
            return (total - rec.children[:, cols].sum(axis=1)).astype(np.float64)
        return total.astype(np.float64)
    if q == "in_transit":
        return (rec.in_transit[:, cols].sum(axis=1) + rec.population[:, _waypoints(sc, cols)].sum(axis=1)).astype(
            np.float64
        )
    if q == "caravan_size":
        return _caravan_sizes(res, cols)
    if q in states.OUTCOME_NAMES:
        return rec.fates[:, cols, states.OUTCOME_NAMES.index(q)].sum(axis=1).astype(np.float64)
    if q == "arrivals" and "nationality" in f:  # ALL_NATIONS: every nationality, the base of a share by one
        by_nation = rec.nation_arrivals[:, cols].sum(axis=1)
        n = f["nationality"]
        return (by_nation.sum(axis=1) if n == ALL_NATIONS else by_nation[:, nations(sc).index(n)]).astype(np.float64)
    table = {"arrivals": rec.arrivals, "departures": rec.departures, "set_out": rec.spawned}[q]
    return table[:, cols].sum(axis=1).astype(np.float64)


def month_span(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar months from `first`'s to `last`'s: (their first day, their last day)."""
    end = calendar.monthrange(last.year, last.month)[1]
    return first.replace(day=1), last.replace(day=end)


def value(res: RunResult, r: Resolved, first: dt.date, last: dt.date, since: dt.date | None = None) -> float | None:
    """The run's value of a resolved metric over the dates [first, last] (one day, or a month or two):
    on a day, the day's value; over months, a `_month` flow's total, anything else's mean over the days
    (days without a value left out). A cumulative count starts on `since` (else the run's first day).
    None where the period is not wholly simulated or nothing has a value."""
    m = r.metric
    if not r.scored:
        return None
    start = res.scenario.start_date
    if m.window == "month":
        first, last = month_span(first, last)
    a, b = (first - start).days, (last - start).days
    if a < 0 or b >= res.days:
        return None

    def one(filters: tuple[tuple[str, str], ...]) -> float | None:
        total = np.zeros(res.days)
        for q in m.quantities:
            total = total + daily(res, q, r.target, filters)
        if m.window == "cumulative":
            s = max(0, (since - start).days) if since else 0
            run = np.zeros(res.days)
            run[s:] = np.cumsum(total[s:])
            total = run
        if m.window == "month":
            return float(total[a : b + 1].sum())
        if a == b:
            v = total[a]
            return None if np.isnan(v) else float(v)
        part = total[a : b + 1]
        part = part[~np.isnan(part)]
        return float(part.mean()) if len(part) else None

    got = one(m.filters)
    if not m.share or got is None:
        return got
    # the base counts what the share's group is counted in: arrivals by nationality are those of people on their
    # own along roads, so their share is of every such arrival
    flows_by_nation = any(k == "nationality" for k, _ in m.filters) and "arrivals" in m.quantities
    base = one((("nationality", ALL_NATIONS),) if flows_by_nation else ())
    return None if not base else 100.0 * got / base
