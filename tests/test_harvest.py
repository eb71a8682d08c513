"""Harvest months (Flee's harvest_months): everyone at a place is counted at home and stays put in those months."""

import numpy as np
import pytest
from pydantic import ValidationError

from corridor import Simulation, states
from corridor.scenario.model import Departure, Link, MoveRules, Place, Scenario, SpawnRules


def camp_and_home(harvest_months):
    """1,000 people set out on 1 Jan 2020 from a conflict zone to a camp 100 km away, where they stay (camp move
    chance 0); 91 days, January to March."""
    places = [Place(name="Home", kind="conflict_zone", country="A", conflict_date=0),
              Place(name="Camp", kind="camp", country="A")]  # fmt: skip
    return Scenario(name="harvest", start_date="2020-01-01", days=91, places=places,
                    links=[Link(a="Home", b="Camp", distance=100.0)], spawn=SpawnRules(mode="departures"),
                    departures=[Departure(place="Home", start=0, count=1000)],
                    move=MoveRules(camp_movechance=0.0, harvest_months=harvest_months))  # fmt: skip


def test_in_harvest_months_everyone_is_counted_at_home_and_stays_put():
    res = Simulation(camp_and_home([2])).run(seed=1, check=True)
    pop, harvesting = res.record.population, res.record.census[:, states.HARVESTING]
    feb, mar = slice(31, 60), slice(60, 91)  # 1 Feb is day 31, 1 Mar day 60 (2020 is a leap year)
    assert pop[30].tolist() == [0, 1000]
    assert np.all(pop[feb, 0] == 1000) and np.all(pop[feb, 1] == 0) and np.all(harvesting[feb] == 1000)
    # although Home is in conflict (move chance 1), nobody harvesting leaves; in March they are back in the camp
    assert np.all(pop[mar].T == np.array([[0], [1000]])) and harvesting[mar].sum() == 0
    assert res.record.arrivals[:, 1].sum() == 1000, "going home to harvest is not an arrival"


def test_without_harvest_months_nothing_changes_and_no_column_is_added():
    res = Simulation(camp_and_home([])).run(seed=1)
    assert np.all(res.record.population[30:, 1] == 1000)
    assert "harvesting" not in res.state_table().columns
    assert "harvesting" in Simulation(camp_and_home([2])).run(seed=1).state_table().columns


def test_harvest_months_are_calendar_months():
    with pytest.raises(ValidationError, match="1 to 12"):
        MoveRules(harvest_months=[13])
