"""The grammar of observation metrics (evaluate/metrics.py, docs/model.md "Observation metrics"): what a row's
metric may say, what it counts on small runs whose answer is known in advance, and the one-line errors for a
metric or place a scenario cannot produce; then the shared observation files, read as they are."""

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.evaluate import metrics
from corridor.evaluate.metrics import QUANTITIES, MetricError, parse, resolve
from corridor.evaluate.observations import (
    Observation,
    compare,
    compare_values,
    parse_date,
    read_observations,
    read_place_names,
    simulate,
    since,
)
from corridor.scenario.model import ConflictPeriod, Departure, Link, MoveRules, Place, Port, Scenario, SpawnRules

from conftest import line_scenario

ROOT = Path(__file__).resolve().parents[1]
TIJUANA = ROOT / "scenarios" / "tijuana-2018"
SHARED = ROOT.parent / "shared" / "observations"
HEADER = "date,place,metric,value,low,high,source,note\n"


def ob(date: str, metric: str, place: str, note: str = "") -> Observation:
    """An observation row as read from a file (its figures do not matter here)."""
    first, period = parse_date(date)
    return Observation(row=2, date=first, place=place, metric=metric, value=1, low=1, high=1, note=note, period=period)


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


# --- small runs -------------------------------------------------------------------------------------------


def january_february():
    """One person a day in January 2020, two a day in February, from Origin to Camp (10 km: the same day);
    nobody leaves the camp. 60 days: the run ends on 29 Feb."""
    arrivals = {d: 1 if d < 31 else 2 for d in range(60)}
    return line_scenario([10], days=60, arrivals=arrivals)


@pytest.fixture(scope="module")
def line_run():
    res = Simulation(january_february()).run(seed=0, check=True)
    camp = res.scenario.place_index()["Camp"]
    assert res.record.arrivals[:, camp].tolist() == [1] * 31 + [2] * 29  # what every value below follows from
    return res


def two_ports(days=10):
    """100 people a day reach PortA (40 claims a day) from OriginA and 100 reach PortB (25 a day) from OriginB,
    each the day they set out; both sign on arrival. PortA lies in Tijuana (region BC), PortB in region Sonora."""
    places = [
        Place(name="OriginA", kind="conflict_zone", country="HN", population=10_000),
        Place(name="OriginB", kind="conflict_zone", country="GT", population=10_000),
        Place(name="PortA", kind="port_of_entry", country="MX", region="BC", within="Tijuana"),
        Place(name="PortB", kind="port_of_entry", country="MX", region="Sonora"),
    ]
    return Scenario(
        name="two-ports",
        start_date="2018-11-01",
        days=days,
        places=places,
        links=[Link(a="OriginA", b="PortA", distance=10), Link(a="OriginB", b="PortB", distance=10)],
        conflicts=[ConflictPeriod(place=p, start=0, end=days) for p in ("OriginA", "OriginB")],
        ports=[Port(place="PortA", capacity_per_day=40), Port(place="PortB", capacity_per_day=25)],
        spawn=SpawnRules(mode="conflict", rate=100, rate_mode="constant"),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0),
    )


@pytest.fixture(scope="module")
def ports_run():
    return Simulation(two_ports()).run(seed=1, check=True)


def nationalities(counts=True, days=5):
    """30 Haitians set out from Origin on day 0 and 10 Cubans on day 1, and reach Camp (Darien, PA) the same
    day; 5 children set out from Town on day 0 and stay there (no road out)."""
    places = [
        Place(name="Origin", kind="town", country="CO"),
        Place(name="Town", kind="town", country="CO"),
        Place(name="Camp", kind="camp", country="PA", region="Darien"),
    ]
    departures = [
        Departure(place="Origin", start=0, count=30, nationality="Haiti"),
        Departure(place="Origin", start=1, count=10, nationality="Cuba"),
        Departure(place="Town", start=0, count=5, children=1.0),
    ]
    return Scenario(
        name="nationalities",
        start_date="2021-06-01",
        days=days,
        places=places,
        links=[Link(a="Origin", b="Camp", distance=10)],
        departures=departures,
        counts_by_nationality=counts,
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0, default_movechance=1.0),
    )


@pytest.fixture(scope="module")
def nations_run():
    return Simulation(nationalities()).run(seed=0, check=True)


# --- (a) parsing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, window",
    [
        ("arrivals", "day"),
        ("arrivals_per_day", "day"),
        ("arrivals_cumulative", "cumulative"),
        ("arrivals_month", "month"),
        ("crossed_per_day", "day"),
        ("processed_month", "month"),
    ],
)
def test_a_window_follows_the_quantity_and_none_means_that_day(text, window):
    assert parse(text).window == window


