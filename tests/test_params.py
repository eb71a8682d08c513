"""Policy levers: listed by name, overridden from the command line, validated like the files."""

import pytest
from test_ports import border

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.params import apply_overrides, list_params


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
