"""Everyone spawned is in exactly one place, on exactly one road or in one state off the network, every day,
whatever the network and whatever is switched on: ports, shelters, hazards, marches, caravans, departures,
asylum and re-entry. Each generated scenario runs with check=True (the engine recounts every person's state
and place each day against its running stocks) and its outputs must keep the books:

- the census (days x states) adds up to everyone spawned so far, and so do the people at places, on roads
  and in the states off the network (states.py, where == "off");
- no stock, flow or list is ever negative; the terminal states only grow, by that day's outcomes;
- each port's list: waitlist[t] = waitlist[t-1] + signed[t] - processed[t] - names that left it that day
  (by a hazard or a march, at the port's sign-up places); the port processes its day's capacity, or
  everyone waiting if fewer, in sign-up order;
- every person set out along a road is a departure of the place the road starts from; a place has more
  departures than road starts only where people leave it another way (a shelter closing, a `moved` hazard,
  a decision for someone waiting there under remain-in-Mexico).
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor import Simulation, states
from corridor.scenario.model import (
    Asylum,
    Caravan,
    CaravanStop,
    Closure,
    ConflictPeriod,
    Departure,
    Hazard,
    Link,
    March,
    MoveRules,
    Place,
    Port,
    PortEvent,
    Reentry,
    Scenario,
    SeriesPoint,
    SpawnRules,
)

KINDS = ["conflict_zone", "town", "camp", "forwarding_hub", "marker"]
ALL_KINDS = [*KINDS, "idp_camp", "shelter", "port_of_entry"]
CAPACITY_KINDS = ("camp", "idp_camp", "shelter")
OFF = list(states.codes("off"))
AT_PLACE = list(states.codes("place"))
ON_ROAD = list(states.codes("road"))
TERMINAL = [s.code for s in states.STATES if s.terminal]
LEAVES = [o.code for o in states.OUTCOMES if o.leaves_place]  # outcomes that take a person off a place or a list
S = {s.name: s.code for s in states.STATES}
F = {o.name: o.code for o in states.OUTCOMES}


# --- the books every run must keep -------------------------------------------------------------------------


def assert_books_balance(sc: Scenario, res) -> None:
    rec = res.record
    days, P = rec.population.shape
    alive = np.cumsum(rec.spawned.sum(axis=1))  # everyone spawned so far
    census = rec.census
    assert res.agents == alive[-1]
    assert np.array_equal(census.sum(axis=1), alive), "the census adds up to everyone spawned"
    off = census[:, OFF].sum(axis=1)
    assert np.array_equal(rec.population.sum(axis=1) + rec.in_transit.sum(axis=1) + off, alive)
    assert np.array_equal(census[:, AT_PLACE].sum(axis=1), rec.population.sum(axis=1))
    assert np.array_equal(census[:, ON_ROAD].sum(axis=1), rec.in_transit.sum(axis=1))
    for name in ("population", "in_transit", "arrivals", "departures", "spawned", "link_entries", "census",
                 "signups", "processed", "waitlist", "fates", "caravan_size", "children"):  # fmt: skip
        assert (getattr(rec, name) >= 0).all(), f"negative {name}"

    # Outcomes and the states they lead to
    fates = rec.fates if len(rec.fates) else np.zeros((days, P, states.N_OUTCOMES), np.int64)
    cum = np.cumsum(fates.sum(axis=1), axis=0)  # (days, outcomes) since day 0
    assert (np.diff(census[:, TERMINAL], axis=0) >= 0).all(), "nobody leaves a terminal state"
    assert np.array_equal(census[:, S["returned_home"]], cum[:, F["returned_home"]])
    assert np.array_equal(census[:, S["refuge_in_mexico"]], cum[:, F["refuge"]])
    assert np.array_equal(census[:, S["crossed_undetected"]], cum[:, F["crossed_undetected"]])
    assert np.array_equal(census[:, S["died"]], cum[:, F["died"]])
    if sc.reentry.share > 0:  # some of the deported set out again
        assert (census[:, S["deported"]] <= cum[:, F["deported"]]).all()
    else:
        assert np.array_equal(census[:, S["deported"]], cum[:, F["deported"]])
    # Everyone whose claim a port took, or who was caught crossing, is in custody, waiting, or decided;
    # only people sent back under remain-in-Mexico can leave that path (by a hazard where they wait).
    after_claim = census[:, [S[n] for n in ("in_custody_processed", "in_custody_apprehended", "waiting_in_us",
                                            "remain_in_mexico", "granted", "removed")]].sum(axis=1)  # fmt: skip
    claims = [k for k, p in enumerate(sc.ports) if p.onward_to is None]  # a crossing's people go on instead
    entered = np.cumsum(rec.processed[:, claims].sum(axis=1)) + cum[:, F["crossed_caught"]]
    if sc.asylum.remain_in_mexico_from is None:
        assert np.array_equal(after_claim, entered)
    else:
        assert (after_claim <= entered).all()
    if not sc.caravans:
        assert not census[:, [S["in_caravan_at_place"], S["in_caravan_on_road"]]].any()
    assert np.array_equal(rec.caravan_size.sum(axis=1),
                          census[:, S["in_caravan_at_place"]] + census[:, S["in_caravan_on_road"]])  # fmt: skip
    if len(rec.children):
        assert (rec.children <= rec.population).all(), "more children at a place than people"

    assert_ports_keep_their_lists(sc, rec, fates)
    assert_road_starts_are_departures(sc, rec)


def claims_per_day(port: Port, days: int) -> np.ndarray:
    """What a port can process each day (docs/model.md, Ports of entry): its capacity (the dated changes, or
    fixed_capacity), less the hours closed, with the fraction of a claim carried to the next day."""
    cap = np.full(days, port.capacity_per_day if port.fixed_capacity is None else port.fixed_capacity, float)
    hours = np.zeros(days)
    for ev in sorted(port.events, key=lambda e: e.day):
        if ev.day >= days:
            continue
        if ev.kind == "capacity" and port.fixed_capacity is None:
            cap[ev.day :] = ev.value
        elif ev.kind == "closed_hours":
            hours[ev.day] = min(24.0, hours[ev.day] + ev.value)
    out, credit = np.zeros(days, np.int64), 0.0
    for t in range(days):
        today = cap[t] * (1 - hours[t] / 24) + credit
        out[t] = int(np.floor(today + 1e-9))
        credit = max(0.0, today - out[t])
    return out


def assert_ports_keep_their_lists(sc, rec, fates) -> None:
    days = rec.population.shape[0]
    idx = sc.place_index()
    assert np.array_equal(rec.census[:, S["on_list"]], rec.waitlist.sum(axis=1))
    day_of_wait, port_of_wait, waited = rec.wait_table()
    for k, port in enumerate(sc.ports):
        before = np.concatenate([[0], rec.waitlist[:-1, k]])
        # hazards and marches come after the day's processing: at the call, everyone signed is waiting
        assert np.array_equal(rec.processed[:, k], np.minimum(claims_per_day(port, days), before + rec.signups[:, k]))
        left = before + rec.signups[:, k] - rec.processed[:, k] - rec.waitlist[:, k]
        # people on the list are where it is signed, or where a closing sign-up place took them
        held = {port.place, *port.signup_places}
        for _ in range(len(sc.places)):
            held |= {sc.places[idx[q]].move_to for q in held if sc.places[idx[q]].move_to}
        could_leave = fates[:, sorted(idx[q] for q in held)][:, :, LEAVES].sum(axis=(1, 2))
        assert (left >= 0).all() and (left <= could_leave).all(), (left.tolist(), could_leave.tolist())
        if not sc.hazards and not sc.marches:
            assert not left.any()
        assert np.array_equal(np.bincount(day_of_wait[port_of_wait == k], minlength=days), rec.processed[:, k])
        signed_on = (day_of_wait - waited)[port_of_wait == k]  # in the order people were called
        assert (waited >= 0).all() and (np.diff(signed_on) >= 0).all(), "the list is served in sign-up order"
    assert rec.signups[0].sum() >= sum(p.initial_waitlist for p in sc.ports)


def assert_road_starts_are_departures(sc, rec) -> None:
    """Directed link 2k runs a -> b, 2k+1 runs b -> a; people setting out along it leave a (or b)."""
    days, P = rec.departures.shape
    idx = sc.place_index()
    out = np.zeros_like(rec.departures)
    for k, ln in enumerate(sc.links):
        out[:, idx[ln.a]] += rec.link_entries[:, 2 * k]
        out[:, idx[ln.b]] += rec.link_entries[:, 2 * k + 1]
    assert (out <= rec.departures).all(), "someone set out along a road without departing"
    # Where else people leave a place from: a shelter that closes (its people taken to move_to), a moved
    # hazard (on to another city the same day), the return place or, once it has closed, where its people
    # went (decisions for people waiting there).
    other_ways = np.zeros((days, P), bool)
    for p in sc.places:
        if p.closes is not None and p.closes < days:
            other_ways[p.closes, idx[p.name]] = True
    for h in sc.hazards:
        if h.outcome == "moved":
            other_ways[h.start : h.end, sc.places_matching(h.where)] = True
    for port in sc.ports:  # a crossing takes the people it calls to its far side (where a list is held)
        if port.onward_to is not None:
            held = {port.place, *port.signup_places}
            for _ in range(P):
                held |= {sc.places[idx[q]].move_to for q in held if sc.places[idx[q]].move_to}
            other_ways[:, sorted(idx[q] for q in held)] = True
    ret = sc.asylum.return_place
    for _ in range(P):  # people sent back wait there, or where its people went when it closed
        if ret is None:
            break
        other_ways[:, idx[ret]] = True
        ret = sc.places[idx[ret]].move_to
    extra = rec.departures != out
    assert not (extra & ~other_ways).any(), np.argwhere(extra & ~other_ways)[:5].tolist()


# --- Flee-like networks: conflict zones, towns, camps, markers and closures --------------------------------


@st.composite
def flee_like_scenarios(draw):
    n = draw(st.integers(3, 8))
    kinds = ["conflict_zone"] + [draw(st.sampled_from(KINDS)) for _ in range(n - 2)] + ["camp"]
    places = [
        Place(
            name=f"P{i}",
            kind=k,
            country=draw(st.sampled_from(["A", "B"])),
            population=draw(st.integers(1, 10_000)),
            capacity=draw(st.one_of(st.none(), st.integers(1, 300))) if k == "camp" else None,
            conflict_date=draw(st.integers(0, 5)) if k == "conflict_zone" else None,
        )
        for i, k in enumerate(kinds)
    ]
    pairs = connected_pairs(draw, n)
    links = [Link(a=f"P{a}", b=f"P{b}", distance=draw(st.floats(0, 600))) for a, b in sorted(pairs)]
    days = draw(st.integers(1, 25))
    closures = draw_closures(draw, places, pairs, days)
    camp = places[-1].name
    move = MoveRules(
        max_move_speed=draw(st.floats(20, 400)),
        awareness_level=draw(st.integers(0, 3)),
        start_on_foot=draw(st.booleans()),
        default_movechance=draw(st.floats(0, 1)),
    )
    return Scenario(
        name="random",
        start_date="2020-01-01",
        days=days,
        places=places,
        links=links,
        closures=closures,
        observed={camp: draw_series(draw, days)},
        spawn=SpawnRules(insert_day0=draw(st.booleans())),
        move=move,
    )


def connected_pairs(draw, n):
    pairs = {(i, i + 1) for i in range(n - 1)}  # connected
    for _ in range(draw(st.integers(0, n))):
        a, b = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        pairs.add((a, b))
    return sorted(pairs)


def draw_closures(draw, places, pairs, days):
    closures = []
    countries = {p.country for p in places}
    camps = [p.name for p in places if p.kind in ("camp", "idp_camp")]
    for _ in range(draw(st.integers(0, 3))):
        a, b = sorted(pairs)[draw(st.integers(0, len(pairs) - 1))]
        kinds = ["link", "location"] + (["country"] if len(countries) == 2 else []) + (["camp"] if camps else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "camp":  # a camp becomes an ordinary town for a while
            camp = draw(st.sampled_from(camps))
            c, kind = (camp, ""), next(p.kind for p in places if p.name == camp)
        else:
            c = dict(link=(f"P{a}", f"P{b}"), location=(f"P{a}", ""), country=("A", "B"))[kind]
        closures.append(
            Closure(kind=kind, a=c[0], b=c[1], start=draw(st.integers(0, days)), end=draw(st.integers(-1, days + 2)))
        )
    return closures


def draw_series(draw, days):
    total, series = 0, []
    for d in range(days):
        total += draw(st.integers(0, 400))
        series.append(SeriesPoint(day=d, value=max(0, total - draw(st.integers(0, 50)))))
    return series


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=flee_like_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_agents_are_conserved_every_day(sc, seed):
    res = Simulation(sc).run(seed=seed, check=True)  # check: stocks rebuilt from agents == stocks from flows
    assert_books_balance(sc, res)


# --- Everything on: ports, shelters, hazards, marches, caravans, departures, asylum, re-entry -------------


def small_rate(draw, top=0.3):
    return draw(st.one_of(st.just(0.0), st.floats(0, top), st.just(top)))


@st.composite
def border_scenarios(draw):
    days = draw(st.integers(1, 20))
    n = draw(st.integers(4, 9))
    # a conflict zone first, then anything; a shelter and a port more often than not
    kinds = ["conflict_zone"] + [draw(st.sampled_from(ALL_KINDS)) for _ in range(n - 3)]
    kinds += [draw(st.sampled_from(["shelter", "shelter", "town"]))]
    kinds += [draw(st.sampled_from(["port_of_entry"] * 3 + KINDS))]
    names = [f"P{i}" for i in range(n)]
    places = []
    for i, k in enumerate(kinds):
        opens = closes = move_to = None
        if k == "shelter" and draw(st.booleans()):
            opens = draw(st.one_of(st.none(), st.integers(1, days)))
            if draw(st.booleans()):
                closes = draw(st.integers((opens or 0) + 1, days + 1))
                move_to = draw(st.sampled_from([m for m in names if m != names[i]]))
        places.append(
            Place(
                name=names[i],
                kind=k,
                country=draw(st.sampled_from(["A", "B"])),
                region=draw(st.sampled_from(["R1", "R2"])),
                within=draw(st.sampled_from(["", "C1", "C2"])),
                population=draw(st.integers(1, 5_000)),
                capacity=draw(st.one_of(st.none(), st.integers(1, 200))) if k in CAPACITY_KINDS else None,
                conflict_date=draw(st.integers(0, 3)) if k == "conflict_zone" else None,
                movechance=draw(st.one_of(st.none(), st.floats(0, 1))),
                attraction=draw(st.sampled_from([1.0, 0.0, 0.5, 3.0])),
                turns_away=k == "shelter" and draw(st.booleans()),
                opens=opens,
                closes=closes,
                move_to=move_to,
            )
        )
    pairs = connected_pairs(draw, n)
    speeds = st.one_of(st.none(), st.floats(10, 400))
    links = [
        Link(a=names[a], b=names[b], distance=draw(st.floats(0, 400)), speed=draw(speeds), death_rate=small_rate(draw))
        for a, b in sorted(pairs)  # fmt: skip
    ]
    closures = draw_closures(draw, places, pairs, days)

    # Ports: each place signs up to one port at most
    ports, taken = [], set()
    for p in places:
        if p.kind != "port_of_entry" or not draw(st.integers(0, 3)):
            continue
        free = [q.name for q in places if q.name not in taken and q.name != p.name and q.kind != "port_of_entry"]
        signup = draw(st.lists(st.sampled_from(free), unique=True, max_size=3)) if free else []
        taken |= {p.name, *signup}
        events = [
            PortEvent(day=draw(st.integers(0, days + 1)), kind=kind, value=draw(st.floats(0, top)))
            for kind, top in draw(st.lists(st.sampled_from([("capacity", 60), ("closed_hours", 24)]), max_size=4))
        ]
        ports.append(
            Port(
                place=p.name,
                capacity_per_day=draw(st.one_of(st.integers(0, 40), st.floats(0, 40))),
                signup_places=signup,
                sign_rate=draw(st.one_of(st.just(1.0), st.floats(0.01, 1))),
                initial_waitlist=draw(st.integers(0, 60)),
                fixed_capacity=draw(st.one_of(st.none(), st.floats(0, 40))),
                events=events,
            )
        )
    # Some ports are crossings: the people called go on from a place where no list is signed
    free = [q.name for q in places if q.name not in taken]
    for port in ports:
        if free and draw(st.booleans()):
            port.onward_to = draw(st.sampled_from(free))
    # Departures (cohorts, nationality, children) and caravans along roads, with their joiners
    cohorts = ["", "c1", "c2"]
    departures = []

    def departure(place, caravan=""):
        start = draw(st.integers(0, days))
        return Departure(
            place=place,
            start=start,
            end=draw(st.one_of(st.none(), st.integers(start + 1, start + 6))),
            count=draw(st.integers(0, 150)),
            cohort=draw(st.sampled_from(cohorts)),
            caravan=caravan,
            nationality=draw(st.sampled_from(["", "A", "X"])),
            children=draw(st.sampled_from([0.0, 0.17, 1.0])),
        )

    for _ in range(draw(st.integers(0, 4))):
        departures.append(departure(draw(st.sampled_from(names))))
    caravans = []
    neighbours = {i: [b for a, b in pairs if a == i] + [a for a, b in pairs if b == i] for i in range(n)}
    for g in range(draw(st.integers(0, 2))):
        path = [draw(st.integers(0, n - 1))]
        for _ in range(draw(st.integers(1, 4))):
            onward = [q for q in neighbours[path[-1]] if q not in path]
            if not onward:
                break
            path.append(draw(st.sampled_from(onward)))
        if len(path) < 2:
            continue
        stops = [
            CaravanStop(
                place=names[q],
                hold_until=draw(st.one_of(st.none(), st.integers(0, days))),
                pace=draw(st.floats(10, 400)) if k == 0 else draw(st.one_of(st.none(), st.floats(10, 400))),
                leave=draw(st.one_of(st.none(), st.floats(0, 0.5))),
                gather=draw(st.booleans()),
            )
            for k, q in enumerate(path)
        ]
        caravans.append(Caravan(name=f"K{g}", stops=stops))
        for _ in range(draw(st.integers(1, 3))):
            departures.append(departure(names[draw(st.sampled_from(path[:-1]))], caravan=f"K{g}"))
    in_use = sorted({d.cohort for d in departures})

    # Hazards of every outcome; people who move all go to one place, which no port signs up at
    wheres = sorted({v for p in places for v in (p.name, p.within, p.region, p.country) if v})
    signs = {q for port in ports for q in [port.place, *port.signup_places]}
    idx = {name: i for i, name in enumerate(names)}
    to = draw(st.sampled_from([q for q in names if q not in signs] or [None]))
    hazards = []
    for _ in range(draw(st.integers(0, 6))):
        outcome = draw(st.sampled_from(states.HAZARD_OUTCOMES))
        where = draw(st.sampled_from(wheres))
        if outcome == "moved":  # (the model: people do not move to where they are)
            barred = {idx[to]} if to is not None else set(idx.values())
            away = [w for w in wheres if not barred & set(matching(places, w))]
            if not away:
                continue
            where = draw(st.sampled_from(away))
        start = draw(st.integers(0, days))
        hazards.append(
            Hazard(
                outcome=outcome,
                where=where,
                start=start,
                end=draw(st.one_of(st.none(), st.integers(start, days + 1))),
                rate=small_rate(draw),
                cohort=draw(st.sampled_from(in_use or [""])),
                per_week_waited=draw(st.sampled_from([0.0, 0.5, 3.0])),
                per_crowding=draw(st.sampled_from([0.0, 0.5, 3.0])),
                apprehended=draw(st.floats(0, 1)) if outcome == "crossed" else 0.0,
                to=to if outcome == "moved" else None,
            )
        )
    marches = [
        March(
            day=draw(st.integers(0, days)),
            where=draw(st.sampled_from(wheres)),
            share=draw(st.floats(0, 1)),
            cross=draw(st.floats(0, 1)),
            apprehended=draw(st.floats(0, 1)),
            deported=draw(st.floats(0, 1)),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    rim = draw(st.one_of(st.none(), st.integers(0, days)))
    asylum = Asylum(
        custody_days=draw(st.floats(1, 6)),
        apprehended_claim=draw(st.floats(0, 1)),
        remain_in_mexico_from=rim,
        return_place=draw(st.sampled_from(names)) if rim is not None or draw(st.booleans()) else None,
        decision_days=draw(st.floats(1, 40)),
        grant_rate={c: draw(st.floats(0, 1)) for c in draw(st.lists(st.sampled_from(["A", "B", "X"]), unique=True))},
        default_grant_rate=draw(st.floats(0, 1)),
    )
    share = draw(st.sampled_from([0.0, 0.5, 1.0]))
    reentry = Reentry(share=share, days=draw(st.floats(1, 5)), place=draw(st.sampled_from(names)) if share else None)

    mode = draw(st.sampled_from(["observed", "departures", "conflict"]))
    camps = [p.name for p in places if p.kind in ("camp", "idp_camp")]
    observed, spawn = {}, SpawnRules(mode=mode)
    if mode == "observed":
        if camps and draw(st.booleans()):
            observed = {draw(st.sampled_from(camps)): draw_series(draw, days)}
            spawn = SpawnRules(mode=mode, insert_day0=draw(st.booleans()))
        else:
            observed = {"total": draw_series(draw, days)}
            spawn = SpawnRules(mode=mode, sum_from_camps=False, insert_day0=False)
    elif mode == "conflict":
        rate_mode = draw(st.sampled_from(["constant", "pop_ratio", "poisson"]))
        rate = draw(st.floats(0, 0.02)) if rate_mode == "pop_ratio" else draw(st.floats(0, 60))
        decay = draw(st.one_of(st.none(), st.lists(st.floats(0, 1), min_size=1, max_size=3)))
        spawn = SpawnRules(mode=mode, rate=rate, rate_mode=rate_mode, conflict_spawn_decay=decay)
    conflicts = None
    if draw(st.booleans()):
        zones = [p.name for p in places if p.kind == "conflict_zone"]
        conflicts = [
            ConflictPeriod(
                place=draw(st.sampled_from(zones)),
                start=s,
                end=draw(st.integers(s, days + 1)),
                intensity=draw(st.floats(0.1, 2)),
            )
            for s in draw(st.lists(st.integers(0, days), max_size=3))
        ]
    move = MoveRules(
        max_move_speed=draw(st.floats(20, 400)),
        awareness_level=draw(st.integers(0, 3)),
        start_on_foot=draw(st.booleans()),
        default_movechance=draw(st.floats(0, 1)),
        camp_movechance=draw(st.sampled_from([0.0, 0.001, 0.3])),
        no_backtrack=draw(st.booleans()),
        crowded_movechance=draw(st.sampled_from([0.0, 0.2])),
    )
    return Scenario(
        name="everything",
        start_date="2018-10-01",
        days=days,
        places=places,
        links=links,
        closures=closures,
        conflicts=conflicts,
        observed=observed,
        ports=ports,
        departures=departures,
        caravans=caravans,
        hazards=hazards,
        marches=marches,
        asylum=asylum,
        reentry=reentry,
        spawn=spawn,
        move=move,
    )


def matching(places, where):
    return [i for i, p in enumerate(places) if where in (p.name, p.within, p.region, p.country)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sc=border_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_agents_are_conserved_every_day_with_everything_on(sc, seed):
    res = Simulation(sc).run(seed=seed, check=True)
    assert_books_balance(sc, res)


def test_road_table_adds_up_to_departures(tmp_path):
    import corridor

    from conftest import flee_path

    res = corridor.load(flee_path("mali2012")).run(seed=3, days=120)
    links = res.link_table()
    assert (links["set_out"] > 0).all()
    by_place = links.groupby(["day", "from"], observed=True)["set_out"].sum()
    dep = res.table().set_index(["day", "place"])["departures"]
    dep = dep[dep > 0]
    assert by_place.sort_index().to_dict() == {k: v for k, v in dep.sort_index().items()}
    # a road's two directions are told apart: nobody sets out from a place towards itself
    assert (links["from"].astype(str) != links["to"].astype(str)).all()
