"""Priors (priors.csv): each distribution is read as written, bad rows are refused in one line that names the
file, row, field, value and what is valid, draws are reproducible and stay where the levers are valid, the
scipy.stats mapping a calibration uses is the same distribution, and tijuana-2018's priors make only
scenarios that load and run."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from corridor.api import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.load import load_scenario
from corridor.scenario.model import Prior
from corridor.scenario.parameters import list_params
from corridor.scenario.priors import apply, lever_range, logpdf, overrides, priors_table, sample, scipy_priors

REPO = Path(__file__).resolve().parents[1]
TIJUANA = REPO / "scenarios" / "tijuana-2018"
HEADER = "name,lever,distribution,low,high,mean,sd,alpha,beta,source\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """tijuana-2018 without its priors, to write priors.csv into."""
    out = tmp_path / "tj"
    shutil.copytree(TIJUANA, out)
    (out / "priors.csv").unlink()
    return out


def with_priors(folder: Path, *rows: str):
    (folder / "priors.csv").write_text(HEADER + "".join(r + "\n" for r in rows))
    return load_scenario(folder)


def error_of(folder: Path, *rows: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        with_priors(folder, *rows)
    return str(exc.value)


def prior(distribution: str, **kw) -> Prior:
    return Prior(name="x", levers=["x"], distribution=distribution, source="a hand-made case", **kw)


# ------------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize(
    "row, words, scipy_name",
    [
        (",ports.san_ysidro.capacity_per_day,uniform,20,60,,,,,30-60 a day", "uniform 20 to 60", "uniform"),
        (",ports.san_ysidro.sign_rate,loguniform,0.02,0.5,,,,,batches", "loguniform 0.02 to 0.5", "loguniform"),
        (",ports.san_ysidro.initial_waitlist,intuniform,500,2500,,,,,list", "intuniform 500 to 2500", "randint"),
        (",asylum.custody_days,truncnormal,1,10,3,2,,,72 hours", "truncnormal 3 ± 2, 1 to 10", "truncnorm"),
        (",move.camp_weight,lognormal,,,0.5,0.3,,,a factor", "lognormal 0.5 ± 0.3 (of log)", "lognorm"),
        (",marches.tijuana.share,beta,,,,,2,20,a minority", "beta(2, 20)", "beta"),
        (",marches.tijuana.cross,beta,0.1,0.8,,,2,2,several hundred", "beta(2, 2), 0.1 to 0.8", "beta"),
        (",asylum.custody_days,Truncated Normal,1,,3,2,,,other spelling", "truncnormal 3 ± 2, 1 to inf", "truncnorm"),
    ],
)
def test_each_distribution_is_read_as_written(folder: Path, row: str, words: str, scipy_name: str) -> None:
    (p,) = with_priors(folder, row).priors
    assert p.describe() == words
    assert p.scipy()[0] == scipy_name
    assert p.name == p.levers[0] == row.split(",")[1]


def test_a_named_prior_sets_several_levers_to_one_draw(folder: Path) -> None:
    sc = with_priors(
        folder,
        "north,places.tepic.movechance;places.mazatlan.movechance,uniform,0.8,1,,,,,rides",
        ",places.tijuana_private_shelters.capacity,uniform,100.2,600,,,,,a count takes a rounded draw",
    )
    north, beds = sc.priors
    assert north.name == "north" and north.levers == ["places.tepic.movechance", "places.mazatlan.movechance"]
    assert not north.whole and beds.whole
    assert overrides(sc.priors, {"north": 0.9, beds.name: 299.6}) == [
        "places.tepic.movechance=0.9",
        "places.mazatlan.movechance=0.9",
        "places.tijuana_private_shelters.capacity=300",
    ]
    drawn = apply(sc, {"north": 0.9, beds.name: 299.6})
    assert [p.movechance for p in drawn.places if p.name in ("Tepic", "Mazatlan")] == [0.9, 0.9]
    assert next(p.capacity for p in drawn.places if p.name == "Tijuana private shelters") == 300
    assert priors_table(sc) == {
        "places.tepic.movechance": "uniform 0.8 to 1 (north)",
        "places.mazatlan.movechance": "uniform 0.8 to 1 (north)",
        "places.tijuana_private_shelters.capacity": "uniform 100.2 to 600",
    }


def test_priors_stay_out_of_the_scenario_hash_and_follow_overrides(folder: Path) -> None:
    bare = load_scenario(folder)
    sc = with_priors(folder, ",ports.san_ysidro.capacity_per_day,uniform,20,60,,,,,30-60 a day")
    assert bare.priors == [] and len(sc.priors) == 1
    assert sc.content_hash() == bare.content_hash()  # a run's scenario.json and hash do not change
    assert apply(sc, {"ports.san_ysidro.capacity_per_day": 25.0}).priors == sc.priors


def test_a_cohort_size_is_a_lever_that_scales_its_departures(folder: Path) -> None:
    sc = load_scenario(folder)
    assert list_params(sc)["cohorts.others.size"] == 9225  # 75 a day, 1 Oct 2018 - 31 Jan 2019
    sc2 = with_priors(folder, ",cohorts.others.size,intuniform,5000,20000,,,,,40-160 a day")
    doubled = apply(sc2, {"cohorts.others.size": 18450})
    assert sum(d.count for d in doubled.departures if d.cohort == "others") == 18450
    assert [d.count for d in doubled.departures if d.cohort == "background"] == [
        d.count for d in sc.departures if d.cohort == "background"
    ]


def test_the_example_in_the_docs_reads(folder: Path) -> None:
    text = (REPO / "docs" / "scenario-format.md").read_text()
    example = text.split("name,lever,distribution,low,high,mean,sd,alpha,beta,source\n", 1)[1].split("```", 1)[0]
    sc = with_priors(folder, *example.strip().split("\n"))
    assert [p.distribution for p in sc.priors] == [
        "uniform", "intuniform", "loguniform", "beta", "truncnormal", "uniform"
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "row, field, value, valid",
    [
        # unknown lever: the nearest name, and the file the family's names come from
        (",ports.san_ysidro.capacity,uniform,20,60,,,,,x", "lever", "'ports.san_ysidro.capacity'", "ports.csv"),
        (",hazards.returned_tj.rate,uniform,0,0.1,,,,,x", "lever", "'hazards.returned_tj.rate'", "hazards.csv"),
        (",foo.bar,uniform,0,1,,,,,x", "lever", "'foo.bar'", "they begin with hasten, spawn, move"),
        # impossible bounds and parameters
        (",ports.san_ysidro.capacity_per_day,uniform,60,20,,,,,x", "high", "20.0", "a number above low (60)"),
        (",ports.san_ysidro.capacity_per_day,uniform,40,40,,,,,x", "high", "40.0", "a number above low (40)"),
        (",asylum.custody_days,truncnormal,1,10,3,-2,,,x", "sd", "-2.0", "a number > 0"),
        (",asylum.custody_days,truncnormal,1,10,3,0,,,x", "sd", "0.0", "a number > 0"),
        (",marches.tijuana.share,beta,,,,,0,2,x", "alpha", "0.0", "a number > 0"),
        (",ports.san_ysidro.sign_rate,loguniform,0,0.5,,,,,x", "low", "0.0", "a number > 0 (log-uniform"),
        (",ports.san_ysidro.initial_waitlist,intuniform,0.5,2500,,,,,x", "low", "0.5", "a whole number"),
        (",ports.san_ysidro.capacity_per_day,uniform,20,,,,,,x", "high", None, "uniform takes low, high"),
        (",ports.san_ysidro.capacity_per_day,uniform,20,60,,5,,,x", "sd", "5.0", "a blank cell"),
        (",ports.san_ysidro.capacity_per_day,gamma,20,60,,,,,x", "distribution", "'gamma'", "one of uniform"),
        (",ports.san_ysidro.capacity_per_day,uniform,nan,60,,,,,x", "low", "'nan'", "a number"),
        (",ports.san_ysidro.capacity_per_day,uniform,20,60,,,,,", "source", None, "the reasoning behind it"),
        # a bound outside the lever's valid range in the model
        (",places.tijuana.movechance,uniform,0.3,1.2,,,,,x", "high", "1.2", "high <= 1 (places.tijuana.movechance"),
        (",asylum.custody_days,uniform,0.5,10,,,,,x", "low", "0.5", "low >= 1 (asylum.custody_days"),
        (",ports.san_ysidro.sign_rate,uniform,0,0.5,,,,,x", "low", "0.0", "low > 0 (ports.san_ysidro.sign_rate"),
        (",move.awareness_level,intuniform,1,200,,,,,x", "high", "200.0", "high <= 127"),
        (",places.el_barretal.capacity,intuniform,0,7000,,,,,x", "low", "0.0", "0 would mean unlimited"),
        # mass where the lever is invalid
        (",places.tijuana.movechance,normal,,,0.6,0.1,,,x", "distribution", "'normal'", "truncnormal with low and"),
        (",places.tijuana.movechance,truncnormal,0,,0.6,0.1,,,x", "high", None, "high <= 1"),
        (",ports.san_ysidro.sign_rate,beta,,,,,2,5,x", "low", None, "low > 0"),
        (",hazards.refuge_tijuana_caravan.rate,lognormal,,,-5,1,,,x", "distribution", "'lognormal'", "<= 1"),
        # levers that take no number
        (",move.no_backtrack,uniform,0,1,,,,,x", "lever", "'move.no_backtrack'", "a lever that takes a number"),
        (",places.el_barretal.opens,uniform,0,5,,,,,x", "lever", "'places.el_barretal.opens'", "takes a number"),
        (",asylum.return_place,uniform,0,1,,,,,x", "lever", "'asylum.return_place'", "takes a number"),
        # several levers
        (
            "a,places.tepic.movechance;places.tepic.movechance,uniform,0.8,1,,,,,x",
            "lever",
            "'places.tepic.movechance'",
            "each lever",
        ),
        (",places.tepic.movechance;places.mazatlan.movechance,uniform,0.8,1,,,,,x", "name", None, "a short name"),
        ("n,places.tepic.movechance;caravans.main.size,uniform,1,1,,,,,x", "high", "1.0", "above low"),
    ],
)
def test_bad_rows_are_refused_in_one_line(folder: Path, row: str, field: str, value: str | None, valid: str) -> None:
    msg = error_of(folder, row)
    assert msg.startswith(f"{folder / 'priors.csv'}:2: field '{field}': "), msg
    assert "\n" not in msg
    if value is not None:
        assert f"(got {value})" in msg, msg
    assert "; expected " in msg and valid in msg.split("; expected ", 1)[1], msg


def test_every_listed_lever_has_a_known_range_or_takes_no_prior(tmp_path: Path) -> None:
    """A lever added to `corridor params` must say here what it may take, or priors would refuse it blindly."""
    for sc in (load_scenario(TIJUANA), load_scenario(flee_folder(tmp_path / "flee"))):
        for name, value in list_params(sc).items():
            valid = lever_range(name)
            if isinstance(valid, str):
                assert valid in ("a date", "text", "a switch, a choice or a list"), name
            else:
                assert value is None or valid.low is None or value >= valid.low, name


def test_one_lever_one_prior_one_name(folder: Path) -> None:
    row = ",ports.san_ysidro.capacity_per_day,uniform,20,60,,,,,x"
    msg = error_of(folder, row, row)
    assert msg.startswith(f"{folder / 'priors.csv'}:3: field 'lever': a second prior")
    assert "first at" in msg and "priors.csv:2" in msg
    msg = error_of(
        folder, "n,places.tepic.movechance,uniform,0.8,1,,,,,x", "n,places.culiacan.movechance,uniform,0.8,1,,,,,x"
    )
    assert msg.startswith(f"{folder / 'priors.csv'}:3: field 'name': a second prior with this name (got 'n')")


def test_levers_sharing_a_prior_take_one_kind_of_number(folder: Path) -> None:
    msg = error_of(folder, "n,caravans.main.size;marches.tijuana.share,uniform,0,1,,,,,x")
    assert "field 'lever': levers sharing a prior take different kinds of number" in msg
    assert "caravans.main.size (whole) and marches.tijuana.share (any number)" in msg


def test_a_range_the_model_refuses_at_one_end_is_refused_at_that_end(folder: Path) -> None:
    """Each end alone is a valid capacity_scaling, but 6,000 beds x 1e300 overflows the engine's weights."""
    msg = error_of(folder, ",move.capacity_scaling,loguniform,0.5,1e300,,,,,x")
    assert msg.startswith(f"{folder / 'priors.csv'}:2: field 'high': with the lever at this end the scenario is")
    assert "capacity x capacity_scaling overflows" in msg and "(got 1e+300)" in msg and "\n" not in msg


