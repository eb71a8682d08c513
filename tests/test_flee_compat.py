"""Flee's scenarios as Flee reads them: the settings table of docs/flee-compat.md against the reader's own,
the inputs Flee warns about and goes on (corridor goes on too and says so in one line naming the file and
row, or refuses them when strict), and every shared Flee scenario either loading or refused in one line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor.errors import ScenarioError
from corridor.scenario.flee import FLEE_SETTINGS, IMPLEMENTED, NO_EFFECT, REFUSED
from corridor.scenario.load import load_scenario
from corridor.sim.network import RouteBook

from conftest import write_folder

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "flee-compat.md"
FLEE_ROOT = Path(
    os.environ.get("CORRIDOR_FLEE_SCENARIOS") or Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee"
)

SETTINGS = """\
spawn_rules:
  conflict_driven_spawning:
    spawn_mode: constant
    displaced_per_conflict_day: 100
move_rules:
  camp_weight: 2.0
"""
LOCATIONS = """\
#name,region,country,latitude,longitude,location_type,conflict_date,population
A,R,X,0,0,conflict_zone,0,10000
B,R,X,0,1,town,,5000
C,R,Y,0,2,camp,,8000
"""
ROUTES = """\
#name1,name2,distance,forced_redirection
A,B,100,0
B,C,150,0
"""


def flee_folder(tmp_path: Path, **files: str) -> Path:
    """A three-place Flee folder (conflict zone A, town B, camp C in another country) with conflict-driven
    spawning, so that it needs no observed series; `files` replace or add files by their path."""
    base = {
        "input_csv/locations.csv": LOCATIONS,
        "input_csv/routes.csv": ROUTES,
        "input_csv/sim_period.csv": "StartDate,2020-01-01\nLength,20\n",
        "simsetting.yml": SETTINGS,
    }
    files = {name.replace("__", "/"): text for name, text in files.items()}
    return write_folder(tmp_path / "tiny", {**base, **files})


def lenient(folder: Path) -> tuple[corridor.scenario.model.Scenario, list[str]]:
    lines: list[str] = []
    return load_scenario(folder, warn=lines.append), lines


def strict_error(folder: Path) -> str:
    lines: list[str] = []
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder, strict=True, warn=lines.append)
    assert lines == [], "strict mode warns about nothing: it refuses"
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# --- docs/flee-compat.md and the reader's table ------------------------------------------------------


def doc_statuses() -> dict[str, str]:
    """`key` -> status from every table row of the doc whose first cell is a key in backticks."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([A-Za-z0-9_.]+)`", cells[0]) if len(cells) == 5 else None
        if m and cells[3] in (IMPLEMENTED, NO_EFFECT, REFUSED):
            assert m.group(1) not in rows, f"{m.group(1)} is listed twice"
            rows[m.group(1)] = cells[3]
    return rows


def test_every_setting_the_reader_knows_is_in_the_doc_with_its_status() -> None:
    doc = doc_statuses()
    for key, setting in FLEE_SETTINGS.items():
        assert key in doc, f"docs/flee-compat.md does not list {key}"
        assert doc[key] == setting.status, f"{key}: the doc says {doc[key]}, the reader {setting.status}"
    assert set(doc) <= set(FLEE_SETTINGS), (
        f"the doc lists keys the reader does not know: {set(doc) - set(FLEE_SETTINGS)}"
    )


def test_the_doc_counts_what_the_reader_knows() -> None:
    counts = {s: sum(k.status == s for k in FLEE_SETTINGS.values()) for s in (IMPLEMENTED, NO_EFFECT, REFUSED)}
    said = f"{counts[IMPLEMENTED]} implemented, {counts[NO_EFFECT]} with no effect, {counts[REFUSED]} refused"
    assert said in " ".join(DOC.read_text(encoding="utf-8").split())


