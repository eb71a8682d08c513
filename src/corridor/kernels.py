"""Compiled per-agent kernels: one parallel pass over the agent columns per day.

Agents are processed in fixed chunks; each chunk counts its flows into its own row of the counter
arrays (no atomics) and the rows are summed afterwards. Every random draw comes from a counter-based
generator keyed by (stream key, day, agent), so results do not depend on the number of threads or on
the order in which chunks run.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Agent states. SIGNING: arrived today where a port's waiting list is kept; WAITLISTED: on a list,
# waiting where they are; PROCESSED: a port has taken their asylum claim (they left for the US side).
INACTIVE, AT_PLACE, ON_LINK, SIGNING, WAITLISTED, PROCESSED = 0, 1, 2, 3, 4, 5

CHUNK = 1 << 16
MAX_HOPS_PER_DAY = 64  # guards against endless chains over zero-length links


@nb.njit(inline="always", cache=True)
def _mix(z: np.uint64) -> np.uint64:
    # splitmix64 finaliser
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def agent_stream(key: np.uint64, day: int, agent: int) -> np.uint64:
    # A distinct splitmix64 starting point per (key, day, agent); `uniform` does the mixing, so a person
    # who only rolls their daily move chance costs one mix.
    return key ^ (np.uint64(day) << np.uint64(40)) ^ np.uint64(agent)


@nb.njit(inline="always", cache=True)
def uniform(state: np.uint64) -> tuple[np.uint64, float]:
    state = state + np.uint64(0x9E3779B97F4A7C15)
    return state, (_mix(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always", cache=True)
def _choose(p, u, cand_start, cand_route, cand_cum, rt_links, link_dst, avoid):
    """Draw one of place p's candidate routes in proportion to weight, leaving out routes whose first
    road leads to place `avoid` (-1: none) unless nothing else is open."""
    lo, hi = cand_start[p], cand_start[p + 1]
    if hi == lo:
        return -1
    total = cand_cum[hi - 1]
    n_ok = hi - lo
    if avoid >= 0:
        for k in range(lo, hi):
            if link_dst[rt_links[cand_route[k], 0]] == avoid:
                total -= cand_cum[k] - (cand_cum[k - 1] if k > lo else 0.0)
                n_ok -= 1
        if n_ok == 0:
            avoid = -1
            total = cand_cum[hi - 1]
            n_ok = hi - lo
    if total <= 1e-300:  # all weights zero: equal chances, as Flee does
        pick = min(int(u * n_ok), n_ok - 1)
        for k in range(lo, hi):
            if avoid >= 0 and link_dst[rt_links[cand_route[k], 0]] == avoid:
                continue
            if pick == 0:
                return cand_route[k]
            pick -= 1
        return cand_route[hi - 1]
    target = u * total
    acc = 0.0
    last = -1
    for k in range(lo, hi):
        if avoid >= 0 and link_dst[rt_links[cand_route[k], 0]] == avoid:
            continue
        acc += cand_cum[k] - (cand_cum[k - 1] if k > lo else 0.0)
        last = cand_route[k]
        if target < acc:
            return last
    return last


@nb.njit(inline="always", cache=True)
def _try_leave(i, p, rng, movechance, dest_full, cand_start, cand_route, cand_cum, rt_links, rt_len, rt_dest,
               link_open, link_dst, state, loc, progress, route, rpos, dep, ent, avoid):  # fmt: skip
    """Flee's evolve(): maybe set out from place p onto a road. Returns (rng, whether they left)."""
    rng, u = uniform(rng)
    if u >= movechance[p]:
        return rng, False
    r = route[i]
    if r < 0:
        rng, u2 = uniform(rng)
        r = _choose(p, u2, cand_start, cand_route, cand_cum, rt_links, link_dst, avoid)
        if r < 0:
            return rng, False
        route[i] = r
        rpos[i] = 0
    if dest_full[rt_dest[r]]:  # heading for a camp that is (nearly) full: give the plan up
        route[i] = -1
        return rng, False
    lk = rt_links[r, rpos[i]]
    if not link_open[lk]:
        route[i] = -1
        return rng, False
    rpos[i] += 1
    if rpos[i] >= rt_len[r]:
        route[i] = -1
    dep[p] += 1
    ent[link_dst[lk]] += 1
    state[i] = ON_LINK
    loc[i] = lk
    progress[i] = 0.0
    return rng, True


