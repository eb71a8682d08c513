"""What makes a small run cheap changes no result: a Simulation's runs share its compiled network and the
routes its rebuilds enumerated, and a few daily scans read the states eight at a time. (How fast is
measured in bench/small_runs.py, never here.)"""

from pathlib import Path

import numba
import numpy as np

import corridor
from corridor import states as S
from corridor.sim.components.asylum import in_custody
from corridor.sim.components.caravans import still_in
from corridor.sim.components.ports import sign_day
from corridor.sim.network import RouteBook, compile_network
from corridor.sim.rng import key64

from conftest import line_scenario

TIJUANA = Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018"


def tables(res: corridor.RunResult) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in res.record.arrays().items()}


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)


def network_arrays(net) -> dict[str, np.ndarray]:
    """Every array of a compiled network, those inside its lists too (departure tables, caravans' plans)."""
    out = {k: v.copy() for k, v in vars(net).items() if isinstance(v, np.ndarray)}
    for g, (*_, table) in enumerate(net.departure_groups):
        out[f"departure_group_{g}"] = table.copy()
    for c, plan in enumerate(net.caravans):
        out.update({f"caravan_{c}_{k}": v.copy() for k, v in vars(plan).items() if isinstance(v, np.ndarray)})
    return out


def test_runs_of_one_simulation_match_runs_of_fresh_ones():
    # tijuana-2018 rebuilds its routes three times a run (a shelter opens, another closes): the second run
    # of a Simulation takes the first run's routes, a shorter run a prefix of them, a longer one walks on
    sim = corridor.load(TIJUANA)
    net = sim.network
    before = network_arrays(net)
    runs = [tables(sim.run(seed=s, days=d)) for s, d in ((1, 60), (1, None), (2, None), (1, 60), (1, None))]
    assert sim.network is net
    assert net._route_memo, "the rebuilds are kept for later runs"
    fresh = {(s, d): tables(corridor.load(TIJUANA).run(seed=s, days=d)) for s, d in ((1, 60), (1, None), (2, None))}
    assert same(runs[0], fresh[(1, 60)]) and same(runs[3], fresh[(1, 60)])
    assert same(runs[1], fresh[(1, None)]) and same(runs[4], fresh[(1, None)])
    assert same(runs[2], fresh[(2, None)])
    assert same(network_arrays(net), before), "a run writes nothing into the network its Simulation keeps"


def test_a_new_scenario_gets_its_own_network():
    sim = corridor.load(TIJUANA)
    first = sim.network
    sim.scenario = sim.scenario.model_copy(update={"days": 30})
    assert sim.network is not first and sim.network is sim.network


def test_routes_kept_by_the_masks_asked_for_so_far_give_each_run_its_own_ids():
    # ids are given in the order a run's rebuilds find the routes: the same masks in another order give the
    # same routes under other ids; the same masks in the same order give the kept routes themselves, equal
    # to those of a network that never kept any
    sc = line_scenario([10, 10, 10], days=5)
    net = compile_network(sc)
    all_open = np.ones(net.n_links, bool)
    one_shut = all_open.copy()
    one_shut[2:4] = False  # the road between the two towns, both ways
    a, b = RouteBook(), RouteBook()
    ra = [net.routes(m, a) for m in (one_shut, all_open)]
    [net.routes(m, b) for m in (all_open, one_shut)]
    assert len(ra[0].dest) < len(ra[1].dest)  # the second rebuild found routes the first could not
    assert sorted(a.rows) == sorted(b.rows) and a.rows != b.rows
    again = RouteBook()
    rc = [net.routes(m, again) for m in (one_shut, all_open)]
    assert rc[0] is ra[0] and rc[1] is ra[1]
    assert again.ids == a.ids and again.rows == a.rows
    cold, book = compile_network(sc), RouteBook()
    for kept, mask in zip(ra, (one_shut, all_open), strict=True):
        fresh = cold._enumerate(mask, book.ids, book.rows)
        for k in ("links", "length", "dest", "dist", "cand_start", "cand_route"):
            assert np.array_equal(getattr(fresh, k), getattr(kept, k)), k


def random_states(rng: np.random.Generator, n: int) -> np.ndarray:
    codes = np.arange(S.N_STATES, dtype=np.int8)
    weights = rng.dirichlet(np.full(S.N_STATES, 0.3))
    return rng.choice(codes, size=n, p=weights).astype(np.int8)


def test_custody_scan_lists_everyone_in_custody_in_row_order():
    rng = np.random.default_rng(0)
    for _ in range(200):
        state = random_states(rng, int(rng.integers(0, 300)))
        n = int(rng.integers(0, len(state) + 1))
        want = np.flatnonzero(np.isin(state[:n], (S.PROCESSED, S.APPREHENDED, S.SURRENDERED)))
        got = in_custody(state, n)
        assert got.dtype == np.int32 and np.array_equal(got, want)


def test_caravan_members_still_in_are_kept_in_order():
    rng = np.random.default_rng(1)
    state = random_states(rng, 500)
    for _ in range(50):
        members = np.sort(rng.choice(500, int(rng.integers(0, 200)), replace=False)).astype(np.int32)
        st = state[members]
        want = members[(st == S.CARAVAN_AT) | (st == S.CARAVAN_ROAD)]
        got = still_in(members, state)
        assert got.dtype == np.int32 and np.array_equal(got, want)


def test_who_signs_a_list_does_not_depend_on_the_scan_or_the_threads():
    # people at a place sign with the place's chance, each by their own draw: the word-by-word scan signs
    # exactly those a person-by-person reference signs, at any length and on one or two threads
    from corridor.sim.rng import agent_stream, uniform

    @numba.njit
    def reference(n, day, key, state, loc, sign_rate):
        for i in range(n):
            if state[i] == S.AT_PLACE and sign_rate[loc[i]] > 0.0:
                _, u = uniform(agent_stream(key, day, i))
                if u < sign_rate[loc[i]]:
                    state[i] = S.SIGNING

    rng = np.random.default_rng(2)
    key = key64(3, "sign")
    sign_rate = np.array([0.0, 0.3, 1.0, 0.05])
    before = numba.get_num_threads()
    for size in (0, 7, 8, 4096, 4103, 20_000):
        state = random_states(rng, size + 9)
        loc = rng.integers(0, 4, size + 9).astype(np.int32)
        want = state.copy()
        reference(size, 11, key, want, loc, sign_rate)
        for blocks in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            got = state.copy()
            numba.set_num_threads(blocks)
            try:
                sign_day(size, blocks, 11, key, got, loc, sign_rate, np.full(1, -1, np.int32))  # no households
            finally:
                numba.set_num_threads(before)
            assert np.array_equal(got, want), (size, blocks)