# ------------------------------------------------------------------------------------------------ drawing


def hand_made() -> list[Prior]:
    return [
        prior("uniform", low=2, high=4),
        prior("loguniform", low=1, high=math.e),
        prior("intuniform", low=1, high=6),
        prior("normal", mean=5, sd=2),
        prior("truncnormal", mean=0, sd=1, low=0),
        prior("lognormal", mean=0, sd=0.5),
        prior("beta", alpha=2, beta=6),
        prior("beta", alpha=2, beta=2, low=10, high=20),
    ]


# means worked out by hand: uniform (2 + 4) / 2; loguniform (b - a) / ln(b / a); a die 3.5; a half-normal
# sqrt(2 / pi); lognormal exp(mu + s^2 / 2); beta a / (a + b), rescaled to [10, 20]
MEANS = [3.0, math.e - 1, 3.5, 5.0, math.sqrt(2 / math.pi), math.exp(0.125), 0.25, 15.0]


@pytest.mark.parametrize("i", range(len(MEANS)))
def test_sample_means_match_the_known_means(i: int) -> None:
    p = hand_made()[i]
    x = p.sample(np.random.default_rng(12), 40_000)
    sd = float(p.frozen().std())
    assert abs(x.mean() - MEANS[i]) < 5 * sd / math.sqrt(len(x)), (p.describe(), x.mean())
    assert float(p.frozen().mean()) == pytest.approx(MEANS[i], rel=1e-9)
    lo, hi = p.support()
    assert lo <= x.min() and x.max() <= hi