def test_implemented_settings_reach_their_rule(tmp_path: Path) -> None:
    values = {
        "max_move_speed": 200.0,
        "max_walk_speed": 20.0,
        "start_on_foot": True,
        "foreign_weight": 2.0,
        "camp_weight": 3.0,
        "conflict_weight": 0.5,
        "conflict_movechance": 0.9,
        "camp_movechance": 0.01,
        "idpcamp_movechance": 0.2,
        "default_movechance": 0.4,
        "awareness_level": 3,
        "capacity_buffer": 0.8,
        "capacity_scaling": 2.0,
        "softening": 5.0,
        "weight_softening": 0.1,
        "weight_power": 1.5,
        "distance_power": 0.5,
        "stay_close_to_home": True,
        "home_distance_power": 0.7,
        "use_pop_for_loc_weight": True,
        "pop_power_for_loc_weight": 0.2,
        "movechance_pop_scale_factor": 0.3,
        "movechance_pop_base": 5000.0,
        "pruning_threshold": 2.0,
        "avoid_short_stints": True,
        "harvest_months": [6, 7],
        "avg_religion_fraction": 0.5,
        "two_system_decision_making": True,
        "fixed_routes": True,
    }
    text = "spawn_rules:\n  insert_day0: False\n  sum_from_camps: False\n  conflict_spawn_decay: [1.0, 0.5]\n"
    text += "  conflict_spawn_decay_interval: 14\n  take_from_population: True\n  average_social_connectivity: 4.5\n"
    text += "  conflict_driven_spawning:\n    spawn_mode: poisson\n    displaced_per_conflict_day: 7\n"
    text += "move_rules:\n" + "".join(f"  {k}: {v}\n" for k, v in values.items())
    text += "optimisations:\n  hasten: 2\n"
    sc, warned = lenient(flee_folder(tmp_path, **{"simsetting.yml": text}))
    assert warned == []
    assert {k: getattr(sc.move, k) for k in values} == values
    assert (sc.spawn.insert_day0, sc.spawn.sum_from_camps, sc.spawn.conflict_spawn_decay) == (False, False, [1.0, 0.5])
    assert sc.spawn.conflict_spawn_decay_interval == 14 and sc.spawn.take_from_population
    assert sc.spawn.average_social_connectivity == 4.5
    assert (sc.spawn.mode, sc.spawn.rate_mode, sc.spawn.rate, sc.hasten) == ("conflict", "poisson", 7, 2)
    for key, setting in FLEE_SETTINGS.items():
        # the flood rules' keys (move_rules.flood_rules.*) are read and checked in tests/test_flood.py; the rules
        # kept in the places (use_economic_pull) with their columns, below; the food rules, which need an IPC file,
        # in tests/test_food.py; the demographic hazard and Match* rules, which need demographics files, in
        # tests/test_demographics.py
        kept_in_places = (setting.field or "").startswith("places.")
        hazard_rule = key.endswith(("AvoidHazards", "BoysTakeRisk")) or key.startswith("move_rules.Match")
        if (
            setting.status == IMPLEMENTED
            and key.startswith("move_rules.")
            and key != "move_rules.use_v1_rules"
            and not key.startswith("move_rules.flood_rules")
            and not kept_in_places
            and key not in ("move_rules.flee_when_starving", "move_rules.avoid_food_deprived_locations")
            and not hazard_rule
        ):
            assert key.rsplit(".", 1)[1] in values, f"{key} is not exercised here"


def test_use_v1_rules_overrides_as_flee_does(tmp_path: Path) -> None:
    # Flee applies use_v1_rules last, over whatever the file says, and it turns avoid_short_stints off
    text = SETTINGS + "  use_v1_rules: True\n  max_move_speed: 500\n  start_on_foot: True\n  avoid_short_stints: True\n"
    sc, _ = lenient(flee_folder(tmp_path, **{"simsetting.yml": text}))
    mv = sc.move
    assert (mv.max_move_speed, mv.start_on_foot, mv.camp_weight, mv.conflict_weight) == (200.0, False, 2.0, 0.25)
    assert not mv.avoid_short_stints