def test_a_share_is_of_a_filtered_group_and_a_qualifier_is_the_words_left_over():
    m = parse("arrivals_cumulative_share[children]")
    assert (m.quantities, m.window, m.share, m.filters) == (("arrivals",), "cumulative", True, (("age", "children"),))
    assert parse("arrivals_month_haitian").qualifier == "haitian"
    assert parse("arrivals_per_day_bajo_chiquito").qualifier == "bajo chiquito"
    assert parse("present_share_haitian").share
    assert parse("present[nationality=Haiti]").filters == (("nationality", "Haiti"),)
    assert parse("present[adults]").filters == (("age", "adults"),)
    assert parse("deported_cumulative+refuge_cumulative").quantities == ("deported", "refuge")


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("waitlist_length", "waitlist"),
        ("deported_by_mexico", "deported"),
        ("deported_by_mexico_cumulative", "deported_cumulative"),
        ("returned_to_origin_cumulative", "deported_cumulative+returned_home_cumulative"),
        ("returned_voluntarily_cumulative", "returned_home_cumulative"),
        ("asylum_requests_mexico_cumulative", "refuge_cumulative"),
        ("apprehended_us", "crossed_caught"),
        ("passed_through", "arrivals_cumulative"),
        ("departed", "departures_cumulative"),
        ("tickets_sold_per_day", "signups"),
        ("ticket_wait_days", "wait_days"),
        ("spawned_cumulative", "set_out_cumulative"),
        ("on_list", "state_on_list"),
        ("children_present", "present[children]"),
        ("children_cumulative", "arrivals_cumulative[children]"),
        ("nationality_share", "arrivals_cumulative_share[nationality]"),
        # a whole-metric alias takes filters like any metric
        ("passed_through[nationality=Haiti]", "arrivals_cumulative[nationality=Haiti]"),
        ("departed[adults]", "departures_cumulative[adults]"),
    ],
)
def test_the_observation_files_names_are_aliases_in_the_grammar(alias, canonical):
    assert parse(alias).canonical() == canonical


@pytest.mark.parametrize(
    "text, says",
    [
        ("foo", "unknown quantity in 'foo'"),
        ("arrivals__x", "an empty word"),
        ("present[", "not an observation metric"),
        ("present[colour=red]", "unknown filter 'colour=red'"),
        ("present[children,adults]", "a filter given twice"),
        ("children_present[adults]", "a filter given twice"),
        ("present_cumulative", "present is a stock, counted on the day: it has no _cumulative"),
        ("waitlist_month", "waitlist is a stock"),
        ("wait_days_cumulative", "wait_days is a stock"),
        ("present_share", "a share names no group"),
        ("deported+refuge_cumulative", "the terms of a sum differ"),
        ("deported_share+refuge_share[children]", "a share of a sum"),
    ],
)
def test_a_malformed_metric_is_a_one_line_error_with_the_grammar(text, says):
    with pytest.raises(MetricError) as exc:
        parse(text)
    assert says in one_line(exc.value)
    assert exc.value.expected and "\n" not in exc.value.expected


def test_an_unknown_quantity_is_answered_with_every_quantity_and_window():
    with pytest.raises(MetricError) as exc:
        parse("arrivalz_per_day")
    expected = exc.value.expected
    for word in ("_per_day", "_cumulative", "_month", "_share", "arrivals", "present", "waitlist", "wait_days"):
        assert word in expected


# --- (a) against a scenario: what it cannot produce --------------------------------------------------------


def test_a_waiting_list_on_a_scenario_without_ports_is_an_error_listing_what_it_can_produce():
    sc = january_february()
    with pytest.raises(MetricError) as exc:
        resolve(sc, "waitlist_length", "Camp")
    assert "'waitlist_length' is not produced by this scenario: no ports" in one_line(exc.value)
    valid = exc.value.expected.removeprefix("one of ").split(";")[0].split(", ")
    assert {"present", "in_transit", "arrivals", "departures", "set_out", "crossed"} <= set(valid)
    assert not {"waitlist", "processed", "wait_days", "caravan_size", "deported"} & set(valid)
    assert "[nationality" not in exc.value.expected  # nor filters it does not keep
    # the same scenario with ports lists them
    assert {"waitlist", "processed", "signups", "wait_days"} <= set(
        metrics.valid_metrics(two_ports()).removeprefix("one of ").split(";")[0].split(", ")
    )


def test_a_quantity_no_mechanism_produces_is_read_but_not_scored_and_says_why(ports_run):
    # the observation files keep such rows: they are shown without a value, not refused
    missing = [n for n, q in QUANTITIES.items() if q.kind == "missing"]
    assert {"returns", "ticket_refund_requests"} <= set(missing)
    for name in missing:
        r = resolve(ports_run.scenario, f"{name}_cumulative", "PortA")
        assert not r.scored and QUANTITIES[name].label in r.why_not
        row = ob("2018-11-05", f"{name}_per_day", "PortA")
        assert simulate(ports_run, row) is None
        [entry] = compare_values([[None]], [row], ports_run.scenario, ports_run.days)
        assert QUANTITIES[name].label in entry["why_no_value"]
    with pytest.raises(MetricError):  # a place it does not have is still an error
        resolve(ports_run.scenario, "returns_per_day", "Medellin")


def test_an_input_is_read_but_not_scored_and_says_why(ports_run):
    sc = ports_run.scenario
    r = resolve(sc, "capacity_per_day", "PortA")
    assert not r.scored and "not a result" in r.why_not
    row = ob("2018-11-05", "capacity_per_day", "PortA")
    assert simulate(ports_run, row) is None
    [entry] = compare_values([[None]], [row], sc, ports_run.days)
    assert entry["simulated"] is None and "not a result" in entry["why_no_value"]