def test_sampling_is_reproducible_from_a_seed_and_stays_within_bounds(folder: Path) -> None:
    sc = load_scenario(TIJUANA)
    a = sample(sc.priors, np.random.default_rng(2018), 500)
    b = sample(sc.priors, np.random.default_rng(2018), 500)
    c = sample(sc.priors, np.random.default_rng(2019), 500)
    assert list(a) == [p.name for p in sc.priors]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not any(np.array_equal(a[k], c[k]) for k in a)
    for p in sc.priors:
        lo, hi = p.support()
        assert lo <= a[p.name].min() and a[p.name].max() <= hi, p.name


def test_log_density_of_hand_made_cases() -> None:
    u, loguni, die, _, half, _, _, scaled = hand_made()
    assert u.logpdf(3.0) == pytest.approx(-math.log(2))
    assert u.logpdf(5.0) == -math.inf
    assert loguni.logpdf(2.0) == pytest.approx(-math.log(2.0))  # 1 / (x ln(b / a))
    assert die.logpdf(3) == pytest.approx(-math.log(6))
    assert half.logpdf(0.0) == pytest.approx(math.log(2 / math.sqrt(2 * math.pi)))
    assert scaled.logpdf(15.0) == pytest.approx(math.log(6 * 0.25 / 10))  # 6x(1 - x) on [0, 1], / 10
    joint = logpdf([u, die], {"x": 3.0})  # both named x: the log densities add
    assert joint == pytest.approx(-math.log(2) - math.log(6))


