"""The day's move chances, place scores, capacity factors and route weights, from start-of-day counts.

Per place and per candidate route this is a few dozen numbers, but it runs every day: as numpy it was
some forty small array operations, about a tenth of a Flee scenario's run time in call overhead alone,
so it is one compiled function. The rules are in docs/model.md.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ..component import Component, World
from ..network import CAMP, HUB, IDP_CAMP, MARKER, PORT, SHELTER, pop_factors
from ..parallel import kernel_args
from .capacities import Capacities
from .closures import Closures
from .conflicts import Conflicts
from .demographics import AS_IS, SQUARED, Demographics, hazard_classes, match_classes
from .floods import Floods
from .food import Food
from .spawn import Spawn

W = 8  # candidate routes per place in the padded weight table `cum_w` (places with more use the list)


class PlaceInputs(NamedTuple):
    kind: np.ndarray  # network.py's place kind codes
    camp_off: np.ndarray  # camp status suspended today
    intensity: np.ndarray
    decay: np.ndarray
    override: np.ndarray  # a place's own move chance, NaN where its kind decides
    capacity: np.ndarray  # Scenario.effective_capacity, -1 where none
    pop: np.ndarray  # people there at the start of the day
    soft: np.ndarray  # shelters that crowd past capacity instead of turning people away
    attraction: np.ndarray
    foreign: np.ndarray
    pop_weight: np.ndarray  # use_pop_for_loc_weight's factor for a destination not a camp (1 when off)
    mc_scale: np.ndarray  # movechance_pop_scale_factor's factor (1 when off)
    flood_mc: np.ndarray  # the move chance a flooded place gives (NaN: its own rules decide)
    mc_factor: np.ndarray  # the flood forecast's factor of the move chance (1 when off)
    score_factor: np.ndarray  # the flood rules' factor of the place's score as a destination (1 when off)
    starve: np.ndarray  # flee_when_starving's pull f: the move chance m becomes f + (1 - f) m (0 when off)
    fed: np.ndarray  # avoid_food_deprived_locations' factor of the place's score (1 when off)
    match_camp: np.ndarray  # Flee's Match* factors of a camp's, a place in conflict's and another place's score
    match_conflict: np.ndarray  # for the class of people (1 when off)
    match_town: np.ndarray


class Candidates(NamedTuple):
    cand_route: np.ndarray  # route ids open from each place (CSR by cand_start)
    dest: np.ndarray  # each route's last place
    dist: np.ndarray  # each route's km
    near: np.ndarray  # each route's stay_close_to_home factor (1 when off)
    cand_start: np.ndarray
    scale: np.ndarray  # each route's factor of (softening + km): 1, or 1/4 for Flee's major routes


class Rules(NamedTuple):
    """MoveRules as the kernel reads them."""

    aware: bool
    camp_mc: float
    idpcamp_mc: float
    default_mc: float
    conflict_mc: float
    crowded_mc: float
    foreign_weight: float
    camp_weight: float
    conflict_weight: float
    capacity_buffer: float
    weight_softening: float
    softening: float
    distance_power: float
    weight_power: float
    prune: float  # Flee's pruning_threshold: routes under the best / this weigh nothing (0: no pruning)
    hazard: int  # Flee's demographic hazard rules: the place's score as is, squared or 1 (demographics.AS_IS...)
    fixed: bool  # Flee's fixed_routes: a route weighs its place score (no capacity) times the destination score


class Today(NamedTuple):
    """What the day's movement reads (attract's output). C: classes of people whose move chances and route
    weights differ (DFlee's flood awareness with the forecaster on, times Flee's hazard classes; else 1)."""

    movechance: np.ndarray  # (P,) chance of setting out today (of the last class)
    leave_below: np.ndarray  # (C, P) the same as a threshold on a 53-bit draw
    crowding: np.ndarray  # (P,) people / capacity at the start of the day (0 where no capacity)
    dest_full: np.ndarray  # (P,) a camp too full to head for: people give up a plan that ends there
    cand_cum: np.ndarray  # (C, candidates) per candidate route: cumulative weight within its place's list
    cum_w: np.ndarray  # (C, P, W) the first W - 1 cumulative weights of each place, padded with infinity
    town: np.ndarray  # (P,) Flee's town flag today: not a camp, not in conflict, not a hub, marker or port


class Attract(Component):
    """Shared: `today` (Today), refreshed every day."""

    name = "attract"
    doc = "place scores, capacity factors and route weights from start-of-day counts"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        net, mv = world.net, world.sc.move
        P = net.n_places
        self.floods = world.find(Floods)
        # class c of people: flood awareness class c // (H x M), hazard class (c // M) % H, Match* class c % M
        self.hazards = hazard_classes(world.sc)
        e, r = match_classes(world.sc)
        self.matches = e * r
        self.classes = (self.floods.classes if self.floods is not None else 1) * self.hazards * self.matches
        self.match = np.ones((self.matches, 3, P))  # per Match* class: the factors of camps, conflict, others
        self.demographics = world.find(Demographics)
        C = self.classes
        self.today = Today(np.empty(P), np.empty((C, P), np.uint64), np.empty(P), np.empty(P, np.bool_),
                           np.empty((C, 0)), np.empty((C, P, W)), np.empty(P, np.bool_))  # fmt: skip
        self.no_flood = (np.full(P, np.nan), np.ones((1, P)), np.ones((1, P)))
        food = world.find(Food)
        self.food = (food.starve, food.fed) if food is not None else (np.zeros(P), np.ones(P))
        self.rules = Rules(net.awareness != 0, mv.camp_movechance, mv.idpcamp_movechance,
                           mv.default_movechance, mv.conflict_movechance, mv.crowded_movechance, mv.foreign_weight,
                           mv.camp_weight, mv.conflict_weight, mv.capacity_buffer, mv.weight_softening, mv.softening,
                           mv.distance_power, mv.weight_power,
                           mv.pruning_threshold if mv.pruning_threshold >= 1.001 and net.fixed is None else 0.0,
                           AS_IS, net.fixed is not None)  # fmt: skip
        self._routes = None  # the routes cand_cum was sized for
        self._candidates: Candidates | None = None
        self._places: PlaceInputs | None = None
        self._args: list[tuple[object, ...]] = []
        # Flee's population rules read the places' population; with take_from_population it falls as people
        # are displaced (spawn's `resident`), so the factors are this run's own, made again every day
        sp = world.sc.spawn
        self.live_pop = sp.take_from_population and (mv.use_pop_for_loc_weight or mv.movechance_pop_scale_factor != 0)
        # capacity_per_day: today's capacities, and movechance_pop_scale_factor's factor made again from them
        grow = world.find(Capacities)
        self.capacity = grow.capacity if grow is not None else net.capacity
        self.live_cap = grow is not None and mv.movechance_pop_scale_factor != 0
        self.pop_weight, self.mc_scale = net.pop_weight.copy(), net.movechance_scale.copy()

    def step(self, day: int) -> None:
        w = self.world
        net = w.net
        closures, conflicts = w.get(Closures), w.get(Conflicts)
        if self.live_pop or self.live_cap:
            pop = w.get(Spawn).resident if self.live_pop else net.pop
            pop_weight, mc_scale = pop_factors(w.sc.move, pop, self.capacity)
            self.pop_weight[:], self.mc_scale[:] = pop_weight, mc_scale
        r = closures.routes
        assert r is not None
        changed = False
        if r is not self._routes:
            self.today = self.today._replace(cand_cum=np.empty((self.classes, len(r.cand_route))))
            self._candidates = Candidates(r.cand_route, r.dest, r.dist, r.near, r.cand_start, r.scale)
            self._routes = r
            changed = True
        if self._places is None or self._places.camp_off is not closures.camp_off:  # rebuilt when closures change
            flood_mc, mc_factor, score_factor = self.no_flood
            if self.floods is not None:
                fl = self.floods
                flood_mc, mc_factor, score_factor = fl.movechance, fl.mc_factor, fl.score_factor
            self._places = PlaceInputs(net.kind, closures.camp_off, conflicts.intensity, conflicts.decay,
                                       net.movechance_override, self.capacity, w.stocks.pop, net.soft, net.attraction,
                                       net.foreign, self.pop_weight, self.mc_scale, flood_mc, mc_factor[0],
                                       score_factor[0], *self.food, *self.match[0])  # fmt: skip
            self._factors = (mc_factor, score_factor)
            changed = True
        if changed:  # the arguments as plain tuples, made again only when a bundle was
            t, (mc_factor, score_factor), H, M = self.today, self._factors, self.hazards, self.matches
            self._args = [
                kernel_args(self._places._replace(mc_factor=mc_factor[c // (H * M)],
                                                  score_factor=score_factor[c // (H * M)],
                                                  match_camp=self.match[c % M, 0], match_conflict=self.match[c % M, 1],
                                                  match_town=self.match[c % M, 2]),
                            self._candidates, self.rules._replace(hazard=(c // M) % H),
                            t._replace(leave_below=t.leave_below[c], cand_cum=t.cand_cum[c], cum_w=t.cum_w[c]))
                for c in range(self.classes)
            ]  # fmt: skip
        if self.matches > 1:
            self._match_factors()
        for args in self._args:  # one pass per class of people (one without the flood forecaster)
            attract_day(*args)

    def _match_factors(self) -> None:
        """Flee's Match* rules (flee/moving.py getEndPointScore, demographics.get_attribute_ratio): a destination
        scores x (its people of the person's ethnicity / its population) x 10, by kind of place as the rules
        say, and a camp x (its people of the person's religion / its population) / avg_religion_fraction.
        The people are those at the place now, counted after spawning as Flee's update_demographic_attributes
        does; the population is the place's own (Flee's pop), 10^8 where below 1 (Flee's way of removing the
        bonus)."""
        sc, mv = self.world.sc, self.world.sc.move
        pop = self.world.get(Spawn).resident
        pop = np.where(pop < 1.0, 1e8, pop)[:, None]
        E, R = match_classes(sc)
        eth = self.demographics.counts_at_places("ethnicity") / pop * 10.0 if E > 1 else None
        rel = None
        if R > 1:  # Flee's ReligionBaseRate: 1 / avg_religion_fraction
            rel = self.demographics.counts_at_places("religion") / pop * (1.0 / mv.avg_religion_fraction)
        for m in range(self.matches):
            e, r = divmod(m, R)
            f = self.match[m]
            f[:] = 1.0
            if eth is not None:
                if mv.match_camp_ethnicity:
                    f[0] = eth[:, e]
                if mv.match_conflict_ethnicity:
                    f[1] = eth[:, e]
                if mv.match_town_ethnicity:
                    f[2] = eth[:, e]
            if rel is not None:
                f[0] = f[0] * rel[:, r]


@nb.njit(cache=True)
def attract_day(places, cands, rules, out):
    """Fill movechance, leave_below, crowding and dest_full (per place) and cand_cum (per candidate
    route: cumulative weight within its place's list) for today; cum_w[p] holds the first W - 1 of
    place p's cumulative weights, padded with infinity (the move kernel's branch-free route pick).

    The arithmetic is in the order of the numpy code it replaced, so the results are bit for bit the same.
    Each bundle comes as a plain tuple in the order of its NamedTuple (see `kernel_args`)."""
    (kind, camp_off, intensity, decay, override, capacity, pop, soft, attraction, foreign, pop_weight, mc_scale,
     flood_mc, mc_factor, score_factor, starve, fed, match_camp, match_conflict, match_town) = places  # fmt: skip
    cand_route, dest, dist, near, cand_start, scale = cands
    (aware, camp_mc, idpcamp_mc, default_mc, conflict_mc, crowded_mc, foreign_weight, camp_weight, conflict_weight,
     capacity_buffer, weight_softening, softening, distance_power, weight_power, prune, hazard,
     fixed) = rules  # fmt: skip
    movechance, leave_below, crowding, dest_full, cand_cum, cum_w, town = out
    P = len(kind)
    capf = np.empty(P)
    score = np.empty(P)
    base = np.empty(P if fixed else 0)  # Flee's location score (scores[0]), which its fixed route tables weigh
    for p in range(P):
        k = kind[p]
        camp = (k == CAMP or k == IDP_CAMP or k == SHELTER) and not camp_off[p]
        mc = idpcamp_mc if k == IDP_CAMP else camp_mc
        if not camp:
            mc = default_mc
        if k == HUB or k == MARKER:
            mc = 1.0
        if k == PORT:
            mc = 0.0
        if not np.isnan(override[p]):
            mc = override[p]
        in_conflict = intensity[p] > 0
        if in_conflict:
            mc = conflict_mc
        crowd = pop[p] / max(capacity[p], 1.0) if capacity[p] >= 1 else 0.0
        if crowded_mc > 0 and soft[p]:  # an overfull shelter pushes people on to the next city
            mc = min(1.0, mc + crowded_mc * max(0.0, crowd - 1.0))
        # Flee treats any place too sticky to leave (< 0.005 a day) as a camp.
        camp = camp or mc < 0.005
        # movechance_pop_scale_factor, after the camp test as in Flee (whose test reads the kind's chance);
        # x * 1.0 is x, so with the rule off no bit changes
        if k != HUB and k != MARKER and k != PORT:
            mc = mc * mc_scale[p]
            # flee_when_starving: f + (1 - f) m, which is m exactly when f is 0 (the rule off)
            mc = starve[p] + (1.0 - starve[p]) * mc
        # DFlee: a flooded place's chance replaces the rest; the flood forecast multiplies it (x * 1.0 is x)
        if not np.isnan(flood_mc[p]):
            mc = flood_mc[p]
        mc = mc * mc_factor[p]
        movechance[p] = mc
        town[p] = not camp and not in_conflict and k != HUB and k != MARKER and k != PORT
        # u < chance  <=>  53-bit integer < ceil(chance * 2**53): same draws, no float conversion
        leave_below[p] = np.uint64(np.ceil(mc * 2.0**53))

        s = attraction[p]
        if foreign[p]:
            s = s * foreign_weight
        if camp:
            s = s * camp_weight
        if in_conflict:
            s = s * conflict_weight ** (decay[p] * intensity[p])
        if fixed:
            base[p] = s * fed[p]
        # Flee's Match* rules: x 1.0 where off, which changes no bit
        match = match_camp[p] if camp else (match_conflict[p] if in_conflict else match_town[p])
        if hazard == AS_IS:
            if not camp:
                s = s * pop_weight[p]
            score[p] = s * score_factor[p] * fed[p] * match
        else:
            # Flee's getEndPointScore: the place's score (food included) squared, or 1, before the flood and
            # population factors (and stay_close_to_home's, per route)
            b = s * fed[p]
            b = b * b if hazard == SQUARED else 1.0
            if not camp:
                b = b * pop_weight[p]
            score[p] = b * score_factor[p] * match

        # Flee's capacity factor: 1 below buffer x capacity, 0 at capacity, linear between
        f = 1.0
        if capacity[p] >= 1:
            c = capacity[p]
            f = 1.0 - (pop[p] - capacity_buffer * c) / max(c * (1.0 - capacity_buffer), 1e-12)
            f = min(max(f, 0.0), 1.0)
            if pop[p] >= c:
                f = 0.0
            if pop[p] <= capacity_buffer * c:
                f = 1.0
        # A shelter's capacity is what it was planned for: when full, people still come and crowd in
        # (Benito Juarez held 6,100 in 3,000 places); in route weights it counts for 1 / crowding.
        if soft[p]:
            f = 1.0 / max(1.0, crowd)
        capf[p] = f
        crowding[p] = crowd
        dest_full[p] = camp and f < 0.5 and not soft[p]  # a crowding shelter never turns people away

    # cumulative weights within each place's candidate list: a running total over all candidates minus
    # the total before the place's first, as numpy's cumsum-and-subtract did
    Wd = cum_w.shape[1]
    total = 0.0
    for p in range(P):
        before = total
        lo, hi = cand_start[p], cand_start[p + 1]
        if prune > 0.0 and aware and hi > lo:
            # Flee's pruneRoutes: routes weighing less than the best / pruning_threshold are dropped
            top = 0.0
            for j in range(lo, hi):
                cand_cum[j] = _weight(cand_route[j], dest, dist, near, score, capf, weight_softening, softening,
                                      distance_power, weight_power)  # fmt: skip
                top = max(top, cand_cum[j])
            for j in range(lo, hi):
                wt = cand_cum[j] if cand_cum[j] >= top / prune else 0.0
                total += wt
                cand_cum[j] = total - before
        for j in range(lo, hi if prune == 0.0 or not aware else lo):
            if fixed and aware:
                wt = _fixed_weight(cand_route[j], dest, dist, near, scale, score, base, weight_softening, softening,
                                   distance_power, weight_power)  # fmt: skip
            elif aware:
                wt = _weight(cand_route[j], dest, dist, near, score, capf, weight_softening, softening, distance_power,
                             weight_power)  # fmt: skip
            else:
                wt = 1.0
            total += wt
            cand_cum[j] = total - before
        lo = cand_start[p]
        for j in range(Wd - 1):
            cum_w[p, j] = cand_cum[lo + j] if lo + j < cand_start[p + 1] - 1 else np.inf
        cum_w[p, Wd - 1] = np.inf


@nb.njit(inline="always", cache=True)
def _weight(r, dest, dist, near, score, capf, weight_softening, softening, distance_power, weight_power):
    """Route r's weight: ((weight_softening + score x near) / (softening + km) ** distance_power x capacity
    factor) ** weight_power, all of the destination's."""
    d = dest[r]
    # x ** 1.0 is x exactly; skipping pow for Flee's default powers keeps the results and most of the
    # phase's time (pow is most of it on a 10,000-place network)
    km = softening + dist[r]
    pw = km if distance_power == 1.0 else km**distance_power
    wt = (weight_softening + score[d] * near[r]) / pw
    wt = wt * capf[d]
    if weight_power != 1.0:
        wt = wt**weight_power
    return wt


@nb.njit(inline="always", cache=True)
def _fixed_weight(r, dest, dist, near, scale, score, base, weight_softening, softening, distance_power, weight_power):
    """Route r's weight from a fixed_routes table (Flee's crawling._addLocationRoute, then moving.selectRoute):
    ((weight_softening + place score) / ((softening + km) x scale) ** distance_power) ** weight_power, times the
    destination's score as a person weighs it (x stay_close_to_home's factor); no capacity factor, no pruning."""
    d = dest[r]
    km = (softening + dist[r]) * scale[r]
    wt = (weight_softening + base[d]) / (km if distance_power == 1.0 else km**distance_power)
    if weight_power != 1.0:
        wt = wt**weight_power
    return wt * (score[d] * near[r])