@pytest.mark.parametrize(
    "metric, place, says",
    [
        ("waitlist", "OriginA", "waitlist is counted at ports: no port at 'OriginA'"),
        ("state_on_list", "PortA", "state_on_list is counted for the whole run, not per place"),
    ],
)
def test_a_quantity_at_a_place_that_cannot_have_it_is_a_place_error(metric, place, says):
    with pytest.raises(MetricError) as exc:
        resolve(two_ports(), metric, place)
    assert says in one_line(exc.value) and exc.value.field == "place"


def test_a_share_whose_qualifier_names_a_place_names_no_group():
    # present_share_camp would be everyone at Camp over everyone at Camp: 100, whatever the run
    with pytest.raises(MetricError) as exc:
        resolve(nationalities(), "present_share_camp", "total")
    assert "a share names no group" in one_line(exc.value)


def test_deaths_are_the_died_outcome_counted_where_the_road_leads_and_only_where_a_road_kills():
    # 400 km at 200 km a day: everyone spends a night on the road, and a death rate of 1 kills them all
    sc = line_scenario([400], days=5, arrivals={0: 10, 2: 4})
    sc = sc.model_copy(update={"links": [Link(a="Origin", b="Camp", distance=400, death_rate=1.0)]})
    res = Simulation(sc).run(seed=0, check=True)
    assert [simulate(res, ob(f"2020-01-0{d}", "deaths", "Camp")) for d in range(1, 6)] == [10, 0, 4, 0, 0]
    assert simulate(res, ob("2020-01-04", "deaths_cumulative", "Camp")) == 14
    assert simulate(res, ob("2020-01-04", "deaths_cumulative", "Origin")) == 0
    assert simulate(res, ob("2020-01-04", "state_died", "total")) == 14
    for metric, place in (("deaths_cumulative", "Camp"), ("state_died", "total")):
        with pytest.raises(MetricError) as exc:
            resolve(line_scenario([400]), metric, place)
        assert "no road has a death_rate" in one_line(exc.value)
        assert "died" not in exc.value.expected


# --- (b) a cumulative flow from the date the note names ---------------------------------------------------


def test_a_cumulative_flow_counts_from_the_date_the_note_names(line_run):
    assert simulate(line_run, ob("2020-02-10", "arrivals_cumulative", "Camp")) == 31 + 2 * 10
    assert simulate(line_run, ob("2020-02-10", "passed_through", "Camp")) == 51
    for note in ("arrivals since 1 Feb 2020", "Since 1 February 2020", "since 2020-02-01 (all)"):
        assert simulate(line_run, ob("2020-02-10", "arrivals_cumulative", "Camp", note)) == 2 * 10, note
    # a start before the run counts from its first day; a note without a date changes nothing
    assert simulate(line_run, ob("2020-01-10", "arrivals_cumulative", "Camp", "since 1 Dec 2019")) == 10
    assert simulate(line_run, ob("2020-01-10", "arrivals_cumulative", "Camp", "since the start")) == 10
    # the note is read only for a cumulative window: that day's arrivals stay that day's
    assert simulate(line_run, ob("2020-02-10", "arrivals", "Camp", "since 1 Feb 2020")) == 2
    assert simulate(line_run, ob("2020-01-05", "departed", "Origin")) == 5


def test_since_reads_the_dates_notes_are_written_in():
    assert since("Central Americans deported since 19 Oct 2018 (all)") == dt.date(2018, 10, 19)
    assert since("since 13 November 2018") == dt.date(2018, 11, 13)
    assert since("Since 2021-06-01") == dt.date(2021, 6, 1)
    assert since("by 20 Oct") is None and since("") is None


# --- (c) months ---------------------------------------------------------------------------------------------


def test_a_month_flow_is_the_months_total_and_a_stock_its_mean_over_the_month(line_run):
    assert simulate(line_run, ob("2020-01", "arrivals_month", "Camp")) == 31
    assert simulate(line_run, ob("2020-02", "arrivals_month", "Camp")) == 2 * 29
    assert simulate(line_run, ob("2020-01/02", "arrivals_month", "Camp")) == 31 + 58
    assert simulate(line_run, ob("2020-02-15", "arrivals_month", "Camp")) == 58  # a day: its month's total
    # people at the camp: 1..31 in January, 31 + 2, 31 + 4, ... 89 in February
    january, february = np.arange(1, 32), 31 + 2 * np.arange(1, 30)
    assert simulate(line_run, ob("2020-01", "present", "Camp")) == january.mean() == 16
    assert simulate(line_run, ob("2020-02", "present", "Camp")) == february.mean() == 61
    assert simulate(line_run, ob("2020-01/02", "present", "Camp")) == pytest.approx(
        np.concatenate([january, february]).mean()
    )
    assert simulate(line_run, ob("2020-02-10", "present", "Camp")) == 31 + 2 * 10
    # a daily flow over a month: its mean day
    assert simulate(line_run, ob("2020-01", "arrivals_per_day", "Camp")) == 1
    assert simulate(line_run, ob("2020-02", "arrivals_per_day", "Camp")) == 2
    assert simulate(line_run, ob("2020-01/02", "arrivals_per_day", "Camp")) == pytest.approx(89 / 60)


