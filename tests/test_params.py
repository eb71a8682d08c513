"""Policy levers: listed by name, overridden from the command line, validated like the files."""

import pytest
from test_ports import border

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.parameters import apply_overrides, list_params


def test_levers_are_listed_by_dotted_name():
    names = list_params(border(100, 40))
    assert names["ports.san_ysidro.capacity_per_day"] == 40
    assert names["move.max_move_speed"] == 200
    assert names["spawn.rate"] == 100
    assert "places.origin.population" in names


def test_an_override_changes_the_run():
    sc = apply_overrides(border(100, 40, days=5), ["ports.san_ysidro.capacity_per_day=100", "spawn.rate=150"])
    res = Simulation(sc).run(seed=0)
    assert res.record.processed[:, 0].tolist() == [100] * 5
    assert res.record.waitlist[-1, 0] == 5 * 50


@pytest.mark.parametrize(
    "assignment,words",
    [
        ("ports.san_ysidro.capacity_per_day=-3", ["ports.san_ysidro.capacity_per_day", "-3"]),
        ("ports.tijuana.capacity_per_day=3", ["unknown parameter", "ports.tijuana.capacity_per_day"]),
        ("move.max_move_speed", ["NAME=VALUE"]),
        ("move.awareness_level=many", ["move.awareness_level", "many"]),
    ],
)
def test_bad_overrides_are_named(assignment, words):
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(border(100, 40), [assignment])
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))


def test_border_levers_remain_in_mexico_hazards_and_caravan_size():
    from pathlib import Path

    import corridor

    sc = corridor.load(Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018").scenario
    names = list_params(sc)
    assert names["asylum.remain_in_mexico_from"] == (sc.asylum.remain_in_mexico_from)
    assert names["caravans.main.size"] == sum(d.count for d in sc.departures if d.caravan == "main")
    # reentry.csv: a share and a mean time at home per outcome
    assert names["reentry.returned_home.share"] == 0.3 and names["reentry.removed.days"] == 60
    again = apply_overrides(sc, ["reentry.removed.share=0.5"])
    assert {r.outcome: r.share for r in again.reentry.rules} == {"returned_home": 0.3, "removed": 0.5}
    assert again.counts_by_cohort  # what a run counts is kept (out of the dump, like the source)
    off = apply_overrides(sc, ["asylum.remain_in_mexico_from=none"])
    assert off.asylum.remain_in_mexico_from is None
    earlier = apply_overrides(sc, ["asylum.remain_in_mexico_from=2018-12-01"])
    assert earlier.asylum.remain_in_mexico_from == 61
    half = apply_overrides(sc, [f"caravans.main.size={names['caravans.main.size'] // 2}"])
    assert abs(sum(d.count for d in half.departures if d.caravan == "main") - names["caravans.main.size"] / 2) < 10
    more = apply_overrides(sc, ["hazards.deported_chiapas_background.rate=0.6"])
    # the background's row only: the caravans' members have a row of their own (travelling: caravan)
    assert [h.rate for h in more.hazards if h.outcome == "deported" and h.where == "Chiapas"] == [0.6, 0.3]
    caught = [n for n in names if n.startswith("hazards.") and n.endswith(".apprehended")]
    assert caught == ["hazards.crossed_tijuana.apprehended"], "only crossing between ports can be caught"
    with pytest.raises(ScenarioError, match="asylum.remain_in_mexico_from"):
        apply_overrides(sc, ["asylum.remain_in_mexico_from=soon"])
    # a caravan scaled down to nobody has no departures left to scale up again: said, not silently ignored
    gone = apply_overrides(sc, ["caravans.main.size=0"])
    assert sum(d.count for d in gone.departures if d.caravan == "main") == 0
    with pytest.raises(ScenarioError, match="no departures to scale"):
        apply_overrides(gone, ["caravans.main.size=500"])


def test_closures_are_levers_too_port_hours_and_shelter_dates():
    from pathlib import Path

    import corridor

    sc = corridor.load(Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018").scenario
    names = list_params(sc)
    assert names["ports.san_ysidro.closed_hours_2018_11_25"] == 5
    assert names["places.benito_juarez_shelter.closes"] == "2018-11-29"
    longer = apply_overrides(
        sc, ["ports.san_ysidro.closed_hours_2018_11_25=24", "places.benito_juarez_shelter.closes=2018-12-15"]
    )
    ev = [e for e in longer.ports[0].events if e.kind == "closed_hours" and e.day == 55]
    assert [e.value for e in ev] == [24]
    bj = next(p for p in longer.places if p.name == "Benito Juarez shelter")
    assert bj.closes == 75
    res = Simulation(longer).run(seed=0, days=57)
    assert res.record.processed[55, 0] == 0  # closed all day


def test_road_closures_in_closures_csv_are_levers():
    from corridor.scenario.model import Closure

    sc = border(100, 40, days=10)
    sc.closures = [Closure(kind="link", a="Origin", b="San Ysidro", start=2, end=5)]
    names = list_params(sc)
    assert names["closures.link_origin_san_ysidro.start"] == "2018-11-03"
    never = apply_overrides(sc, ["closures.link_origin_san_ysidro.end=none"])
    assert never.closures[0].end == -1