@nb.njit(parallel=True, cache=True, nogil=True)
def move_day(
    n,
    day,
    key,
    state,
    loc,
    progress,
    route,
    rpos,
    hops,
    came_from,
    movechance,
    dest_full,
    cand_start,
    cand_route,
    cand_cum,
    rt_links,
    rt_len,
    rt_dest,
    link_src,
    link_dst,
    link_dist,
    link_speed,
    link_open,
    signup_port,
    walk_speed,
    start_on_foot,
    no_backtrack,
    arrivals,
    departures,
    enter_link,
    leave_link,
):
    """One day of movement for agents [0, n): decide, travel, arrive, maybe go on (Flee's rules)."""
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in nb.prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        arr = arrivals[c]
        dep = departures[c]
        ent = enter_link[c]
        lea = leave_link[c]
        for i in range(lo, hi):
            s = state[i]
            if s == INACTIVE:
                continue
            rng = agent_stream(key, day, i)
            if s == AT_PLACE:
                rng, left = _try_leave(i, loc[i], rng, movechance, dest_full, cand_start, cand_route, cand_cum,
                                       rt_links, rt_len, rt_dest, link_open, link_dst, state, loc, progress,
                                       route, rpos, dep, ent, came_from[i] if no_backtrack else -1)  # fmt: skip
                if not left:
                    continue
            elif s != ON_LINK:
                continue
            # Travel: a full day's allowance on the current link; on arrival with allowance left,
            # decide again and start the next link with a fresh allowance (Flee's finish_travel).
            moved = 0.0
            for _ in range(MAX_HOPS_PER_DAY):
                lk = loc[i]
                speed = walk_speed if (start_on_foot and hops[i] == 0) else link_speed[lk]
                prog = progress[i] + speed
                moved += speed
                # Arrive once the allowance covers the link (Flee needs strictly more, which makes
                # a 200 km road take two days at 200 km/day).
                if prog < link_dist[lk]:
                    progress[i] = prog
                    break
                moved += link_dist[lk] - prog
                if hops[i] < 127:
                    hops[i] += 1
                lea[link_dst[lk]] += 1
                state[i] = AT_PLACE
                progress[i] = 0.0
                if not link_open[lk]:  # closed while on it: back to where the link starts
                    q = link_src[lk]
                    loc[i] = q
                    arr[q] += 1
                    break
                q = link_dst[lk]
                loc[i] = q
                came_from[i] = link_src[lk]
                arr[q] += 1
                if signup_port[q] >= 0:  # the border city: put one's name on the list, stop here
                    state[i] = SIGNING
                    break
                if moved >= speed:
                    break
                rng, left = _try_leave(i, q, rng, movechance, dest_full, cand_start, cand_route, cand_cum,
                                       rt_links, rt_len, rt_dest, link_open, link_dst, state, loc, progress,
                                       route, rpos, dep, ent, came_from[i] if no_backtrack else -1)  # fmt: skip
                if not left:
                    break


@nb.njit(cache=True)
def place_agents(state, loc, start, counts):
    """Activate rows [start, start + sum(counts)) at their places, in place order."""
    k = start
    for p in range(counts.shape[0]):
        for _ in range(counts[p]):
            state[k] = AT_PLACE
            loc[k] = p
            k += 1
    return k


@nb.njit(cache=True)
def collect_signups(state, n):
    """Agents who reached a waiting list today, in agent order (so list numbers never depend on threads)."""
    count = 0
    for i in range(n):
        if state[i] == SIGNING:
            count += 1
    out = np.empty(count, np.int32)
    k = 0
    for i in range(n):
        if state[i] == SIGNING:
            out[k] = i
            k += 1
    return out


@nb.njit(cache=True)
def serve(queue, head, tail, n_serve, state, loc, joined, day, left_place, waits):
    """Process up to n_serve people from queue[head:tail] in list order; skip names no longer waiting.

    Returns (new head, number served); waits[:served] gets each person's days on the list.
    """
    served = 0
    while head < tail and served < n_serve:
        i = queue[head]
        head += 1
        if state[i] != WAITLISTED:
            continue
        state[i] = PROCESSED
        left_place[loc[i]] += 1
        waits[served] = day - joined[i]
        served += 1
    return head, served