def test_the_scipy_mapping_is_the_same_distribution() -> None:
    """What a calibration builds from (name, args, kwargs), as pyabc's RV does, draws what sample draws."""
    for p in hand_made():
        name, args, kwargs = p.scipy()
        rv = getattr(scipy.stats, name)(*args, **kwargs)
        ours = p.sample(np.random.default_rng(5), 1000)
        theirs = rv.rvs(size=1000, random_state=np.random.default_rng(5))
        assert np.array_equal(ours, theirs), p.describe()
        assert rv.support() == pytest.approx(p.support() if name != "randint" else (p.low, p.high))
    assert scipy_priors(hand_made()[:1]) == {"x": ("uniform", (), {"loc": 2.0, "scale": 2.0})}
    assert hand_made()[2].scipy() == ("randint", (1, 7), {})  # scipy leaves out the upper end


# ------------------------------------------------------------------------------------------------ tijuana-2018


def test_tijuana_declares_a_prior_for_each_assumed_input_around_its_value() -> None:
    sc = load_scenario(TIJUANA)
    values = list_params(sc)
    assert len(sc.priors) == 43
    for p in sc.priors:
        lo, hi = p.support()
        assert all(lo <= values[lever] <= hi for lever in p.levers), (p.name, p.describe())
        assert p.source
    shared = {p.name: len(p.levers) for p in sc.priors if len(p.levers) > 1}
    assert shared == {
        "north_markers": 7,
        "deported_background": 6,
        "group_size_power": 6,
        "per_week_waited": 4,
        "per_crowding": 3,
        "choice_noise": 2,
        "reentry_share": 2,
        "reentry_days": 2,
    }
    text = (TIJUANA / "SOURCES.md").read_text()
    assert all(f"`{p.name}`" in text for p in sc.priors)  # each one's reasoning is there