def test_a_period_the_run_does_not_wholly_cover_has_no_value_and_says_so(line_run):
    sc = line_run.scenario
    for date, metric in (("2020-03", "present"), ("2020-02/03", "arrivals_month"), ("2019-12", "arrivals_month")):
        row = ob(date, metric, "Camp")
        assert simulate(line_run, row) is None
        [entry] = compare_values([[None]], [row], sc, line_run.days)
        assert entry["why_no_value"] == "period not wholly simulated"
    [entry] = compare_values([[None]], [ob("2020-03-01", "present", "Camp")], sc, line_run.days)
    assert entry["why_no_value"] == "date outside the simulated period"


def test_dates_are_days_months_or_two_months_of_a_year(tmp_path):
    assert parse_date("2021-08-04") == (dt.date(2021, 8, 4), "")
    assert parse_date("2021-08") == (dt.date(2021, 8, 1), "2021-08")
    assert parse_date("2021-05/06") == (dt.date(2021, 5, 1), "2021-05/06")
    assert ob("2021-05/06", "present", "x").last == dt.date(2021, 6, 30)
    assert ob("2020-02", "present", "x").last == dt.date(2020, 2, 29)
    assert ob("2021-08-04", "present", "x").last == dt.date(2021, 8, 4)
    for bad in ("2021-13", "2021-06/05", "2021-00", "20210804", "2021-W31-3", "4 Aug 2021", "2021-8-4"):
        path = tmp_path / "obs.csv"
        path.write_text(HEADER + f"{bad},Camp,present,1,1,1,,\n", encoding="utf-8")
        with pytest.raises(ScenarioError) as exc:
            read_observations(path)
        assert "malformed date" in one_line(exc.value) and "YYYY-MM/MM" in str(exc.value), bad


# --- (d) place names ----------------------------------------------------------------------------------------


@pytest.fixture
def named(tmp_path):
    """january_february() in a folder whose place_names.csv maps the names a source uses."""
    sc = january_february()
    places = [p.model_copy(update={"region": "North"}) if p.name != "Camp" else p for p in sc.places]
    sc = sc.model_copy(update={"places": places, "source": str(tmp_path)})
    (tmp_path / "place_names.csv").write_text(
        'name,place\n"Camp X (Country B, UN count)",Camp\nNorthern area,North\nAll of B,B\nEverywhere,total\n',
        encoding="utf-8",
    )
    return sc


def test_place_names_map_a_sources_names_to_a_place_region_country_or_the_whole_run(named, tmp_path):
    assert read_place_names(named) == {
        "Camp X (Country B, UN count)": "Camp",
        "Northern area": "North",
        "All of B": "B",
        "Everywhere": "total",
    }
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER + '2020-01-05,"Camp X (Country B, UN count)",present,1,1,1,,\n'
        "2020-01,Northern area,departures_month,1,1,1,,\n"
        "2020-01-05,All of B,present,1,1,1,,\n"
        "2020-01-05,Everywhere,state_at_place,1,1,1,,\n"
        '2020-01-05,"camp x (country b, un count)",present,1,1,1,,\n',  # case does not matter
        encoding="utf-8",
    )
    rows = read_observations(path, named)
    assert [o.target for o in rows] == ["Camp", "North", "B", "total", "Camp"]
    res = Simulation(named).run(seed=0)
    assert [simulate(res, o) for o in rows] == [5, 31, 5, 5, 5]
    # read without the scenario, a row is resolved when it is simulated, through the same table
    assert [simulate(res, o) for o in read_observations(path)] == [5, 31, 5, 5, 5]


def test_a_place_the_scenario_does_not_model_is_shown_without_a_value(named, tmp_path):
    # place_names.csv maps a source's name to '-': its rows are read, shown with the reason, and not scored
    (tmp_path / "place_names.csv").write_text("name,place\nA far station,-\nCamp X,Camp\n", encoding="utf-8")
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER + "2020-01-05,A far station,present,800,800,800,,\n2020-01-05,Camp X,present,1,1,1,,\n", encoding="utf-8"
    )
    rows = read_observations(path, named)
    res = Simulation(named).run(seed=0)
    assert [simulate(res, o) for o in rows] == [None, 5]
    far, camp = compare([res], rows)
    assert far["simulated"] is None and far["within_range"] is None
    assert far["why_no_value"] == "a place the scenario does not model (place_names.csv: -)"
    assert camp["simulated"] == 5


