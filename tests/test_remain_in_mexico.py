"""Remain-in-Mexico by port and date (remain_in_mexico.csv): a start date, a phase-in schedule, eligibility
by nationality and age, hearing dates and a return place per port, each against an answer known in advance;
and a one-line error for each bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corridor.errors import ScenarioError
from corridor.scenario.load import load_scenario
from corridor.scenario.model import Asylum, Departure, Hazard, MoveRules, Place, Port, ReturnRule, Scenario, SpawnRules
from corridor.sim.engine import Engine
from corridor.states import REMAIN_MX

DAYS = 60
# people who set out at the port each day (and sign its list there), by nationality and children share: the
# port takes everyone the same day and, with custody_days 1, everyone leaves custody that day
PER_DAY = {("HN", 0.0): 30, ("HN", 1.0): 10, ("MX", 0.0): 10, ("GT", 0.0): 10}
TIJUANA, MEXICALI = 1, 2

RULES = [
    # 5 a day from day 10, Hondurans only, to Tijuana, hearings 30 days later; from day 20, 20 a day of every
    # nationality but Mexicans, to Mexicali, hearings 45 days later. Children never (the default).
    ReturnRule(day=10, port="San Ysidro", per_day=5, return_to="Tijuana", hearing_days=30, nationalities=["HN"]),
    ReturnRule(day=20, port="San Ysidro", per_day=20, return_to="Mexicali", hearing_days=45, exempt=["MX"]),
]


def port(
    rules=RULES,
    mpp_from=10,
    grant=None,
    days=DAYS,
    departures=None,
    hazards=(),
    places=(),
    capacity=1_000,
    signup=(),
    **asylum,
):
    return Scenario(
        name="rim",
        start_date="2019-01-01",
        days=days,
        places=[
            Place(name="San Ysidro", kind="port_of_entry", country="US"),
            Place(name="Tijuana", kind="town", country="MX", within="Tijuana", movechance=0.0),
            Place(name="Mexicali", kind="town", country="MX", movechance=0.0),
            *places,
        ],
        ports=[Port(place="San Ysidro", capacity_per_day=capacity, signup_places=list(signup))],
        departures=departures
        or [
            Departure(place="San Ysidro", start=0, end=days, count=n * days, nationality=nat, children=kids)
            for (nat, kids), n in PER_DAY.items()
        ],
        hazards=list(hazards),
        remain_in_mexico=rules,
        asylum=Asylum(
            **{
                "custody_days": 1,
                "decision_days": 1e9,
                "grant_rate": grant or {},
                "remain_in_mexico_from": mpp_from,
                **asylum,
            }
        ),  # fmt: skip
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(camp_movechance=0.0),
    )


def run(sc, seed=1):
    eng = Engine(sc, seed=seed)
    for day in range(eng.days):
        eng.step(day)
        eng.check_conservation(day)
    return eng


def sent_back(eng):
    return eng.record.sent_back[:, 0].tolist()


def test_a_phase_in_schedule_sends_back_so_many_a_day_to_the_ports_return_place():
    eng = run(port())
    assert sent_back(eng) == [0] * 10 + [5] * 10 + [20] * (DAYS - 20)
    pop = eng.record.population
    assert pop[19, TIJUANA] == 50 and pop[-1, MEXICALI] == 20 * (DAYS - 20)
    census = eng.world.stocks.census()
    assert census[REMAIN_MX] == pop[-1, TIJUANA] + pop[-1, MEXICALI]


def test_only_the_eligible_are_sent_back_by_nationality_and_age():
    eng = run(port(days=30))  # before the first hearings (day 40)
    a, net = eng.agents, eng.net
    back = np.flatnonzero(a.state[: a.n] == REMAIN_MX)
    in_tijuana = back[a.loc[back] == TIJUANA]
    # before day 20 (to Tijuana) Hondurans only; from day 20 (to Mexicali) anyone but Mexicans; never children
    assert {net.nations[o] for o in a.origin[in_tijuana]} == {"HN"}
    assert {net.nations[o] for o in a.origin[back]} == {"HN", "GT"}
    children = next(c for c in eng.world.components.values() if c.name == "spawn").children
    assert len(children) == 10 * 30 and not np.isin(back, children).any()
    # with children: yes and no limit, the 10 Honduran children a day go too: 40 a day, then 50 with the Guatemalans
    kids = [r.model_copy(update={"children": True, "per_day": None}) for r in RULES]
    eng = run(port(kids, days=30))
    a = eng.agents
    back = np.flatnonzero(a.state[: a.n] == REMAIN_MX)
    children = next(c for c in eng.world.components.values() if c.name == "spawn").children
    assert sent_back(eng) == [0] * 10 + [40] * 10 + [50] * 10
    assert np.isin(back, children).sum() == 10 * 20


def test_hearings_fall_hearing_days_after_the_return_and_decide_the_case():
    eng = run(port(grant={"HN": 1.0, "GT": 1.0}))
    heard = eng.record.hearings[:, 0].tolist()
    # returned on days 10-19 (5 a day): heard on days 40-49; those of days 20-59 are heard from day 65, after the run
    assert heard == [0] * 40 + [5] * 10 + [0] * (DAYS - 50)
    census = eng.world.stocks.census()
    from corridor.states import GRANTED

    assert census[GRANTED] == 50  # everyone heard is granted (grant rate 1), nobody else is decided
    assert eng.record.population[-1, TIJUANA] == 0  # everyone sent to Tijuana has been heard
    # with grant rate 0 everyone heard is removed
    eng = run(port(grant={"HN": 0.0}))
    assert eng.world.stocks.census()[GRANTED] == 0


def test_the_start_date_switches_the_rules_on_and_a_first_rule_dated_later_applies_from_it():
    assert sent_back(run(port(mpp_from=15))) == [0] * 15 + [5] * 5 + [20] * (DAYS - 20)
    assert sent_back(run(port(mpp_from=4))) == [0] * 4 + [5] * 16 + [20] * (DAYS - 20)
    assert sent_back(run(port(mpp_from=None))) == [0] * DAYS  # none: switched off
    # no limit: every eligible person (30 Honduran adults a day)
    assert sent_back(run(port([RULES[0].model_copy(update={"per_day": None})]))) == [0] * 10 + [30] * (DAYS - 10)


def test_people_caught_crossing_near_the_port_are_sent_back_under_its_rules():
    # the port's list is signed in a shelter of Tijuana and called at 0 a day: nobody is processed, a twentieth
    # a day cross from the shelter and are caught, and claim asylum; the port covers its sign-up places' city
    shelter = Place(name="Shelter", kind="shelter", country="MX", within="Tijuana")
    sc = port(
        [ReturnRule(day=0, port="San Ysidro", return_to="Tijuana", hearing_days=100)],
        mpp_from=0,
        departures=[Departure(place="Shelter", start=0, count=2_000, nationality="HN")],
        hazards=[Hazard(outcome="crossed", where="Tijuana", rate=0.05, apprehended=1.0)],
        places=[shelter],
        capacity=0,
        signup=["Shelter"],
        apprehended_claim=1.0,
        days=20,
    )
    eng = run(sc)
    caught = eng.record.fates[:, :, 3].sum(axis=1)  # crossed_caught, a day
    assert caught.sum() > 1_000 and eng.record.processed.sum() == 0
    assert eng.record.sent_back[:, 0].tolist() == caught.tolist()  # the same day (custody_days 1), with no limit
    # those sent back to the town of Tijuana may cross again from there, and be sent back again
    census = eng.world.stocks.census()
    assert census[REMAIN_MX] == eng.record.population[-1, TIJUANA] > 0


def test_same_results_on_one_or_two_threads():
    a = Engine(port(), seed=3, threads=1)
    b = Engine(port(), seed=3, threads=2)
    for day in range(DAYS):
        a.step(day)
        b.step(day)
    assert np.array_equal(a.agents.state, b.agents.state) and np.array_equal(a.agents.loc, b.agents.loc)


# --- the folder format and its errors ----------------------------------------------------------

FOLDER = {
    "scenario.yaml": "name: rim\nstart_date: 2019-01-01\ndays: 40\nspawn:\n  mode: departures\n",
    "places.csv": "name,kind,country\nSan Ysidro,port_of_entry,US\nTijuana,town,MX\nCrossing,port_of_entry,US\n",
    "links.csv": "a,b,distance\nSan Ysidro,Tijuana,5\n",
    "ports.csv": "port,capacity_per_day,onward_to\nSan Ysidro,100,\nCrossing,10,Tijuana\n",
    "departures.csv": "place,start,end,count,nationality\nSan Ysidro,2019-01-01,2019-02-10,400,Honduras\n",
    "remain_in_mexico.csv": """\