def test_a_rule_not_built_yet_is_refused_in_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every Flee rule is built now; the refusal stays for a rule Flee adds, tried here on one marked not built
    from corridor.scenario import flee

    monkeypatch.setitem(flee.FLEE_SETTINGS, "move_rules.fixed_routes", flee._key(REFUSED, inert=flee._off))
    folder = flee_folder(tmp_path, **{"simsetting.yml": "move_rules:\n  fixed_routes: True\n"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder, warn=lambda line: None)
    msg = str(exc.value)
    assert "simsetting.yml:2: field 'move_rules.fixed_routes'" in msg and "not supported by corridor yet" in msg
    folder = flee_folder(tmp_path / "off", **{"simsetting.yml": SETTINGS + "  fixed_routes: False\n"})
    assert not load_scenario(folder, warn=lambda line: None).move.fixed_routes


def test_a_rule_at_its_off_value_is_accepted(tmp_path: Path) -> None:
    text = SETTINGS + "  avoid_short_stints: False\n  pruning_threshold: 1.0\n  harvest_months: []\n  flood_rules:\n"
    sc, warned = lenient(flee_folder(tmp_path, **{"simsetting.yml": text}))
    assert warned == [] and sc.move.camp_weight == 2.0


def test_awareness_above_four_is_taken(tmp_path: Path) -> None:
    # a line of six places: at level 5 the conflict zone sees the camp five roads away
    places = "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
    places += "P0,R,X,0,0,conflict_zone,0,10000\n" + "".join(f"P{i},R,X,0,{i},town,,100\n" for i in range(1, 5))
    places += "P5,R,X,0,5,camp,,100000\n"
    roads = "#name1,name2,distance\n" + "".join(f"P{i},P{i + 1},10\n" for i in range(5))
    text = SETTINGS + "  awareness_level: 5\n  max_move_speed: 1000\n  default_movechance: 1.0\n"
    folder = flee_folder(
        tmp_path, **{"input_csv/locations.csv": places, "input_csv/routes.csv": roads, "simsetting.yml": text}
    )
    res = corridor.load(folder).run(seed=0, days=3)
    assert res.scenario.move.awareness_level == 5
    assert res.table().query("place == 'P5'")["population"].iloc[-1] > 0


def test_road_speed_column(tmp_path: Path) -> None:
    roads = "#name1,name2,distance,forced_redirection,max_move_speed\nA,B,100,0,50\nB,C,150,0,\n"
    sc, _ = lenient(flee_folder(tmp_path, **{"input_csv/routes.csv": roads}))
    assert [lk.speed for lk in sc.links] == [50.0, None]


# --- where Flee warns and goes on ---------------------------------------------------------------------


def test_a_repeated_place_name_keeps_the_later_row_as_flee_links_it(tmp_path: Path) -> None:
    places = LOCATIONS + "B,R2,X,5,5,town,,7000\n"
    folder = flee_folder(tmp_path, **{"input_csv/locations.csv": places})
    sc, warned = lenient(folder)
    assert [(p.name, p.region, p.population) for p in sc.places] == [
        ("A", "R", 10000),
        ("C", "R", 0),
        ("B", "R2", 7000),
    ]
    assert len(warned) == 1 and warned[0].startswith(f"{folder / 'input_csv' / 'locations.csv'}:5: warning:")
    assert "'B'" in warned[0] and "locations.csv:3" in warned[0]
    msg = strict_error(folder)
    assert "locations.csv:5: field 'name': duplicate place name (got 'B')" in msg


def test_an_unknown_location_type_is_a_place_people_always_leave(tmp_path: Path) -> None:
    places = LOCATIONS.replace("B,R,X,0,1,town", "B,R,X,0,1,village")
    folder = flee_folder(tmp_path, **{"input_csv/locations.csv": places})
    sc, warned = lenient(folder)
    assert sc.places[1].kind == "forwarding_hub"
    assert (
        len(warned) == 1 and "locations.csv:3: warning: field 'location_type'" in warned[0] and "'village'" in warned[0]
    )
    assert "locations.csv:3: field 'location_type': unknown location_type (got 'village')" in strict_error(folder)


def test_a_flood_zone_is_a_town_without_flood_rules(tmp_path: Path) -> None:
    sc, warned = lenient(
        flee_folder(tmp_path, **{"input_csv/locations.csv": LOCATIONS.replace(",town,", ",flood_zone,")})
    )
    assert sc.places[1].kind == "town" and warned == []


def test_a_conflict_column_naming_no_place_is_ignored_once_its_conflict_starts(tmp_path: Path) -> None:
    conflicts = "#Day,A,Nowhere,Quiet\n0,1,0,0\n1,1,0,0\n2,1,1,0\n"
    folder = flee_folder(tmp_path, **{"input_csv/conflicts.csv": conflicts})
    sc, warned = lenient(folder)
    assert [(c.place, c.start) for c in sc.conflicts] == [("A", 0)]
    # Flee looks a name up only when its conflict starts: 'Quiet' never does, so nothing is said of it
    assert len(warned) == 1 and "conflicts.csv:1: warning: field 'place': unknown place (got 'Nowhere')" in warned[0]
    assert "conflicts.csv:1: field 'place': unknown place (got 'Nowhere')" in strict_error(folder)


@pytest.mark.parametrize(
    "closure,field,value",
    [
        ("location,Nowhere,,2,5", "name1", "'Nowhere'"),
        ("link,A,Nowhere,2,5", "name2", "'Nowhere'"),
        ("link,A,C,2,5", "name2", "'C'"),  # both places exist, no road joins them
        ("country,X,Atlantis,2,5", "name2", "'Atlantis'"),
        ("camp,Nowhere,,2,5", "name1", "'Nowhere'"),
    ],
)
def test_a_closure_that_closes_nothing_in_flee_is_left_out(
    tmp_path: Path, closure: str, field: str, value: str
) -> None:
    table = "#closure_type,name1,name2,closure_start,closure_end\ncountry,X,Y,1,3\n" + closure + "\n"
    folder = flee_folder(tmp_path, **{"input_csv/closures.csv": table})
    sc, warned = lenient(folder)
    assert [(c.kind, c.a, c.b) for c in sc.closures] == [("country", "X", "Y")]
    assert len(warned) == 1 and f"closures.csv:3: warning: field '{field}'" in warned[0] and value in warned[0]
    assert f"closures.csv:3: field '{field}'" in strict_error(folder)


@pytest.mark.parametrize(
    "text,key,hint",
    [
        (SETTINGS + "  teleport: 2\n", "move_rules.teleport", None),
        (SETTINGS + "  max_flood_level: 4\n", "move_rules.max_flood_level", "move_rules.flood_rules.max_flood_level"),
        (SETTINGS + "log_levels:\n  Flood: 0\n", "log_levels.Flood", None),
        (SETTINGS.replace("spawn_rules:\n", "spawn_rules:\n  camps_are_sinks: True\n"), "spawn_rules.camps_are_sinks",
         "camps_are_sicks"),
    ],
)  # fmt: skip
def test_a_setting_flee_does_not_read_is_ignored_with_a_warning(
    tmp_path: Path, text: str, key: str, hint: str | None
) -> None:
    folder = flee_folder(tmp_path, **{"simsetting.yml": text})
    sc, warned = lenient(folder)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip().startswith(key.rsplit(".", 1)[1] + ":"))
    assert len(warned) == 1 and f"simsetting.yml:{line}: warning: field '{key}'" in warned[0]
    assert hint is None or hint in warned[0]
    assert sc.move.camp_weight == 2.0 and sc.spawn.mode == "conflict"
    assert f"simsetting.yml:{line}: field '{key}'" in strict_error(folder)


