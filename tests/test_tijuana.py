"""The bundled tijuana-2018 scenario: it loads, runs, conserves people and meets its observations as many
times as README.md says it does."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor.evaluate.observations import compare, read_observations

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "tijuana-2018"
SHARED_OBSERVATIONS = ROOT.parent / "shared" / "observations" / "tijuana-2018.csv"

# Where the documents state how many of the reported figures a 10-seed validation puts in range: the command
# (or script), its seeds, the observations file, and "H of N". README.md's claim is the one a reader sees first;
# the others must agree with it.
CLAIMS = {
    "README.md": r"`corridor validate scenarios/tijuana-2018 --runs (?P<runs>\d+) --observations (?P<obs>\S+)` "
    r"puts (?P<hits>\d+) of the (?P<total>\d+) reported figures",
    "docs/validation.md": r"`python validation/tijuana.py --runs (?P<runs>\d+)` \(observations: `(?P<obs>[^`]+)`; "
    r"seeds 0-\d+\): \*\*(?P<hits>\d+) of (?P<total>\d+)\*\* within",
    "scenarios/tijuana-2018/SOURCES.md": r"`corridor validate scenarios/tijuana-2018 --runs (?P<runs>\d+) "
    r"--observations (?P<obs>\S+)`[^`]{0,200}?\*\*\"(?P<hits>\d+) of (?P<total>\d+) observations within",
}


def claim(document: str) -> dict[str, str]:
    text = " ".join((ROOT / document).read_text(encoding="utf-8").split())  # sentences span lines
    found = re.search(CLAIMS[document], text)
    assert found, f"{document} no longer states how many tijuana-2018 figures are in range (tests/test_tijuana.py)"
    return found.groupdict()


@pytest.fixture(scope="module")
def run():
    return corridor.load(SCENARIO).run(seed=0, check=True)


def test_covers_october_2018_to_january_2019(run):
    assert run.dates[0].isoformat() == "2018-10-01"
    assert run.dates[-1].isoformat() >= "2019-01-31"


def test_everyone_is_somewhere_and_the_queue_is_served(run):
    rec = run.record
    assert run.agents == rec.spawned.sum()
    assert rec.waitlist[:, 0].max() > 0
    assert rec.processed[:, 0].sum() > 0
    # the policy switch of 25 Jan 2019 (day 116): 20 claims a day from then on, called in numbers of up to
    # 10 taken whole, so a day may take part of the next day's (docs/model.md, Numbered lists)
    jan25 = run.dates.index(next(d for d in run.dates if d.isoformat() == "2019-01-25"))
    took = rec.processed[jan25:, 0]
    assert abs(int(took.sum()) - 20 * len(took)) < 10 and took.max() < 30


def test_every_observation_gets_an_entry_and_modelled_metrics_a_value(run):
    obs = read_observations(SCENARIO / "observations.csv")
    rows = compare([run], obs)
    assert len(rows) == 31
    for row in rows:
        assert row["simulated"] is not None, row  # every metric is modelled


def test_the_figures_in_range_over_10_seeds_are_as_many_as_the_readme_says():
    """README.md: `corridor validate scenarios/tijuana-2018 --runs 10 --observations
    ../shared/observations/tijuana-2018.csv` puts H of the N reported figures in range; the same here."""
    said = claim("README.md")
    observations = ROOT / said["obs"]  # the README's commands run from the repository root
    if not observations.is_file():  # no shared folder here: the bundled copy (the same file, test below)
        observations = SCENARIO / "observations.csv"
    runs = corridor.load(SCENARIO).ensemble(int(said["runs"]), seed=0)  # seeds 0.., as corridor validate
    rows = compare(runs, read_observations(observations))
    hits = sum(bool(r["within_range"]) for r in rows)
    misses = [(r["date"], r["place"], r["metric"], r["simulated"]) for r in rows if not r["within_range"]]
    assert len(rows) == int(said["total"])
    assert hits == int(said["hits"]), f"{hits} of {len(rows)} in range, README.md says {said['hits']}: {misses}"


@pytest.mark.parametrize("document", [d for d in CLAIMS if d != "README.md"])
def test_the_other_documents_state_the_readmes_count(document):
    said, readme = claim(document), claim("README.md")
    # (their observations files are the shared one and its bundled copy: the same bytes, test below)
    assert (said["runs"], said["hits"], said["total"]) == (readme["runs"], readme["hits"], readme["total"])


def test_the_bundled_observations_are_the_shared_ones():
    if not SHARED_OBSERVATIONS.is_file():
        pytest.skip(f"{SHARED_OBSERVATIONS} not found (the README's validation command reads it)")
    assert (SCENARIO / "observations.csv").read_bytes() == SHARED_OBSERVATIONS.read_bytes()


def test_shelters_open_and_close_and_remain_in_mexico_sends_people_back(run):
    pop = run.wide()
    assert (pop.loc[:"2018-11-13", "Benito Juarez shelter"] == 0).all()
    assert (pop.loc["2018-11-29":, "Benito Juarez shelter"] == 0).all()
    assert pop.loc["2018-11-28", "Benito Juarez shelter"] > 3000  # crowded past its 3,000 places
    assert pop.loc["2018-11-29", "El Barretal"] >= pop.loc["2018-11-28", "Benito Juarez shelter"] * 0.9
    states = run.state_table().set_index("date")
    # remain_in_mexico.csv: from the first return on 29 Jan, 3 a day sent back to Tijuana
    assert (states.loc[:"2019-01-28", "remain_in_mexico"] == 0).all()
    assert states.loc["2019-01-29":, "remain_in_mexico"].tolist() == [3, 6, 9]
    ports = run.port_table().set_index("date")
    ports = ports[ports["port"] == "San Ysidro"]
    assert ports.loc["2019-01-29":, "sent_back"].tolist() == [3, 3, 3]
    assert ports["hearings"].sum() == 0  # 45 days later: after the run


def test_people_move_on_from_the_full_mexicali_shelters_to_tijuana(run):
    t = run.table()
    moved = t.groupby("place", observed=True)["moved_away"].sum()
    assert set(moved[moved > 0].index) == {"Mexicali shelters"}
    first = t.loc[t["moved_away"] > 0, "date"].min()
    assert str(first) >= "2018-11-15"


def test_the_others_wait_in_tijuana_under_its_crossing_hazard_and_outside_the_caravans_counts(run):
    from corridor import states as S
    from corridor.evaluate.metrics import members

    sc, rec = run.scenario, run.record
    lodging, others = sc.place_index()["Tijuana (other lodging)"], sc.cohorts().index("others")
    nov28 = run.dates.index(next(d for d in run.dates if d.isoformat() == "2018-11-28"))
    # the asylum seekers of other origins are at their lodging in Tijuana, and nowhere else, while they wait;
    # so are those on the list before the run (no cohort); nobody waits at the port itself
    assert (rec.cohorts[:, :, others].sum(axis=1) == rec.cohorts[:, lodging, others]).all()
    assert rec.cohorts[nov28, lodging, others] > 1000
    assert rec.cohorts[0, lodging, 0] == sc.ports[0].initial_waitlist - rec.processed[0, 0]
    assert rec.population[:, sc.place_index()["San Ysidro"]].max() == 0
    # the reports' counts in Tijuana are of the caravans' migrants (observation_cohorts.csv): everyone there but them
    rows = [
        o for o in read_observations(SCENARIO / "observations.csv", sc) if (o.place, o.metric) == ("Tijuana", "present")
    ]
    assert len(rows) == 3 and {o.spec for o in rows} == {"present[cohort=caravan;background]"}
    tijuana = members(sc, "Tijuana")
    counted = [sc.cohorts().index(c) for c in ("caravan", "background")]
    assert {r["simulated"] for r in compare([run], rows) if r["date"] == "2018-11-28"} == {
        float(rec.cohorts[nov28][np.ix_(tijuana, counted)].sum())
    }
    # everyone else in Tijuana is of the others or was on the list before the run (no cohort)
    assert rec.cohorts[nov28, tijuana].sum() == rec.population[nov28, tijuana].sum()
    # they cross between ports as the caravans' members do, but do not march or go home (caravan hazards only)
    fates = rec.fates[:, lodging]
    assert fates[:, S.F_CAUGHT].sum() + fates[:, S.F_THROUGH].sum() > 0
    assert fates[:, S.F_MARCHED].sum() == 0 and fates[:, S.F_RETURNED].sum() == 0


def test_some_who_went_home_set_out_again_from_the_southern_border(run):
    from corridor import states as S

    sc, rec = run.scenario, run.record
    hidalgo = sc.place_index()["Ciudad Hidalgo"]
    went_home = rec.fates[:, :, S.F_RETURNED].sum()
    # those still at home are those who went home less those who set out again (reentry.csv): some, not all
    back = went_home - rec.census[-1, S.RETURNED]
    assert 0 < back < 0.3 * went_home
    assert rec.arrivals[:, hidalgo].sum() >= back  # they come back in at Ciudad Hidalgo


def test_observations_bound_to_the_scenario_resolve_without_its_folder(run):
    from corridor.distributed import _parse
    from corridor.evaluate.observations import bind, simulate
    from corridor.output.runfolder import scenario_json
    from corridor.scenario.model import RECORDING_FLAGS

    # a worker's copy of the scenario: from its JSON, without the folder its name tables are read from
    copy = _parse(scenario_json(run.scenario), {f: getattr(run.scenario, f) for f in RECORDING_FLAGS})
    assert copy.source is None and copy.counts_by_cohort
    rows = bind(run.scenario, read_observations(SCENARIO / "observations.csv"))
    assert sum(o.spec == "present[cohort=caravan;background]" for o in rows) == 4
    here = [simulate(run, o) for o in rows]
    there = [simulate(dataclasses.replace(run, scenario=copy), o) for o in rows]  # the same run, read through it
    assert here == there and None not in here