def test_an_unknown_place_is_a_one_line_error_with_a_suggestion(named, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "2020-01-05,Kamp,present,1,1,1,,\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        read_observations(path, named)
    text = one_line(exc.value)
    assert "obs.csv:2" in text and "field 'place'" in text and "unknown place" in text
    assert "place_names.csv" in text and "did you mean 'Camp'" in text
    with pytest.raises(MetricError) as exc:
        resolve(named, "present", "Darien (Panama)")
    assert exc.value.field == "place"


def test_a_place_names_table_naming_no_place_of_the_scenario_is_refused_at_its_line(named, tmp_path):
    (tmp_path / "place_names.csv").write_text("name,place\nCamp X,Camp\nTown Y,Kamp\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        read_place_names(named)
    assert "place_names.csv:3" in one_line(exc.value) and "unknown place" in str(exc.value)
    (tmp_path / "place_names.csv").write_text("name,place\nCamp X,Camp\nCamp X,Origin\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        read_place_names(named)
    assert "name given twice" in one_line(exc.value)
    (tmp_path / "place_names.csv").unlink()
    assert read_place_names(named) == {}


def test_a_metric_the_scenario_cannot_produce_stops_the_reading_at_its_row(named, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "2020-01-05,Camp,present,1,1,1,,\n2020-01-05,Camp,waitlist_length,1,1,1,,\n")
    with pytest.raises(ScenarioError) as exc:
        read_observations(path, named)
    text = one_line(exc.value)
    assert "obs.csv:3" in text and "field 'metric'" in text and "no ports" in text and "one of present" in text
    # not strict: the row is kept, without a value, and the comparison says why
    rows = read_observations(path, named, strict=False)
    [entry] = compare_values([[None]], rows[1:], named, 60)
    assert "no ports" in entry["why_no_value"]


# --- (e) nationalities and households --------------------------------------------------------------------


def test_people_by_nationality_with_counts_by_nationality(nations_run):
    def at(metric, place, date="2021-06-03"):
        return simulate(nations_run, ob(date, metric, place))

    assert at("present[nationality=Haiti]", "Camp") == 30
    assert at("present_haitian", "Camp") == at("present_haiti", "Camp") == 30
    assert at("present[nationality=cuba]", "Darien") == at("present_cuban", "PA") == 10
    assert at("present_cuban", "Camp", "2021-06-01") == 0  # the Cubans set out on day 1
    assert at("present_share_haitian", "Camp") == 75
    assert at("present_share[nationality=Cuba]", "Camp") == 25
    assert at("present_share_haitian", "Town") == 0  # 5 Colombian children (a blank nationality: the place's)
    assert at("present[children]", "total") == at("children_present", "Town") == 5
    assert at("present[adults]", "total") == 40
    assert at("present_share[children]", "total") == pytest.approx(100 * 5 / 45)


def test_the_counts_by_nationality_add_up_to_the_people_at_each_place(nations_run):
    rec = nations_run.record
    assert (rec.nations.sum(axis=2) == rec.population).all()


def test_a_nationality_without_counts_by_nationality_is_a_one_line_error():
    for metric in ("present_haitian", "present[nationality=Haiti]"):
        with pytest.raises(MetricError) as exc:
            resolve(nationalities(counts=False), metric, "Camp")
        assert "counts_by_nationality: true" in one_line(exc.value)
        assert exc.value.expected.startswith("one of present") and "[children] or [adults] on present" in (
            exc.value.expected
        )


def test_arrivals_by_nationality_count_each_arrival_along_a_road(nations_run):
    def at(metric, date, place="Camp"):
        return simulate(nations_run, ob(date, metric, place))

    # 30 Haitians reach Camp on day 0, 10 Cubans on day 1; nobody leaves the camp
    assert at("arrivals_haitian", "2021-06-01") == 30 and at("arrivals_cuban", "2021-06-01") == 0
    assert at("arrivals[nationality=Cuba]", "2021-06-02") == 10 and at("arrivals_haitian", "2021-06-02") == 0
    assert at("arrivals_cumulative_cuban", "2021-06-05") == 10
    assert at("arrivals_cumulative_haitian", "2021-06-05") == 30
    assert at("arrivals_cumulative_share_haitian", "2021-06-05") == 75
    assert at("arrivals_cumulative_haitian", "2021-06-05", "Origin") == 0  # setting out is not arriving
    rec = nations_run.record
    assert (rec.nation_arrivals.sum(axis=2) == rec.arrivals).all()  # every arrival here is of someone on their own


def test_arrivals_by_nationality_count_people_passing_through_the_same_day():
    sc = nationalities()
    sc.places.insert(1, Place(name="Ford", kind="marker", country="CO"))  # a waypoint: nobody stops here
    sc.links = [Link(a="Origin", b="Ford", distance=5), Link(a="Ford", b="Camp", distance=5)]
    res = Simulation(Scenario(**sc.model_dump(), counts_by_nationality=True)).run(seed=0, check=True)
    assert simulate(res, ob("2021-06-01", "present", "Ford")) == 0
    assert simulate(res, ob("2021-06-01", "arrivals_haitian", "Ford")) == 30
    assert simulate(res, ob("2021-06-02", "arrivals_cuban", "Ford")) == 10


@pytest.mark.parametrize("metric", ["nationality_share", "children_share", "children_cumulative"])
def test_a_flow_by_age_or_a_share_of_no_named_nationality_is_read_but_not_scored(nations_run, metric):
    for sc in (nationalities(), nationalities(counts=False)):
        r = resolve(sc, metric, "Camp")
        assert not r.scored and ("arrivals is not counted by" in r.why_not or "names no nationality" in r.why_not)
    assert simulate(nations_run, ob("2021-06", metric, "Camp")) is None


def test_arrivals_by_nationality_without_counts_by_nationality_is_a_one_line_error():
    with pytest.raises(MetricError) as exc:
        resolve(nationalities(counts=False), "arrivals_month_cuban", "Camp")
    assert "counts_by_nationality: true" in one_line(exc.value)


def cohorts(counts=True):
    """30 people of cohort a and 10 of cohort b (families: half of them children) set out from Origin on day 0 and
    reach Camp the same day."""
    sc = nationalities(counts=False)
    sc.departures = [Departure(place="Origin", start=0, count=30, cohort="a"),
                     Departure(place="Origin", start=0, count=10, cohort="b", children=0.5)]  # fmt: skip
    return Scenario(**sc.model_dump(), counts_by_cohort=counts)


def test_people_of_a_cohort_with_counts_by_cohort():
    res = Simulation(cohorts()).run(seed=0, check=True)

    def at(metric):
        return simulate(res, ob("2021-06-02", metric, "Camp"))

    assert at("present[cohort=a]") == 30 and at("present[cohort=b]") == 10
    assert at("present[cohort=a;b]") == at("present") == 40
    assert at("present_share[cohort=b]") == 25
    assert (res.record.cohorts.sum(axis=2) == res.record.population).all()


@pytest.mark.parametrize(
    "sc, metric, says",
    [
        (cohorts(), "present[cohort=c]", "cohort 'c' is not one of the scenario's"),
        (cohorts(), "present[cohort=a;c]", "cohort 'c' is not one of the scenario's"),
        (cohorts(counts=False), "present[cohort=a]", "counts_by_cohort: true"),
        (cohorts(), "present[cohort=a,children]", "together are not kept"),
    ],
)
def test_a_cohort_the_scenario_lacks_or_does_not_count_is_refused(sc, metric, says):
    with pytest.raises(MetricError) as exc:
        resolve(sc, metric, "Camp")
    assert says in one_line(exc.value)


@pytest.mark.parametrize(
    "metric, says",
    [
        ("present_brazilian", "'brazilian' in metric 'present_brazilian' names no nationality or place"),
        ("present[nationality=Brazil]", "nationality 'Brazil' is not one of the scenario's"),
        ("arrivals_month_brazilian", "'brazilian' in metric 'arrivals_month_brazilian' names no nationality"),
        ("present_haitian[nationality=Cuba]", "a filter given twice"),
        (
            "present[nationality=Haiti,children]",
            "counts by nationality, cohort, household and age together are not kept",
        ),
        ("present[nationality=]", "names no nationality"),
    ],
)
def test_a_nationality_the_scenario_lacks_or_a_muddled_filter_is_refused(metric, says):
    with pytest.raises(MetricError) as exc:
        resolve(nationalities(), metric, "Camp")
    assert says in one_line(exc.value)


# --- (f) ports ----------------------------------------------------------------------------------------------


def called_waits(lam, capacity, first, last):
    """Days waited by those a port called on days [first, last]: number k signs on day k // lam and is called
    on day k // capacity (tests/test_ports.py)."""
    k = np.arange(capacity * max(0, first), capacity * (last + 1))
    return k // capacity - k // lam


def test_processed_waitlist_and_signups_per_port_and_over_an_area(ports_run):
    def at(metric, place, date="2018-11-08"):
        return simulate(ports_run, ob(date, metric, place))

    assert at("processed", "PortA") == at("processed", "Tijuana") == at("processed", "BC") == 40
    assert at("processed", "PortB") == at("processed", "Sonora") == 25
    assert at("processed", "MX") == at("processed", "total") == 65
    assert at("processed_cumulative", "PortA") == 40 * 8
    assert at("processed_month", "PortB", "2018-11-05") is None  # November is not wholly simulated
    assert at("signups", "PortA") == at("tickets_sold_per_day", "PortB") == 100
    assert at("waitlist_length", "PortA") == 8 * (100 - 40)
    assert at("waitlist", "PortB") == 8 * (100 - 25)
    assert at("waitlist", "MX") == 8 * 60 + 8 * 75
    assert at("state_on_list", "total") == 8 * 60 + 8 * 75
    # taken by a port is leaving the area across its edge
    assert at("crossed", "MX") == 65 and at("crossed_per_day", "PortA") == 40


@pytest.mark.parametrize("date, day", [("2018-11-03", 2), ("2018-11-08", 7), ("2018-11-10", 9)])
def test_wait_days_is_the_median_wait_of_those_called_in_the_seven_days_ending_that_day(ports_run, date, day):
    def at(metric, place):
        return simulate(ports_run, ob(date, metric, place))

    a, b = called_waits(100, 40, day - 6, day), called_waits(100, 25, day - 6, day)
    assert at("wait_days", "PortA") == np.median(a)
    assert at("ticket_wait_days", "PortB") == np.median(b)
    assert at("wait_days", "MX") == np.median(np.concatenate([a, b]))  # an area pools its ports' people


def test_a_crossing_takes_people_across_an_areas_edge_only_when_its_far_side_lies_outside():
    if "onward_to" not in Port.model_fields:
        pytest.skip("ports have no onward_to (crossings) in this version")
    # 1,000 wait at Necocli (Antioquia) for boats of 100 a day to Capurgana (Choco), who walk on to Bajo (PA)
    sc = Scenario(
        name="crossing",
        start_date="2021-01-01",
        days=14,
        places=[
            Place(name="Necocli", kind="town", country="CO", region="Antioquia"),
            Place(name="Dock", kind="port_of_entry", country="CO", region="Antioquia"),
            Place(name="Capurgana", kind="town", country="CO", region="Choco"),
            Place(name="Bajo", kind="camp", country="PA"),
        ],
        links=[Link(a="Necocli", b="Dock", distance=1), Link(a="Capurgana", b="Bajo", distance=50)],
        ports=[Port(place="Dock", capacity_per_day=100, signup_places=["Necocli"], onward_to="Capurgana")],
        departures=[Departure(place="Necocli", start=0, count=1_000)],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(max_move_speed=200, default_movechance=1.0, camp_movechance=0.0),
    )
    res = Simulation(sc).run(seed=3, check=True)

    def at(metric, place, date="2021-01-03"):
        return simulate(res, ob(date, metric, place))

    assert at("processed", "Necocli") == at("crossed_per_day", "Necocli") == at("crossed", "Antioquia") == 100
    assert at("waitlist_length", "Necocli") == 700 and at("wait_days", "Dock") == 1  # waits 0, 1 and 2 days
    assert at("arrivals_per_day", "Capurgana") == 100  # by boat
    # in Colombia the boats move people within it: only the walk on to Panama crosses its edge
    assert at("crossed", "CO") == at("arrivals", "Bajo") == 100
    assert at("crossed", "total") == 0
    assert at("crossed_cumulative", "CO", "2021-01-14") == 1_000


# --- (g) the shared observation files ---------------------------------------------------------------------


def shared_rows(name):
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared observations folder is absent here)")
    with path.open(encoding="utf-8", newline="") as f:
        return path, list(csv.DictReader(f))


@pytest.mark.parametrize("name", ["tijuana-2018.csv", "necocli-2021.csv"])
def test_every_metric_of_the_shared_observation_files_is_in_the_grammar(name):
    path, rows = shared_rows(name)
    for row in rows:
        parse(row["metric"])  # a MetricError names the metric
    read_observations(path)  # and every date and number reads


def test_the_necocli_metrics_mean_what_their_notes_say():
    _, rows = shared_rows("necocli-2021.csv")
    kinds = {row["metric"]: parse(row["metric"]).kinds for row in rows}
    assert kinds["arrivals_month"] == kinds["crossed_per_day"] == kinds["arrivals_cumulative"] == {"flow"}
    assert kinds["present"] == kinds["waitlist_length"] == {"stock"}
    assert kinds["ticket_wait_days"] == {"statistic"}
    assert kinds["capacity_per_day"] == kinds["quota_excess_cumulative"] == {"input"}
    assert kinds["returns_per_day"] == kinds["ticket_refund_requests"] == {"missing"}
    assert parse("deaths_cumulative").canonical() == "died_cumulative"
    assert parse("arrivals_month_cuban").qualifier == "cuban"
    assert parse("present_bajo_chiquito").qualifier == "bajo chiquito"


def necocli_like(folder: Path) -> Scenario:
    """A made-up Necocli corridor (not a calibrated scenario): Medellin to Necocli, where the boats' list is
    signed (50 a day to Acandi); on to Capurgana, where the trail's list is signed (40 a day into the Darien
    jungle, a road that kills 1 in 1,000 a night); Bajo Chiquito, Gualaca, Paso Canoas. Its folder's
    place_names.csv maps the names necocli-2021.csv uses."""
    places = [
        ("Medellin", "town", "Colombia", "Antioquia"),
        ("Necocli", "town", "Colombia", "Antioquia"),
        ("Boats", "port_of_entry", "Colombia", "Antioquia"),
        ("Acandi", "town", "Colombia", "Choco"),
        ("Capurgana", "town", "Colombia", "Choco"),
        ("Trail", "port_of_entry", "Colombia", "Choco"),
        ("Jungle", "town", "Panama", "Darien"),
        ("Bajo Chiquito", "camp", "Panama", "Darien"),
        ("Gualaca", "camp", "Panama", "Chiriqui"),
        ("Paso Canoas", "town", "Panama", "Chiriqui"),
    ]
    roads = [("Medellin", "Necocli", 100), ("Necocli", "Boats", 1), ("Acandi", "Capurgana", 10),
             ("Capurgana", "Trail", 1), ("Bajo Chiquito", "Gualaca", 400), ("Gualaca", "Paso Canoas", 100)]  # fmt: skip
    (folder / "place_names.csv").write_text(
        "name,place\n"
        '"Necoclí (Antioquia, CO)",Necocli\n'
        '"Acandí/Capurganá (Chocó, CO)",Choco\n'
        '"Darién border (Panama, SNM count)",Darien\n'
        "Colombia (national),Colombia\n"
        "Darién reception stations (Panama),Darien\n"
        "Chiriquí / Los Planes de Gualaca (Panama),Gualaca\n"
        "Panama-Costa Rica border (Paso Canoas),Paso Canoas\n"
        "Medellín (bus terminals),Medellin\n",
        encoding="utf-8",
    )
    return Scenario(
        name="necocli-like",
        start_date="2021-01-01",
        days=273,
        source=str(folder),
        counts_by_nationality=True,
        places=[Place(name=n, kind=k, country=c, region=r) for n, k, c, r in places],
        links=[Link(a=a, b=b, distance=d) for a, b, d in roads]
        + [Link(a="Jungle", b="Bajo Chiquito", distance=300, death_rate=0.001)],
        ports=[
            Port(place="Boats", capacity_per_day=50, signup_places=["Necocli"], onward_to="Acandi"),
            Port(place="Trail", capacity_per_day=40, signup_places=["Capurgana"], onward_to="Jungle"),
        ],
        departures=[
            Departure(place="Medellin", start=0, end=273, count=16_000, nationality="Haiti", children=0.2),
            Departure(place="Medellin", start=0, end=273, count=4_000, nationality="Cuba"),
        ],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(max_move_speed=200, default_movechance=1.0, camp_movechance=0.3),
    )


def test_the_shared_necocli_file_is_read_as_it_is_against_a_scenario_with_place_names(tmp_path):
    if "onward_to" not in Port.model_fields:
        pytest.skip("ports have no onward_to (crossings) in this version")
    path, _ = shared_rows("necocli-2021.csv")
    sc = necocli_like(tmp_path)
    rows = read_observations(path, sc)  # strict: any row this scenario cannot produce would stop here
    res = Simulation(sc).run(seed=0, check=True)
    unscored, values = set(), {}
    for o in rows:
        v = simulate(res, o)
        if resolve(sc, o.metric, o.target or o.place).scored:
            assert v is not None, (o.row, o.when, o.place, o.metric)
            values[(o.when, o.metric)] = v
        else:
            unscored.add(o.metric)
    # inputs, what no mechanism produces, flows by age and a share naming no nationality: shown without a value
    assert unscored == {
        "capacity_per_day", "quota_excess_cumulative", "ticket_refund_requests", "returns_per_day",
        "nationality_share", "children_share", "children_cumulative",
    }  # fmt: skip
    # arrivals by nationality are counted (counts_by_nationality): the Cubans are a fifth of those coming out
    cuban, haitian = values[("2021-07", "arrivals_month_cuban")], values[("2021-07", "arrivals_month_haitian")]
    assert 0 < cuban < haitian
    assert values[("2021-08-07", "crossed_per_day")] == 50  # the boats, full every day
    assert values[("2021-09-05", "deaths_cumulative")] == 0  # nobody dies in Necocli
    assert values[("2021-09-24", "deaths_cumulative")] > 0  # the jungle road's dead count in the Darien
    assert values[("2021-09-25", "present_bajo_chiquito")] > 0


def test_the_counts_by_nationality_of_tijuana_add_up_to_its_people_at_each_place():
    # caravans in town, people on a list and people sent back to wait in Mexico are all at a place
    sim = corridor.load(TIJUANA)
    res = Simulation(sim.scenario.model_copy(update={"counts_by_nationality": True})).run(seed=0)
    assert (res.record.nations.sum(axis=2) == res.record.population).all()
    honduras = simulate(res, ob("2018-11-28", "present_honduran", "Tijuana"))
    assert 0 < honduras < simulate(res, ob("2018-11-28", "present", "Tijuana"))


def test_every_row_of_the_shared_tijuana_file_resolves_and_gets_a_value():
    path, _ = shared_rows("tijuana-2018.csv")
    sim = corridor.load(TIJUANA)
    rows = read_observations(path, sim.scenario)  # strict: a row the scenario cannot produce would stop here
    assert len(rows) == 31
    res = sim.run(seed=0)
    values = {(o.when, o.place, o.metric): simulate(res, o) for o in rows}
    assert all(v is not None for v in values.values()), values
    # the port's list is the port's, and a cumulative count starts on the date its note names
    assert values[("2018-11-27", "San Ysidro", "waitlist_length")] == res.record.waitlist[57, 0]
    mexico = metrics.place_indices(sim.scenario, "Mexico")
    deported = res.record.fates[:, mexico, metrics.states.OUTCOME_NAMES.index("deported")].sum(axis=1)
    assert values[("2018-11-25", "Mexico", "deported_by_mexico_cumulative")] == deported[18:56].sum()


# --- the definitions ------------------------------------------------------------------------------------------


def test_docs_model_md_defines_every_quantity_and_alias_of_the_grammar():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = text[text.index("## Observation metrics") :]
    section = section[: section.index("\n## ", 4)]
    named = [n for n in QUANTITIES if not n.startswith("state_")]
    named += [a for a, q in metrics.QUANTITY_ALIASES.items() if not q.startswith("state_")]
    named += list(metrics.METRIC_ALIASES)
    assert [n for n in named if f"`{n}`" not in section] == []


def test_every_metric_the_shared_readme_names_is_in_the_grammar():
    path = SHARED / "README.md"
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared observations folder is absent here)")
    rows = re.finditer(r"^\| ([a-z_]+) \|", path.read_text(encoding="utf-8"), re.M)
    names = [m.group(1) for m in rows if m.group(1) != "metric"]  # the table's header left out
    assert len(names) >= 13
    for name in names:
        parse(name)