def test_the_default_warning_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = flee_folder(tmp_path, **{"simsetting.yml": SETTINGS + "  teleport: 2\n"})
    corridor.load(folder)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "simsetting.yml:7: warning: field 'move_rules.teleport'" in err
    with pytest.raises(ScenarioError):
        corridor.load(folder, strict=True)
    assert capsys.readouterr().err == ""


def test_a_road_to_a_place_that_does_not_exist_stops_as_in_flee(tmp_path: Path) -> None:
    # Flee's linkUp prints an error and exits: corridor refuses it, strict or not
    folder = flee_folder(tmp_path, **{"input_csv/routes.csv": ROUTES + "C,Nowhere,10,0\n"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder, warn=lambda line: pytest.fail(line))
    assert "routes.csv:4: field 'name2': unknown place (got 'Nowhere')" in str(exc.value)


def test_a_fractional_awareness_level_is_cut_to_a_whole_number_as_flee_reads_it(tmp_path: Path) -> None:
    # Flee's ReadFromYML: int(fetchss(dpr, "awareness_level", 1)), so 1.5 runs at level 1 and 2.9 at level 2
    for value, level in (("1.5", 1), ("2.9", 2)):
        folder = flee_folder(tmp_path / value, **{"simsetting.yml": SETTINGS + f"  awareness_level: {value}\n"})
        sc, warned = lenient(folder)
        assert sc.move.awareness_level == level
        assert len(warned) == 1
        assert (
            f"simsetting.yml:7: warning: field 'move_rules.awareness_level': not a whole number (got {value})"
            in (warned[0])
        )
        assert f"it is {level}" in warned[0]
        assert "field 'move_rules.awareness_level': not a whole number" in strict_error(folder)
    sc, warned = lenient(flee_folder(tmp_path / "whole", **{"simsetting.yml": SETTINGS + "  awareness_level: 2\n"}))
    assert sc.move.awareness_level == 2 and warned == []


def test_a_road_from_a_place_to_itself_is_taken_as_flee_links_it(tmp_path: Path) -> None:
    # Flee's linkUp takes B,B without a word: B gets two roads to itself, and its route search offers each
    # as any other road (moving.selectRoute does not look at the first road's end; calculateLinkWeight
    # skips only a next place already before the current one). At awareness 2 the routes are, by hand:
    # from A [B] [B,C] [B,B] [B,B]; from B [A] [C] and, twice, [B] [B,A] [B,C]; from C [B] [B,A] [B,B] [B,B]
    text = SETTINGS + "  awareness_level: 2\n"
    folder = flee_folder(tmp_path, **{"input_csv/routes.csv": ROUTES + "B,B,30,0\n", "simsetting.yml": text})
    sc, warned = lenient(folder)
    assert len(warned) == 1
    assert "routes.csv:4: warning: field 'name2': a road joins a place to itself (got 'B')" in warned[0]
    assert "routes.csv:4: field 'name2': a road joins a place to itself (got 'B')" in strict_error(folder)

    sim = corridor.Simulation(sc)
    net = sim.network
    routes = net.routes(np.ones(net.n_links, bool), RouteBook())
    names = net.names

    def offered(place: str) -> list[tuple[str, float]]:
        p = names.index(place)
        ids = routes.cand_route[routes.cand_start[p] : routes.cand_start[p + 1]]
        return sorted(
            ("".join(names[net.link_dst[lk]] for lk in routes.links[r, : routes.length[r]]), routes.dist[r])
            for r in ids
        )

    # each road's km added up along the route, the road to itself as any other
    assert offered("A") == [("B", 100), ("BB", 130), ("BB", 130), ("BC", 250)]
    assert offered("B") == [("A", 100), ("B", 30), ("B", 30), ("BA", 130), ("BA", 130), ("BC", 180), ("BC", 180),
                            ("C", 150)]  # fmt: skip
    assert offered("C") == [("B", 150), ("BA", 250), ("BB", 180), ("BB", 180)]
    sim.run(seed=0, days=20, check=True)  # people set out on it and come back, and everyone is counted


# --- the shared Flee scenarios --------------------------------------------------------------------------

SHARED = sorted(p.parent.parent.name for p in FLEE_ROOT.glob("*/input_csv/locations.csv"))
# what each shared scenario needs that corridor does not do yet (docs/flee-compat.md); the others load
NOT_YET: dict[str, str] = {}


@pytest.mark.skipif(
    not SHARED, reason=f"Flee reference scenarios not found at {FLEE_ROOT} (set CORRIDOR_FLEE_SCENARIOS)"
)
@pytest.mark.parametrize("name", SHARED or ["none"])
def test_each_shared_flee_scenario_loads_or_names_what_is_not_supported_yet(name: str) -> None:
    warned: list[str] = []
    if name not in NOT_YET:
        sc = load_scenario(FLEE_ROOT / name, warn=warned.append)
        assert sc.format == "flee" and sc.places and sc.links
        assert all("\n" not in w and f"{FLEE_ROOT / name}" in w for w in warned)
        return
    with pytest.raises(ScenarioError) as exc:
        load_scenario(FLEE_ROOT / name, warn=warned.append)
    msg = str(exc.value)
    assert "\n" not in msg and f"field '{NOT_YET[name]}'" in msg and "not supported by corridor yet" in msg, msg


def test_a_folder_that_fails_says_only_its_error(tmp_path: Path) -> None:
    # the repeated name alone would be a warning; the bad road after it makes the folder fail
    places = LOCATIONS + "B,R2,X,5,5,town,,7000\n"
    folder = flee_folder(
        tmp_path, **{"input_csv/locations.csv": places, "input_csv/routes.csv": ROUTES + "C,Nowhere,1\n"}
    )
    with pytest.raises(ScenarioError, match="unknown place"):
        load_scenario(folder, warn=lambda line: pytest.fail(f"warned before failing: {line}"))


def test_use_economic_pull_scores_foreign_places_by_trade_and_hdi(tmp_path: Path) -> None:
    # Flee's location score for a foreign place: 1 + trade_volume + hdi ** 2 (then x foreign_weight); the home
    # country is the first location's
    places = (
        "#name,region,country,latitude,longitude,location_type,conflict_date,population,trade_volume,hdi\n"
        "A,R,X,0,0,conflict_zone,0,10000,5,0.9\nB,R,X,0,1,town,,5000,5,0.9\nC,R,Y,0,2,camp,,8000,2.5,0.5\n"
    )
    on = SETTINGS + "  use_economic_pull: True\n"
    sc, _ = lenient(flee_folder(tmp_path / "on", **{"input_csv/locations.csv": places, "simsetting.yml": on}))
    assert [p.attraction for p in sc.places] == [1.0, 1.0, 1.0 + 2.5 + 0.25]
    sc, _ = lenient(flee_folder(tmp_path / "off", **{"input_csv/locations.csv": places}))
    assert [p.attraction for p in sc.places] == [1.0, 1.0, 1.0]
    bare = flee_folder(tmp_path / "bare", **{"simsetting.yml": on})  # no trade_volume, hdi columns
    with pytest.raises(ScenarioError) as exc:
        lenient(bare)
    assert "locations.csv:1: field 'trade_volume': missing column" in str(exc.value)


def test_agents_csv_people_set_out_on_day_0(tmp_path: Path) -> None:
    # read_from_agents_csv_file: after the header, one person a row at the location named first; a location
    # Flee cannot map is left out with a printed line (here a warning naming the row)
    agents = "#people already displaced\nlocation,age,gender\nA,30,f\nB,7,m\nA,41,m\nNowhere,5,f\nB,12,f\nA,60,f\n"
    on = SETTINGS.replace("spawn_rules:\n", "spawn_rules:\n  read_from_agents_csv_file: True\n")
    sc, warned = lenient(flee_folder(tmp_path, **{"input_csv/agents.csv": agents, "simsetting.yml": on}))
    assert [(d.place, d.start, d.count) for d in sc.departures] == [("A", 0, 3), ("B", 0, 2)]
    assert len(warned) == 1 and "agents.csv:6: warning: field 'location': unknown place (got 'Nowhere')" in warned[0]
    res = corridor.Simulation(sc).run(seed=0, days=1)
    assert res.record.spawned[0, :2].tolist() == [3 + 100, 2]  # with the 100 a day the conflict zone spawns
    sc, _ = lenient(flee_folder(tmp_path / "off", **{"input_csv/agents.csv": agents}))
    assert sc.departures == []


# --- conflict zones that start after day 0 -----------------------------------------------------------


def test_a_later_conflict_zone_follows_conflicts_csv_and_is_a_town_where_the_table_has_none(tmp_path: Path):
    """Flee's reader makes a conflict zone with conflict_date > 0 a town; only without a conflict table does it
    turn into a conflict zone on that date. run.py always reads input_csv/conflicts.csv, so with the table A
    (conflict_date 2, no conflict in the table) never displaces anyone, while D (conflict_date 3, in conflict
    on days 1-2 by the table) displaces 100 a day on those days only."""
    locations = (
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        "A,R,X,0,0,conflict_zone,2,10000\nD,R,X,0,0.5,conflict_zone,3,10000\nB,R,X,0,1,town,,5000\n"
        "C,R,Y,0,2,camp,,8000\n"
    )
    routes = "#name1,name2,distance,forced_redirection\nA,B,100,0\nD,B,100,0\nB,C,150,0\n"
    table = "#Day,A,D\n0,0,0\n1,0,1\n2,0,1\n3,0,0\n4,0,0\n"
    files = {"input_csv/locations.csv": locations, "input_csv/routes.csv": routes,
             "input_csv/sim_period.csv": "StartDate,2020-01-01\nLength,5\n"}  # fmt: skip
    with_table, _ = lenient(flee_folder(tmp_path / "with", **files, **{"input_csv/conflicts.csv": table}))
    kinds = {p.name: p.kind for p in with_table.places}
    assert (kinds["A"], kinds["D"]) == ("town", "conflict_zone")
    spawned = corridor.Simulation(with_table).run(seed=0).record.spawned
    names = [p.name for p in with_table.places]
    assert spawned[:, names.index("A")].tolist() == [0, 0, 0, 0, 0]
    assert spawned[:, names.index("D")].tolist() == [0, 100, 100, 0, 0]

    # no table: A is a conflict zone from its conflict_date on, as Flee's AddNewConflictZones makes it then
    without, _ = lenient(flee_folder(tmp_path / "without", **files))
    spawned = corridor.Simulation(without).run(seed=0).record.spawned
    assert spawned[:, [p.name for p in without.places].index("A")].tolist() == [0, 0, 100, 100, 100]