date,port,per_day,return_to,hearing_days,nationalities,exempt,children
# a few a day at first
2019-01-29,San Ysidro,5,Tijuana,45,,MX,no
2019-02-05,San Ysidro,,Tijuana,45,Honduras;US,MX,yes
""",
}


def folder(tmp_path: Path, **changes: str) -> Path:
    for name, text in {**FOLDER, **changes}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_table_is_read_with_its_dates_and_starts_on_its_first_date(tmp_path):
    sc = load_scenario(folder(tmp_path))
    assert sc.asylum.remain_in_mexico_from == 28  # no remain_in_mexico_from: the first date of the table
    r0, r1 = sc.remain_in_mexico
    assert (r0.day, r0.per_day, r0.return_to, r0.hearing_days, r0.exempt, r0.children) == (28, 5, "Tijuana", 45,
                                                                                            ["MX"], False)  # fmt: skip
    assert (r1.day, r1.per_day, r1.nationalities, r1.children) == (35, None, ["Honduras", "US"], True)
    off = folder(tmp_path, **{"scenario.yaml": FOLDER["scenario.yaml"] + "asylum:\n  remain_in_mexico_from:\n"})
    assert load_scenario(off).asylum.remain_in_mexico_from is None  # left empty: switched off
    later = FOLDER["scenario.yaml"] + "asylum:\n  remain_in_mexico_from: 2019-02-01\n"
    assert load_scenario(folder(tmp_path, **{"scenario.yaml": later})).asylum.remain_in_mexico_from == 31


ROW = "date,port,per_day,return_to,hearing_days,nationalities,exempt,children\n"


@pytest.mark.parametrize(
    "row, field, value, expected",
    [
        ("2019-01-29,Tijuana Port,5,Tijuana,45,,,", "port", "Tijuana Port", "a port of ports.csv"),
        ("2019-01-29,Crossing,5,Tijuana,45,,,", "port", "Crossing", "a port of entry"),
        ("2019-01-29,San Ysidro,-1,Tijuana,45,,,", "per_day", "-1", "a whole number >= 0"),
        ("2019-01-29,San Ysidro,2.5,Tijuana,45,,,", "per_day", "2.5", "a whole number"),
        ("2019-01-29,San Ysidro,5,Tijuna,45,,,", "return_to", "Tijuna", "did you mean 'Tijuana'"),
        ("2019-01-29,San Ysidro,5,,45,,,", "return_to", None, "the place where people sent back wait"),
        ("2019-01-29,San Ysidro,5,Tijuana,0,,,", "hearing_days", "0", "a whole number >= 1"),
        ("2019-01-29,San Ysidro,5,Tijuana,45,Hondura,,", "nationalities", "Hondura", "did you mean 'Honduras'"),
        ("2019-01-29,San Ysidro,5,Tijuana,45,,Mexico,", "exempt", "Mexico", "MX"),
        ("2019-01-29,San Ysidro,5,Tijuana,45,,,maybe", "children", "maybe", "yes or no"),
        ("2019-29-01,San Ysidro,5,Tijuana,45,,,", "date", "2019-29-01", "YYYY-MM-DD"),
        ("2018-12-31,San Ysidro,5,Tijuana,45,,,", "date", "2018-12-31", "2019-01-01 or later"),
    ],
)
def test_a_bad_row_is_one_line_naming_file_row_field_value_and_what_is_valid(tmp_path, row, field, value, expected):
    path = folder(tmp_path, **{"remain_in_mexico.csv": ROW + "# first\n" + row + "\n"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert "remain_in_mexico.csv" in msg and ":3" in msg, msg
    assert field in msg and expected in msg, msg
    if value is not None:
        assert value in msg, msg


def test_two_rules_for_one_port_and_date_and_two_return_places_are_refused(tmp_path):
    twice = ROW + "2019-01-29,San Ysidro,5,Tijuana,,,,\n2019-01-29,San Ysidro,8,Tijuana,,,,\n"
    with pytest.raises(ScenarioError, match=r"remain_in_mexico.csv:3.*one row per port and date"):
        load_scenario(folder(tmp_path, **{"remain_in_mexico.csv": twice}))
    both = FOLDER["scenario.yaml"] + "asylum:\n  return_place: Tijuana\n"
    with pytest.raises(ScenarioError, match=r"remain_in_mexico.csv:3.*return_place.*remove asylum.return_place"):
        load_scenario(folder(tmp_path, **{"scenario.yaml": both}))


def test_each_rules_limit_and_hearing_delay_are_levers(tmp_path):
    from corridor.scenario.parameters import apply_overrides, list_params
    from corridor.serve.levers import describe

    sc = load_scenario(folder(tmp_path))
    names = list_params(sc)
    assert names["remain_in_mexico.san_ysidro_2019_01_29.per_day"] == 5
    assert names["remain_in_mexico.san_ysidro_2019_02_05.hearing_days"] == 45
    more = apply_overrides(sc, ["remain_in_mexico.san_ysidro_2019_01_29.per_day=40"])
    assert more.remain_in_mexico[0].per_day == 40 and more.remain_in_mexico[1].per_day is None
    free = apply_overrides(sc, ["remain_in_mexico.san_ysidro_2019_01_29.per_day=none"])
    assert free.remain_in_mexico[0].per_day is None
    with pytest.raises(ScenarioError, match="per_day"):
        apply_overrides(sc, ["remain_in_mexico.san_ysidro_2019_01_29.per_day=-3"])
    label = {lv.name: lv for lv in describe(sc)}["remain_in_mexico.san_ysidro_2019_01_29.per_day"]
    words = "Remain in Mexico at San Ysidro from 2019-01-29: people sent back a day (blank: no limit)"
    assert (label.group, label.label) == ("policies", words)
