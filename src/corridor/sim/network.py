"""The scenario compiled to arrays: places, directed links, closures, conflicts and routes.

Everything the daily step reads is a numpy array indexed by place or directed link. What changes
from day to day (which links are open, which places are in conflict) is computed here once a day in
O(places + links), never per agent.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from ..errors import error_at
from ..scenario.model import MoveRules, Scenario

# Place kind codes, shared with the kernels.
CONFLICT, TOWN, CAMP, IDP_CAMP, HUB, MARKER, SHELTER, PORT = range(8)
KIND_CODE = {
    "conflict_zone": CONFLICT,
    "town": TOWN,
    "camp": CAMP,
    "idp_camp": IDP_CAMP,
    "forwarding_hub": HUB,
    "marker": MARKER,
    "shelter": SHELTER,
    "port_of_entry": PORT,
}


@dataclass
class Routes:
    """Candidate routes: an append-only registry plus, per place, the routes open today.

    A route is a sequence of directed links of at most `awareness_level` hops (markers do not
    count). Ids never change once given, so an agent's planned route survives a rebuild.
    """

    links: np.ndarray  # (R, H) int32 directed link ids, -1 padded
    length: np.ndarray  # (R,) int8 hops
    dest: np.ndarray  # (R,) int32 final place
    dist: np.ndarray  # (R,) float64 total km
    near: np.ndarray  # (R,) float64 destination score factor of stay_close_to_home (1 when off)
    scale: np.ndarray  # (R,) float64 factor of (softening + km): 1, or 1/4 for Flee's major routes (fixed_routes)
    cand_start: np.ndarray  # (P+1,) int64 CSR into cand_route
    cand_route: np.ndarray  # (K,) int32 route ids open from each place


Row = tuple[tuple[int, ...], int, float, float, int]  # a route's links, last place, km, distance factor, first place


@dataclass
class FixedTables:
    """Flee's fixed_routes (crawling.py): what each place's table of one route per destination is built from."""

    majors: list[list[tuple[list[int], str]]]  # per place, the major routes it knows (the places after it, and
    # where the route was read), in Flee's order
    softening: float
    ranked: bool  # route weights fall as the distance grows (distance_power and weight_power above 0)


@dataclass
class RouteBook:
    """One run's route ids: `ids` by sequence of directed links (a fixed_routes table's major routes by a key of
    their own), `rows` (links, last place, km, distance factor, first place) by id, given
    in the order rebuilds first find them and never changed. `key` is a digest of the open-road masks of the
    run's rebuilds so far, in order: it names the routes the next rebuild gives (`Network.routes`)."""

    ids: dict[tuple[object, ...], int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    key: bytes = b""


# Rebuilds a network keeps for later runs (Network.routes): at most this many, holding at most this many bytes.
ROUTE_MEMO_ENTRIES = 256
ROUTE_MEMO_BYTES = 64 << 20


@dataclass
class CaravanPlan:
    """A caravan's route compiled: stop places, the directed link of each leg, and per-stop rules."""

    name: str
    stops: np.ndarray  # (S,) int32 places
    legs: np.ndarray  # (S-1,) int32 directed link from stop k to stop k+1
    hold_until: np.ndarray  # (S,) int64, -1 none
    pace: np.ndarray  # (S,) float64 km/day on the leg after each stop (forward-filled)
    leave: np.ndarray  # (S,) float64 daily chance of going on alone after each stop (forward-filled)
    gather: np.ndarray  # (S,) bool: people of the caravan's cohort in town join it there
    cohort: int  # cohort of the caravan's departures (scenario.cohorts() index; 0 if none)


@dataclass
class PortLists:
    """How the ports' lists are numbered and chosen among (docs/model.md, Numbered lists; Choosing among ports)."""

    group_size: np.ndarray  # (ports,) int64 people per number; 0: the list counts people
    numbers_per_day: np.ndarray  # (days, ports) float64 numbers called on a full day (inf: no limit)
    absent: np.ndarray  # (ports,) float64 chance a called number's holders are not there
    # (P, ports) bool: the ports someone signing at a place chooses among; (0, ports) when no place has two
    choice: np.ndarray
    choice_noise: np.ndarray  # (P,) float64 days: the spread of that choice (0: the shortest expected wait)

    @property
    def numbered(self) -> bool:
        return bool((self.group_size > 0).any())


@dataclass
class Network:
    names: list[str]
    countries: list[str]
    kind: np.ndarray  # (P,) int8 base kind
    pop: np.ndarray  # (P,) int64 resident population (scaled by hasten)
    capacity: np.ndarray  # (P,) float64 Scenario.effective_capacity, -1 where unlimited
    foreign: np.ndarray  # (P,) bool
    soft: np.ndarray  # (P,) bool shelters that crowd past capacity instead of turning people away
    attraction: np.ndarray  # (P,) float64 score multiplier as a destination
    pop_weight: np.ndarray  # (P,) float64 use_pop_for_loc_weight's factor for a destination not a camp (1 when off)
    movechance_scale: np.ndarray  # (P,) float64 movechance_pop_scale_factor's factor (1 when off)
    home_power: float  # stay_close_to_home's power of the distance; None: off
    lat: np.ndarray
    lon: np.ndarray
    link_src: np.ndarray  # (L,) int32
    link_dst: np.ndarray  # (L,) int32
    link_dist: np.ndarray  # (L,) float64
    link_speed: np.ndarray  # (L,) float64, km/day
    link_death: np.ndarray  # (L,) float64 daily chance of dying for someone on the road at the end of a day
    link_walk: np.ndarray  # (L,) float64 each person's daily chance of going at walking speed on the road
    out_start: np.ndarray  # (P+1,) CSR of out-links by source
    out_link: np.ndarray
    closure_masks: list[tuple[int, int, int, np.ndarray | None, np.ndarray | None]]
    conflict_intensity: np.ndarray  # (days, P) float64
    conflict_start: np.ndarray  # (days, P) int32 day the current conflict began, -1 none
    food_level: np.ndarray  # (days, P) float64 IPC level of the place's region (NaN: none; (0, P) without food rules)
    awareness: int
    port_names: list[str]
    movechance_override: np.ndarray  # (P,) float64, NaN where the place's kind decides
    departures: np.ndarray  # (days, P) int64 people scheduled to set out
    # the same by (cohort, nationality): cohort in scenario.cohorts() order, nationality an index into
    # `nations` or -1 (the country of the place they set out from)
    # (cohort, nation, share of children, mean household size, days x P)
    departure_groups: list[tuple[int, int, float, float, np.ndarray]]
    nations: list[str]  # every country: the places' and the departures' nationalities, sorted
    nation_of_place: np.ndarray  # (P,) int16 index into nations
    relocations: list[tuple[int, int, int]]  # (day, place closing, place its people are taken to)
    caravans: list[CaravanPlan]  # routes of the scenario's caravans
    # day -> (caravan, place, count, cohort, nation, share of children, mean household size)
    caravan_departures: dict[int, list[tuple[int, int, int, int, int, float, float]]]
    signup_port: np.ndarray  # (P,) int32: the port whose list arrivals here sign, -1 none
    sign_rate: np.ndarray  # (P,) float64 daily chance of signing the list here (1: on arrival; 0: no list)
    port_capacity: np.ndarray  # (days, ports) float64 claims processed per full day
    port_closed_hours: np.ndarray  # (days, ports) float64
    port_onward: np.ndarray  # (ports,) int32 where the people a crossing calls go on to, -1: custody (a port of entry)
    port_place: np.ndarray  # (ports,) int32 each port's own place
    port_lists: PortLists
    # the rebuilds made so far, by RouteBook.key after them: (Routes, ids, rows), none of them changed again
    fixed: FixedTables | None = None  # Flee's fixed_routes (None: off, or awareness 0)
    _route_memo: dict[bytes, tuple[Routes, dict[tuple[object, ...], int], list[Row]]] = field(default_factory=dict)
    _route_memo_bytes: int = 0
    _last_hops: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def n_places(self) -> int:
        return len(self.names)

    @property
    def n_links(self) -> int:
        return len(self.link_src)

    def last_hop(self, src: int, dst: int) -> int:
        """The place just before `dst` on the shortest road route from `src` (-1 if none): where someone
        who went from src to dst came in from, for the no-backtrack rule. Kept for the network's later runs."""
        hop = self._last_hops.get((src, dst))
        if hop is None:
            hop = self._last_hops[(src, dst)] = self._find_last_hop(src, dst)
        return hop

    def _find_last_hop(self, src: int, dst: int) -> int:
        best = {src: 0.0}
        before = {src: -1}
        heap = [(0.0, src)]
        while heap:
            d, p = heapq.heappop(heap)
            if p == dst:
                return before[p]
            if d > best[p]:
                continue
            for lk in np.flatnonzero(self.link_src == p):
                q, dq = int(self.link_dst[lk]), d + float(self.link_dist[lk])
                if dq < best.get(q, np.inf):
                    best[q], before[q] = dq, p
                    heapq.heappush(heap, (dq, q))
        return -1

    def closures_in_force(self, day: int) -> tuple[int, ...]:
        """Which of the closures are in force on `day` (the open links and camps follow from these)."""
        return tuple(k for k, (start, end, _, _, _) in enumerate(self.closure_masks) if _active(start, end, day))

    def open_links(self, day: int) -> np.ndarray:
        """Directed links open on `day`."""
        closed = np.zeros(self.n_links, dtype=bool)
        for start, end, _, mask, _ in self.closure_masks:
            if mask is not None and _active(start, end, day):
                closed |= mask
        return ~closed

    def camp_closed(self, day: int) -> np.ndarray:
        """Places whose camp status is suspended on `day` (Flee's 'camp' closure)."""
        out = np.zeros(self.n_places, dtype=bool)
        for start, end, _, _, places in self.closure_masks:
            if places is not None and _active(start, end, day):
                out |= places
        return out

    def routes(self, open_mask: np.ndarray, book: RouteBook) -> Routes:
        """Today's candidate routes from every place over open links, with the ids of the run's `book`
        (whose ids and key it moves on).

        Which roads are open on which day follows from the scenario alone, so every run of a network asks
        for the same masks in the same order and gets the same routes with the same ids. The network keeps
        each rebuild's result by the digest of the masks asked for so far (within ROUTE_MEMO_ENTRIES and
        ROUTE_MEMO_BYTES), and a later run takes it instead of walking the roads again (three walks were
        some 2 ms of a 40 ms run of tijuana-2018). What it keeps is never changed: a rebuild not kept
        starts from copies of the book's ids and rows."""
        key = hashlib.blake2b(book.key + np.ascontiguousarray(open_mask, dtype=np.bool_).tobytes(),
                              digest_size=16).digest()  # fmt: skip
        kept = self._route_memo.get(key)
        if kept is None:
            ids, rows = dict(book.ids), list(book.rows)
            routes = self._enumerate(open_mask, ids, rows)
            size = sum(a.nbytes for a in vars(routes).values()) + 200 * len(rows)  # the ids and rows, roughly
            if len(self._route_memo) < ROUTE_MEMO_ENTRIES and self._route_memo_bytes + size <= ROUTE_MEMO_BYTES:
                self._route_memo[key] = (routes, ids, rows)
                self._route_memo_bytes += size
        else:
            routes, ids, rows = kept
        book.ids, book.rows, book.key = ids, rows, key
        return routes

    def _near(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """stay_close_to_home's factor for routes from `src` to `dst`: 1 / max(1, km as the crow flies) ** power.

        Flee's Location.calculateDistance takes a place's y (its `lon` column) as the latitude and its x (`lat`)
        as the longitude; the same here, so that the weights are Flee's."""
        if self.home_power is None:
            return np.ones(len(src))
        phi1, phi2 = np.radians(self.lon[src]), np.radians(self.lon[dst])
        dlam = np.radians(self.lat[dst]) - np.radians(self.lat[src])
        a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
        km = 6371.0 * 2 * np.arctan2(np.sqrt(a), np.sqrt(1 - a))
        return 1.0 / np.maximum(1.0, km) ** self.home_power

    def _enumerate(self, open_mask: np.ndarray, ids: dict[tuple[object, ...], int], rows: list[Row]) -> Routes:
        """Enumerate the candidate routes over open links, giving ids (in `ids` and `rows`) to routes new to them."""

        def route_id(seq: tuple[int, ...]) -> int:
            rid = ids.get(seq)
            if rid is None:
                rid = len(rows)
                ids[seq] = rid
                rows.append((seq, int(self.link_dst[seq[-1]]), float(self.link_dist[list(seq)].sum()), 1.0,
                             int(self.link_src[seq[0]])))  # fmt: skip
            return rid

        cand: list[list[int]] = [[] for _ in range(self.n_places)]
        if self.fixed is not None:
            cand = self._fixed_tables(open_mask, ids, rows, route_id)
        elif self.awareness == 0:
            for p in range(self.n_places):
                for k in range(self.out_start[p], self.out_start[p + 1]):
                    lk = int(self.out_link[k])
                    if open_mask[lk]:
                        cand[p].append(route_id((lk,)))
        else:
            # The walk is compiled (in Python it was most of a rebuild, three a run of tijuana-2018, whose
            # roads run through hundreds of markers); the ids are given here, in the order it found them.
            places, starts, roads = walk_routes(self.out_start, self.out_link, self.link_dst, self.kind, open_mask,
                                                self.awareness)  # fmt: skip
            starts, roads = starts.tolist(), roads.tolist()
            for j, p in enumerate(places.tolist()):
                cand[p].append(route_id(tuple(roads[starts[j] : starts[j + 1]])))
        for lst in cand:
            lst.sort()
        counts = np.array([len(c) for c in cand], dtype=np.int64)
        cand_start = np.zeros(self.n_places + 1, dtype=np.int64)
        np.cumsum(counts, out=cand_start[1:])
        flat = np.array([r for c in cand for r in c], dtype=np.int32)
        hops = max((len(r[0]) for r in rows), default=1) or 1
        links = np.full((len(rows), hops), -1, dtype=np.int32)
        for i, r in enumerate(rows):
            links[i, : len(r[0])] = r[0]
        dest = np.array([r[1] for r in rows], dtype=np.int32)
        first = np.array([r[4] for r in rows], dtype=np.int64)
        return Routes(
            links=links,
            length=np.array([len(r[0]) for r in rows], dtype=np.int8),
            dest=dest,
            dist=np.array([r[2] for r in rows], dtype=np.float64),
            near=self._near(first, dest) if len(rows) else np.ones(0),
            scale=np.array([r[3] for r in rows], dtype=np.float64),
            cand_start=cand_start,
            cand_route=flat,
        )

    def _fixed_tables(
        self,
        open_mask: np.ndarray,
        ids: dict[tuple[object, ...], int],
        rows: list[Row],
        route_id: Callable[[tuple[int, ...]], int],
    ) -> list[list[int]]:
        """Flee's fixed_routes (crawling.generateLocationRoutes): each place's table of one route per destination
        over open roads, as route ids per place.

        Flee walks every path of up to awareness_level roads (a marker counts as a road here, unlike in Flee's
        other walk; markers are no destination), depth first in the order of routes.csv, keeping for each
        destination the first path of the highest weight: the shortest, since the weight falls with the distance.
        Then come the major routes, to destinations the walk did not reach: the place's own, then those of each
        destination of the walk in the order it first reached them, each walked after the way to that place, its
        distance (with softening) divided by 4. Flee's bookkeeping, reproduced: a major route replaces what the
        table holds for its destination when it weighs more than the route of the place before that destination
        to it (not the table's own entry), so the last one that does is kept; and the route a person follows drops
        the first place of the walked route, so from here it leads to that route's second place, which only a road
        from here to it makes followable (else choosing it costs the day: a route of no roads)."""
        fx = self.fixed
        assert fx is not None
        P, aw, soft = self.n_places, self.awareness, fx.softening
        out: list[list[int]] = [[] for _ in range(P)]
        exits = [[int(self.out_link[k]) for k in range(self.out_start[p], self.out_start[p + 1])
                  if open_mask[self.out_link[k]]] for p in range(P)]  # fmt: skip

        def better(d_new: float, d_old: float) -> bool:
            return fx.ranked and d_new < d_old

        # per place: destination -> (softened distance, places after the start, km), in Flee's insertion order
        tables: list[dict[int, tuple[float, list[int], float]]] = []
        for s in range(P):
            table: dict[int, tuple[float, list[int], float]] = {}
            if self.kind[s] != MARKER:
                stack = [(lk, 0.0, [s], 1) for lk in reversed(exits[s])]
                while stack:  # Flee's recursion, in its order
                    lk, prior, path, step = stack.pop()
                    q = int(self.link_dst[lk])
                    if self.kind[q] != MARKER:
                        d = soft + float(self.link_dist[lk]) + prior
                        if q not in table or better(d, table[q][0]):
                            table[q] = (d, path[1:] + [q], prior + float(self.link_dist[lk]))
                    if aw > step:
                        on = path + [q]
                        km = prior + float(self.link_dist[lk])
                        stack.extend((nxt, km, on, step + 1) for nxt in reversed(exits[q])
                                     if int(self.link_dst[nxt]) not in on[:-1])  # fmt: skip
            tables.append(table)

        def walk(s: int, places: list[int], mr_at: str) -> float:
            km, here = 0.0, s
            for q in places:
                lk = next((lk for lk in exits[here] if self.link_dst[lk] == q), None)
                if lk is None:
                    raise error_at(
                        mr_at,
                        f"a major route known at {self.names[s]!r} crosses a closed road from {self.names[here]!r} "
                        f"to {self.names[q]!r}",
                        expected="major routes on open roads (Flee stops)",
                    )
                km += float(self.link_dist[lk])
                here = q
            return km

        for s in range(P):
            table = tables[s]
            if self.kind[s] == MARKER:
                continue
            regular = list(table)
            entries: dict[int, tuple[float, list[int], float, bool]] = {q: (*v, False) for q, v in table.items()}
            known = set(regular) | {s}
            hubs = [(s, [])] + [(h, table[h][1]) for h in regular]
            for hub, way in hubs:
                for mr, mr_at in fx.majors[hub]:
                    e = mr[-1]
                    if e in known:
                        continue
                    route = way + mr
                    km = walk(s, route, mr_at)
                    d = (soft + km) / 4.0
                    before = route[-2] if len(route) > 1 else s
                    ref = entries.get(e) if before == s else tables[before].get(e)
                    if ref is None or better(d, ref[0]):
                        # Flee keeps route[1:] (its list of places passed lacks the start here)
                        entries[e] = (d, route[1:] if len(route) > 1 else route, km, True)
            for e, (_, stored, km, major) in entries.items():
                if not major:
                    seq = self._follow(s, stored, exits)
                    out[s].append(route_id(seq))
                    continue
                seq = self._follow(s, stored, exits)
                key = ("major", s, e, km, seq)
                rid = ids.get(key)
                if rid is None:
                    rid = ids[key] = len(rows)
                    rows.append((seq, e, km, 0.25, s))
                out[s].append(rid)
        return out

    def _follow(self, s: int, places: list[int], exits: list[list[int]]) -> tuple[int, ...]:
        """The roads a person at `s` takes along `places` (Flee's take_next_step: the first open road to the next
        place); () when there is no road from `s` to the first (the plan is given up, nobody moves)."""
        seq, here = [], s
        for q in places:
            lk = next((lk for lk in exits[here] if self.link_dst[lk] == q), None)
            if lk is None:
                return ()
            seq.append(lk)
            here = q
        return tuple(seq)


@nb.njit(cache=True)
def walk_routes(out_start, out_link, link_dst, kind, open_mask, awareness):
    """Every place's candidate routes over open roads: a depth-first walk from each place, in place order,
    of paths of at most `awareness` hops that visit no place twice, where markers add no candidate and no
    hop; a road from a place to itself (Flee's format allows it) is a path back to it, taken at most once.
    Returns each candidate's place, the start of its roads in `roads` (CSR) and the roads, in the order the
    walk finds them (the order the route ids are given in).

    The walk keeps the tree of the paths on its stack (node: place, parent node, road from the parent,
    hops so far + 1) and pops the last pushed first, as the Python walk it replaced did."""
    cap = 1024
    node_place = np.empty(cap, np.int64)
    node_parent = np.empty(cap, np.int64)
    node_link = np.empty(cap, np.int64)
    node_step = np.empty(cap, np.int64)
    stack = np.empty(cap, np.int64)
    c_place = np.empty(cap, np.int64)
    c_start = np.zeros(cap + 1, np.int64)
    roads = np.empty(cap, np.int64)
    n_c = 0
    for p in range(len(out_start) - 1):
        n_nodes = 1
        node_place[0], node_parent[0], node_link[0], node_step[0] = p, -1, -1, 1
        stack[0] = 0
        top = 1
        while top:
            top -= 1
            u = stack[top]
            at = node_place[u]
            for k in range(out_start[at], out_start[at + 1]):
                lk = out_link[k]
                q = link_dst[lk]
                if not open_mask[lk]:
                    continue
                seen = False
                depth = 0  # roads from p to node u
                v = u
                while v >= 0:
                    # q is checked against the places before node u, not u's own: only a road from a place to
                    # itself (Flee format) leads back to u, and Flee offers it, once, as any other road
                    if node_place[v] == q and v != u:
                        seen = True
                        break
                    depth += node_parent[v] >= 0
                    v = node_parent[v]
                if seen:
                    continue
                step = node_step[u]
                if kind[q] == MARKER:
                    step -= 1
                else:
                    if n_c + 1 >= len(c_place):
                        c_place, c_start = _grown(c_place, 2 * len(c_place)), _grown(c_start, 2 * len(c_place) + 1)
                    end = c_start[n_c] + depth + 1
                    if end > len(roads):
                        roads = _grown(roads, max(2 * len(roads), end))
                    roads[end - 1] = lk
                    v = u
                    for j in range(end - 2, c_start[n_c] - 1, -1):
                        roads[j] = node_link[v]
                        v = node_parent[v]
                    c_place[n_c] = p
                    c_start[n_c + 1] = end
                    n_c += 1
                if awareness > step:
                    if n_nodes == len(node_place):
                        size = 2 * n_nodes
                        node_place, node_parent = _grown(node_place, size), _grown(node_parent, size)
                        node_link, node_step, stack = (
                            _grown(node_link, size),
                            _grown(node_step, size),
                            _grown(stack, size),
                        )
                    node_place[n_nodes], node_parent[n_nodes], node_link[n_nodes] = q, u, lk
                    node_step[n_nodes] = step + 1
                    stack[top] = n_nodes
                    top += 1
                    n_nodes += 1
    return c_place[:n_c], c_start[: n_c + 1], roads[: c_start[n_c]]


@nb.njit(cache=True)
def _grown(a, size):
    out = np.empty(size, a.dtype)
    out[: len(a)] = a
    return out


def _active(start: int, end: int, day: int) -> bool:
    if end > start:
        return start <= day < end
    return end < start <= day


def pop_factors(mv: MoveRules, pop: np.ndarray, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flee's population rules on the places' own populations (hastened, as Flee's): the score factor of
    use_pop_for_loc_weight and the move chance factor of movechance_pop_scale_factor, 1 where a rule is off."""
    pop_weight = np.maximum(1.0, pop) ** mv.pop_power_for_loc_weight if mv.use_pop_for_loc_weight else np.ones(len(pop))
    mc_scale = np.ones(len(pop))
    if mv.movechance_pop_scale_factor != 0:
        mc_scale = (np.maximum(pop, cap) / mv.movechance_pop_base) ** mv.movechance_pop_scale_factor
    return pop_weight, mc_scale


def food_levels(sc: Scenario) -> np.ndarray:
    """Each place's IPC level each day: its region's series, linear between points (Flee's dict_interp); NaN
    where the region has none. No rows without food rules (nothing reads them)."""
    if not sc.has_food_rules():
        return np.zeros((0, len(sc.places)))
    out = np.full((sc.days, len(sc.places)), np.nan)
    t = np.arange(sc.days, dtype=np.float64)
    for p, place in enumerate(sc.places):
        pts = sc.food_insecurity.get(place.region)
        if pts:
            out[:, p] = np.interp(t, [q.day for q in pts], [q.value for q in pts])
    return out


def compile_network(sc: Scenario) -> Network:
    idx = sc.place_index()
    P = len(sc.places)
    h = sc.hasten
    kind = np.array([KIND_CODE[p.kind] for p in sc.places], dtype=np.int8)
    pop = np.array([p.population // h for p in sc.places], dtype=np.int64)
    cap = np.array([-1.0 if c is None else c for c in sc.effective_capacities()], dtype=np.float64)
    home = sc.places[0].country
    foreign = np.array([p.country != home for p in sc.places], dtype=bool)
    pop_weight, mc_scale = pop_factors(sc.move, pop, cap)

    # Each undirected route is two directed links: 2i is a->b, 2i+1 is b->a.
    L = 2 * len(sc.links)
    src = np.empty(L, dtype=np.int32)
    dst = np.empty(L, dtype=np.int32)
    dist = np.empty(L, dtype=np.float64)
    speed = np.empty(L, dtype=np.float64)
    death = np.empty(L, dtype=np.float64)
    walk = np.empty(L, dtype=np.float64)
    for i, lk in enumerate(sc.links):
        a, b = idx[lk.a], idx[lk.b]
        src[2 * i], dst[2 * i], src[2 * i + 1], dst[2 * i + 1] = a, b, b, a
        dist[2 * i] = dist[2 * i + 1] = lk.distance
        speed[2 * i] = speed[2 * i + 1] = lk.speed or sc.move.max_move_speed
        death[2 * i] = death[2 * i + 1] = lk.death_rate
        walk[2 * i] = walk[2 * i + 1] = lk.walk_probability
    order = np.argsort(src, kind="stable")
    out_start = np.zeros(P + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=P), out=out_start[1:])

    country = np.array([p.country for p in sc.places])
    masks = []
    for c in sc.closures:
        lmask, pmask = None, None
        if c.kind == "country":
            sc_, dc_ = country[src], country[dst]
            lmask = ((sc_ == c.a) & (dc_ == c.b)) | ((sc_ == c.b) & (dc_ == c.a))
        elif c.kind == "location":
            lmask = (src == idx[c.a]) | (dst == idx[c.a])
        elif c.kind == "link":
            a, b = idx[c.a], idx[c.b]
            lmask = ((src == a) & (dst == b)) | ((src == b) & (dst == a))
        elif c.kind in ("camp", "idp_camp"):
            pmask = np.zeros(P, dtype=bool)
            pmask[idx[c.a]] = True
        else:  # remove_forced_redirection: Flee keeps the flag but no rule reads it
            continue
        masks.append((c.start, c.end, 0, lmask, pmask))
    for j, p in enumerate(sc.places):  # a shelter takes nobody before it opens or after it closes
        lmask = (src == j) | (dst == j)
        if p.opens:
            masks.append((0, p.opens, 0, lmask, None))
        if p.closes is not None:
            masks.append((p.closes, -1, 0, lmask, None))

    intensity = np.zeros((sc.days, P), dtype=np.float64)
    began = np.full((sc.days, P), -1, dtype=np.int32)
    in_table = set()
    for cp in sc.conflicts or []:
        j = idx[cp.place]
        in_table.add(j)
        end = min(cp.end, sc.days)
        intensity[cp.start : end, j] = cp.intensity
        began[cp.start : end, j] = cp.start
    for j, p in enumerate(sc.places):
        if p.kind == "conflict_zone" and j not in in_table:
            start = max(p.conflict_date or 0, 0)
            intensity[start:, j] = p.conflict_intensity
            began[start:, j] = start

    n_ports = len(sc.ports)
    signup = np.full(P, -1, dtype=np.int32)
    sign_rate = np.zeros(P)
    capacity = np.zeros((sc.days, n_ports))
    closed_hours = np.zeros((sc.days, n_ports))
    choice = np.zeros((P, n_ports), dtype=bool)
    noise = np.zeros(P)
    numbers = np.full((sc.days, n_ports), np.inf)
    for k, port in enumerate(sc.ports):
        for name in [port.place, *port.signup_places]:
            j = idx[name]
            choice[j, k] = True
            if signup[j] < 0:  # the first port listing a place sets its sign rate
                signup[j] = k
                sign_rate[j] = port.sign_rate
                noise[j] = port.choice_noise
        capacity[:, k] = port.capacity_per_day if port.fixed_capacity is None else port.fixed_capacity
        if port.numbers_per_day is not None:
            numbers[:, k] = port.numbers_per_day
        for ev in sorted(port.events, key=lambda e: e.day):
            if ev.day >= sc.days:
                continue
            if ev.kind == "capacity":
                if port.fixed_capacity is None:
                    capacity[ev.day :, k] = ev.value
            elif ev.kind == "numbers":
                numbers[ev.day :, k] = ev.value
            else:
                closed_hours[ev.day, k] = min(24.0, closed_hours[ev.day, k] + ev.value)
    lists = PortLists(
        group_size=np.array([p.group_size or 0 for p in sc.ports], np.int64),
        numbers_per_day=numbers,
        absent=np.array([p.absent for p in sc.ports], np.float64),
        choice=choice if (choice.sum(axis=1) > 1).any() else np.zeros((0, n_ports), dtype=bool),
        choice_noise=noise,
    )

    override = np.array([np.nan if p.movechance is None else p.movechance for p in sc.places], dtype=np.float64)
    cohorts = sc.cohorts()
    nations = sorted({p.country for p in sc.places} | {d.nationality for d in sc.departures if d.nationality})
    # (cohort, nation, share of children, mean household size) -> people setting out, days x places
    groups: dict[tuple[int, int, float, float], np.ndarray] = {(0, -1, 0.0, 1.0): np.zeros((sc.days, P), np.int64)}
    caravan_index = {c.name: g for g, c in enumerate(sc.caravans)}
    caravan_departures: dict[int, list[tuple[int, int, int, int, int, float, float]]] = {}
    for dep in sc.departures:
        nation = nations.index(dep.nationality) if dep.nationality else -1
        if dep.caravan:
            n_days = 1 if dep.end is None else dep.end - dep.start
            for d in range(dep.start, min(dep.start + n_days, sc.days)):
                count = dep.count // n_days + (1 if d - dep.start < dep.count % n_days else 0)
                g = caravan_index[dep.caravan]
                row = (g, idx[dep.place], count, cohorts.index(dep.cohort), nation, dep.children, dep.household_size)
                caravan_departures.setdefault(d, []).append(row)
            continue
        key = (cohorts.index(dep.cohort), nation, dep.children, dep.household_size)
        if key not in groups:
            groups[key] = np.zeros((sc.days, P), dtype=np.int64)
        n_days = 1 if dep.end is None else dep.end - dep.start
        per_day = np.full(n_days, dep.count // n_days, dtype=np.int64)
        per_day[: dep.count % n_days] += 1  # the remainder goes to the first days
        stop = min(dep.start + n_days, sc.days)
        if dep.start < sc.days:
            groups[key][dep.start : stop, idx[dep.place]] += per_day[: stop - dep.start]
    link_of = {(int(src[k]), int(dst[k])): k for k in range(L)}
    plans = []
    for cv in sc.caravans:
        stops = np.array([idx[s.place] for s in cv.stops], dtype=np.int32)
        pace, leave, last_pace, last_leave = [], [], 0.0, 0.0
        for s in cv.stops:
            last_pace = s.pace if s.pace is not None else last_pace
            last_leave = s.leave if s.leave is not None else last_leave
            pace.append(last_pace)
            leave.append(last_leave)
        plans.append(
            CaravanPlan(
                name=cv.name,
                stops=stops,
                legs=np.array([link_of[(int(a), int(b))] for a, b in zip(stops[:-1], stops[1:], strict=True)]),
                hold_until=np.array([-1 if s.hold_until is None else s.hold_until for s in cv.stops], np.int64),
                pace=np.array(pace),
                leave=np.array(leave),
                gather=np.array([s.gather for s in cv.stops], dtype=bool),
                cohort=next((cohorts.index(d.cohort) for d in sc.departures if d.caravan == cv.name), 0),
            )
        )
    relocations = [(p.closes, j, idx[p.move_to]) for j, p in enumerate(sc.places) if p.closes is not None and p.move_to]

    return Network(
        movechance_override=override,
        departures=sum(groups.values()),
        departure_groups=[(k, n, ch, hh, arr) for (k, n, ch, hh), arr in sorted(groups.items())],
        nations=nations,
        nation_of_place=np.array([nations.index(p.country) for p in sc.places], dtype=np.int16),
        relocations=sorted(relocations),
        caravans=plans,
        caravan_departures=caravan_departures,
        port_names=[p.place for p in sc.ports],
        signup_port=signup,
        sign_rate=sign_rate,
        port_capacity=capacity,
        port_closed_hours=closed_hours,
        port_onward=np.array([-1 if p.onward_to is None else idx[p.onward_to] for p in sc.ports], np.int32),
        port_place=np.array([idx[p.place] for p in sc.ports], np.int32),
        port_lists=lists,
        names=[p.name for p in sc.places],
        countries=[p.country for p in sc.places],
        kind=kind,
        pop=pop,
        capacity=cap,
        foreign=foreign,
        attraction=np.array([p.attraction for p in sc.places], dtype=np.float64),
        pop_weight=pop_weight,
        movechance_scale=mc_scale,
        home_power=sc.move.home_distance_power if sc.move.stay_close_to_home else None,
        soft=np.array([p.kind == "shelter" and not p.turns_away for p in sc.places], dtype=bool),
        lat=np.array([p.lat for p in sc.places]),
        lon=np.array([p.lon for p in sc.places]),
        link_src=src,
        link_dst=dst,
        link_dist=dist,
        link_speed=speed,
        link_death=death,
        link_walk=walk,
        out_start=out_start,
        out_link=order.astype(np.int32),
        closure_masks=masks,
        conflict_intensity=intensity,
        conflict_start=began,
        food_level=food_levels(sc),
        awareness=sc.move.awareness_level,
        fixed=fixed_tables(sc) if sc.move.fixed_routes and sc.move.awareness_level > 0 else None,
    )


def fixed_tables(sc: Scenario) -> FixedTables:
    """What Flee's fixed_routes tables are built from: each place's major routes, as Flee's InputGeography attaches
    them (a row to the place its first cell names and, reversed, to the one its last names; per place in the
    order of the rows, forward before reversed)."""
    idx = sc.place_index()
    majors: list[list[tuple[list[int], str]]] = [[] for _ in sc.places]
    for mr in sc.major_routes:
        stops = [idx[name] for name in mr.places]
        if mr.forward:
            majors[stops[0]].append((stops[1:], mr.at or ""))
        if mr.backward:
            majors[stops[-1]].append((stops[-2::-1], mr.at or ""))
    mv = sc.move
    return FixedTables(majors=majors, softening=mv.softening, ranked=mv.distance_power > 0 and mv.weight_power > 0)