def test_every_tijuana_draw_is_a_scenario_that_runs() -> None:
    sc = load_scenario(TIJUANA)
    draws = sample(sc.priors, np.random.default_rng(0), 200)
    scenarios = [apply(sc, {k: v[i] for k, v in draws.items()}) for i in range(200)]  # each validated
    assert len({s.content_hash() for s in scenarios}) == 200
    for s in scenarios[:3]:
        assert Simulation(s).run(seed=1, days=20, check=True).days == 20
    # the corners of the box: every prior at its low end, then at its high end, over the whole run
    for side in (0, 1):
        corner = apply(sc, {p.name: p.support()[side] for p in sc.priors})
        result = Simulation(corner).run(seed=1, check=True)
        assert result.days == sc.days


# ------------------------------------------------------------------------------------------------ Flee format


def flee_folder(root: Path) -> Path:
    """A conflict zone, a town and a camp in Flee's format; people leave A on day 0 and walk to the camp."""
    files = {
        "input_csv/locations.csv": "#name,region,country,lat,lon,location_type,conflict_date,pop\n"
        "A,r,X,0,0,conflict_zone,0,1000\nT,r,X,0,1,town,,0\nC,r,Y,1,1,camp,,5000\n",
        "input_csv/routes.csv": "#name1,name2,distance\nA,T,100\nT,C,200\n",
        "input_csv/sim_period.csv": "StartDate,2020-01-01\nLength,10\n",
        "source_data/data_layout.csv": "C,c.csv\n",
        "source_data/c.csv": "2020-01-01,0\n2020-01-05,400\n",
        "simsetting.yml": "move_rules:\n  camp_weight: 2.0\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_flee_folder_takes_priors_for_its_movement_settings(tmp_path: Path) -> None:
    folder = flee_folder(tmp_path / "flee")
    (folder / "priors.csv").write_text(
        HEADER + ",move.camp_weight,loguniform,1,10,,,,,a hand-made case\n"
        ",move.default_movechance,beta,0.1,0.6,,,2,2,a hand-made case\n"
        "hop,move.awareness_level,intuniform,1,3,,,,,a hand-made case\n"
    )
    sc = load_scenario(folder)
    assert sc.format == "flee" and [p.name for p in sc.priors] == ["move.camp_weight", "move.default_movechance", "hop"]
    draws = sample(sc.priors, np.random.default_rng(3), 5)
    for i in range(5):
        drawn = apply(sc, {k: v[i] for k, v in draws.items()})
        assert drawn.move.awareness_level == draws["hop"][i]
        assert Simulation(drawn).run(seed=0).days == 10
    msg = error_of(folder, ",ports.x.capacity_per_day,uniform,1,2,,,,,no ports here")
    assert msg.startswith(f"{folder / 'priors.csv'}:2: field 'lever': unknown lever (got 'ports.x.capacity_per_day')")
    assert "(they begin with hasten, spawn, move, places)" in msg
