"""The day's place scores, move chances and route weights (the engine's `attract` phase), compiled.

Per place and per candidate route this is a few dozen numbers, but it runs every day: as numpy it was
some forty small array operations, about a tenth of a Flee scenario's run time in call overhead alone.
The arithmetic is written in the same order as that numpy code was, so the results are bit for bit the
same.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# place kinds (network.py's codes)
from .network import CAMP, HUB, IDP_CAMP, MARKER, PORT, SHELTER


@nb.njit(cache=True)
def attract_day(kind, camp_off, intensity, decay, override, capacity, pop, soft, attraction, foreign, cand_route,
                dest, dist, cand_start, aware, camp_mc, idpcamp_mc, default_mc, conflict_mc, crowded_mc,
                foreign_weight, camp_weight, conflict_weight, capacity_buffer, weight_softening, softening,
                distance_power, weight_power, movechance, leave_below, crowding, dest_full, cand_cum,
                cum_w):  # fmt: skip
    """Fill movechance, leave_below, crowding and dest_full (per place) and cand_cum (per candidate
    route: cumulative weight within its place's list) for today; cum_w[p] holds the first W - 1 of
    place p's cumulative weights, padded with infinity (the move kernel's branch-free route pick)."""
    P = len(kind)
    capf = np.empty(P)
    score = np.empty(P)
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
        movechance[p] = mc
        # u < chance  <=>  53-bit integer < ceil(chance * 2**53): same draws, no float conversion
        leave_below[p] = np.uint64(np.ceil(mc * 2.0**53))

        s = attraction[p]
        if foreign[p]:
            s = s * foreign_weight
        if camp:
            s = s * camp_weight
        if in_conflict:
            s = s * conflict_weight ** (decay[p] * intensity[p])
        score[p] = s

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
    W = cum_w.shape[1]
    total = 0.0
    for p in range(P):
        before = total
        for j in range(cand_start[p], cand_start[p + 1]):
            d = dest[cand_route[j]]
            if aware:
                # x ** 1.0 is x exactly; skipping pow for Flee's default powers keeps the results and
                # most of the phase's time (pow is most of it on a 10,000-place network)
                km = softening + dist[cand_route[j]]
                w = (weight_softening + score[d]) / (km if distance_power == 1.0 else km**distance_power)
                w = w * capf[d]
                if weight_power != 1.0:
                    w = w**weight_power
            else:
                w = 1.0
            total += w
            cand_cum[j] = total - before
        lo = cand_start[p]
        for j in range(W - 1):
            cum_w[p, j] = cand_cum[lo + j] if lo + j < cand_start[p + 1] - 1 else np.inf
        cum_w[p, W - 1] = np.inf


@nb.njit(cache=True)
def conflict_decay(day, began, steps, out):
    """Flee's conflict_spawn_decay: the factor for each place from how long its conflict has lasted
    (one step per 30 days, the last one from then on)."""
    last = len(steps) - 1
    for p in range(len(began)):
        i = min(int((day - began[p]) / 30.0), last)
        out[p] = steps[max(i, 0)]
