"""Compiled per-agent kernels: one parallel pass over the agent columns per day.

Agents are split into one contiguous block per thread; each block counts its flows into its own row
of the counter arrays (no atomics; integer sums do not depend on order) and the rows are summed
afterwards. Every random draw comes from a counter-based
generator keyed by (stream key, day, agent), so results do not depend on the number of threads or on
the order in which chunks run.

In the move kernel, indices that were read from an array are cast to unsigned (np.uint32/np.uint64)
before they index another one. numba makes every signed index wrap around when negative, and that
check sits on the chain of dependent loads a departure is made of; the casts cut the move kernel's
time to 0.75-0.79 of what it was on burundi, car and ssudan (bench/ab_kernel.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba as nb
import numpy as np

from ..states import (
    APPREHENDED,
    AT_PLACE,
    CARAVAN_AT,
    CARAVAN_ROAD,
    DEPORTED,
    F_CAUGHT,
    F_DEPORTED,
    F_MARCHED,
    F_MOVED,
    F_REFUGE,
    F_RETURNED,
    F_THROUGH,
    H_CROSSED,
    H_DEPORTED,
    H_MOVED,
    H_REFUGE,
    H_RETURNED,
    ON_LIST,
    ON_ROAD,
    PROCESSED,
    REFUGE,
    REMAIN_MX,
    RETURNED,
    SIGNING,
    UNDETECTED,
)

MIN_BLOCK = 1 << 13  # fewer agents than this per thread: not worth waking a second thread
SUB = 1 << 12  # agents per sub-chunk handed out in turn to the blocks
MAX_HOPS_PER_DAY = 64  # guards against endless chains over zero-length links
W = 8  # candidate routes per place in the padded weight table `cum_w` (places with more use the list)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment


def n_blocks_for(n: int) -> int:
    """Blocks (threads) for a kernel over n agents: one per thread, but none of fewer than MIN_BLOCK."""
    return max(1, min(nb.get_num_threads(), n // MIN_BLOCK))


@contextmanager
def team(n_blocks: int) -> Iterator[None]:
    """Run the kernel calls inside on n_blocks threads. A parallel call wakes every thread of numba's
    team, about 75 us here when they sleep between calls, against 8 us for a team of one; a small day
    (one block) gains nothing from the others."""
    before = nb.get_num_threads()
    if n_blocks >= before:
        yield
        return
    nb.set_num_threads(n_blocks)
    try:
        yield
    finally:
        nb.set_num_threads(before)


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
    state = state + GOLDEN
    return state, (_mix(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always", cache=True)
def _choose(p, u, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, avoid):
    """Draw one of place p's candidate routes in proportion to weight, leaving out routes whose first
    road leads to place `avoid` (-1: none) unless nothing else is open."""
    up = np.uint32(p)
    lo, hi = cand_start[up], cand_start[up + np.uint32(1)]
    if hi == lo:
        return -1
    total = cand_cum[np.uint32(hi - 1)]
    n_ok = hi - lo
    if avoid < 0 and n_ok <= W and total > 1e-300:
        # The same pick as the loop below (the first route whose running total exceeds the target)
        # as a count over the place's padded row, without a data-dependent branch to mispredict.
        target = u * total
        pick = 0
        for j in range(W - 1):
            pick += cum_w[up, j] <= target
        return cand_route[np.uint32(lo + pick)]
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
def _try_leave(i, p, rng, leave_below, dest_full, cand_start, cand_route, cand_cum, cum_w, rt_links, rt_len,
               rt_dest, link_open, link_dst, state, loc, progress, route, rpos, dep, ent, lent, avoid):  # fmt: skip
    """Flee's evolve() for someone who arrived with allowance left: maybe set out again from place p.
    Returns (rng, whether they left).

    `leave_below[p]` is the move chance as a threshold on the 53 random bits `uniform` would turn into
    a float: one mix and one integer comparison, the same roll as move_day's vectorised pass."""
    rng = rng + GOLDEN
    if (_mix(rng) >> np.uint64(11)) >= leave_below[np.uint32(p)]:
        return rng, False
    return _set_out(i, p, rng, dest_full, cand_start, cand_route, cand_cum, cum_w, rt_links, rt_len, rt_dest,
                    link_open, link_dst, state, loc, progress, route, rpos, dep, ent, lent, avoid)  # fmt: skip


@nb.njit(inline="always", cache=True)
def _set_out(i, p, rng, dest_full, cand_start, cand_route, cand_cum, cum_w, rt_links, rt_len, rt_dest, link_open,
             link_dst, state, loc, progress, route, rpos, dep, ent, lent, avoid):  # fmt: skip
    """The rest of _try_leave, for someone whose roll said go: pick a route if they have none, and set
    out on its next road unless it is closed or heads for a full camp."""
    ui = np.uint32(i)
    r = route[ui]
    if r < 0:
        rng, u2 = uniform(rng)
        r = _choose(p, u2, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, avoid)
        if r < 0:
            return rng, False
        route[ui] = r
        rpos[ui] = 0
    ur = np.uint32(r)
    if dest_full[np.uint32(rt_dest[ur])]:  # heading for a camp that is (nearly) full: give the plan up
        route[ui] = -1
        return rng, False
    lk = np.uint32(rt_links[ur, np.uint32(rpos[ui])])
    if not link_open[lk]:
        route[ui] = -1
        return rng, False
    rpos[ui] += 1
    if rpos[ui] >= rt_len[ur]:
        route[ui] = -1
    dep[np.uint32(p)] += 1
    ent[np.uint32(link_dst[lk])] += 1
    lent[lk] += 1
    state[ui] = ON_ROAD
    loc[ui] = lk
    progress[ui] = 0.0
    return rng, True


@nb.njit(parallel=True, cache=True, nogil=True)
def move_day(
    n,
    n_blocks,
    day,
    key,
    state,
    loc,
    progress,
    route,
    rpos,
    hops,
    came_from,
    leave_below,
    dest_full,
    cand_start,
    cand_route,
    cand_cum,
    cum_w,
    rt_links,
    rt_len,
    rt_dest,
    link_src,
    link_dst,
    link_dist,
    link_speed,
    link_open,
    sign_now,
    walk_speed,
    start_on_foot,
    no_backtrack,
    arrivals,
    departures,
    enter_link,
    leave_link,
    link_entries,
    rolls,
    movers,
):
    """One day of movement for agents [0, n): decide, travel, arrive, maybe go on (Flee's rules).

    rolls and movers are scratch rows (n_blocks x SUB) for each block's sub-chunk in turn: first
    everyone's move roll (a loop the compiler vectorises), then, without branches, the rows of those
    who set out or are on a road; only they go through the branchy part. Most people stay put, so
    this keeps their cost to the roll and one comparison, and the rolls are the ones _try_leave makes.
    """
    n_sub = (n + SUB - 1) // SUB
    base = agent_stream(key, day, 0)
    for c in nb.prange(n_blocks):
        arr = arrivals[c]
        dep = departures[c]
        ent = enter_link[c]
        lea = leave_link[c]
        lent = link_entries[c]
        roll = rolls[c]
        ids = movers[c]
        # Blocks take sub-chunks in turn: agents who arrived late (high rows) are the ones still on the
        # move, so contiguous halves would leave one thread with most of the work.
        for sub in range(c, n_sub, n_blocks):
            lo = sub * SUB
            m = min(n, lo + SUB) - lo
            for j in range(m):
                roll[j] = _mix((base ^ np.uint64(lo + j)) + GOLDEN) >> np.uint64(11)
            k = np.uint64(0)
            ulo = np.uint64(lo)
            for j in range(np.uint64(m)):
                s = state[ulo + j]
                at = s == AT_PLACE
                p = np.uint32(loc[ulo + j]) if at else np.uint32(0)  # on a road, loc is a link
                ids[k] = ulo + j
                k += np.uint64((at & (roll[j] < leave_below[p])) | (s == ON_ROAD))
            for t in range(k):
                i = np.uint32(ids[t])
                rng = agent_stream(key, day, i)
                if state[i] == AT_PLACE:  # their roll said go
                    rng = rng + GOLDEN
                    avoid = came_from[i] if no_backtrack else -1
                    rng, left = _set_out(i, loc[i], rng, dest_full, cand_start, cand_route, cand_cum, cum_w,
                                         rt_links, rt_len, rt_dest, link_open, link_dst, state, loc, progress, route,
                                         rpos, dep, ent, lent, avoid)  # fmt: skip
                    if not left:
                        continue
                # Travel: a full day's allowance on the current link; on arrival with allowance left,
                # decide again and start the next link with a fresh allowance (Flee's finish_travel).
                moved = 0.0
                for _ in range(MAX_HOPS_PER_DAY):
                    lk = np.uint32(loc[i])
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
                    lea[np.uint32(link_dst[lk])] += 1
                    state[i] = AT_PLACE
                    progress[i] = 0.0
                    if not link_open[lk]:  # closed while on it: back to where the link starts, plan dropped
                        q = np.uint32(link_src[lk])
                        loc[i] = q
                        route[i] = -1
                        arr[q] += 1
                        break
                    q = np.uint32(link_dst[lk])
                    loc[i] = q
                    if no_backtrack:
                        came_from[i] = link_src[lk]
                    arr[q] += 1
                    if sign_now[q]:  # the border city: put one's name on the list, stop here
                        state[i] = SIGNING
                        break
                    if moved >= speed:
                        break
                    avoid = came_from[i] if no_backtrack else -1
                    rng, left = _try_leave(i, q, rng, leave_below, dest_full, cand_start, cand_route, cand_cum,
                                           cum_w, rt_links, rt_len, rt_dest, link_open, link_dst, state, loc,
                                           progress, route, rpos, dep, ent, lent, avoid)  # fmt: skip
                    if not left:
                        break


@nb.njit(cache=True)
def spawn_rows(state, loc, cohort, origin, start, counts, k, nation, nation_of_place, signs_here, pop, spawned):
    """Activate rows [start, start + sum(counts)) at their places, in place order, as cohort k of
    `nation` (-1: their place's country); where a port's list is kept they sign it today. Adds them
    to pop and to the day's spawned row. Returns the new end of the active rows."""
    i = start
    for p in range(counts.shape[0]):
        c = counts[p]
        if c == 0:
            continue
        pop[p] += c
        spawned[p] += c
        st = SIGNING if signs_here[p] else AT_PLACE
        nat = nation_of_place[p] if nation < 0 else nation
        for _ in range(c):
            state[i] = st
            loc[i] = p
            cohort[i] = k
            origin[i] = nat
            i += 1
    return i


@nb.njit(cache=True)
def day_flows(n_blocks, arr, dep, ent, lea, lent, moved, g_arr, g_dep, g_lent, pop, transit, population, in_transit,
              arrivals, departures, link_entries):  # fmt: skip
    """Sum the move kernel's per-block counters into the day's stocks and flows: pop and transit
    (running stocks) and the record's rows. `moved` (relocations out (-) and in (+)) and the
    caravans' flows g_* count as departures and arrivals too."""
    for p in range(pop.shape[0]):
        a = 0
        d = 0
        e = 0
        lv = 0
        for c in range(n_blocks):
            a += arr[c, p]
            d += dep[c, p]
            e += ent[c, p]
            lv += lea[c, p]
        pop[p] += a - d
        transit[p] += e - lv
        population[p] = pop[p]
        in_transit[p] = transit[p]
        arrivals[p] = a + max(moved[p], 0) + g_arr[p]
        departures[p] = d + max(-moved[p], 0) + g_dep[p]
    for lk in range(link_entries.shape[0]):
        t = g_lent[lk]
        for c in range(n_blocks):
            t += lent[c, lk]
        link_entries[lk] = t


@nb.njit(cache=True)
def collect_signups(state, n):
    """Agents who reached a waiting list today, in agent order (so list numbers never depend on threads).

    Few of the people sign on any day: the count is a loop the compiler vectorises, and the search
    reads the states eight at a time, looking inside a word only where one of its bytes is SIGNING."""
    count = 0
    for i in range(n):
        count += state[i] == SIGNING
    out = np.empty(count, np.int32)
    k = 0
    words = n // 8
    w = state[: words * 8].view(np.uint64)
    pattern = np.uint64(SIGNING) * np.uint64(0x0101010101010101)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    for j in range(words):
        y = w[j] ^ pattern
        if (((y & low7) + low7) | y | low7) != np.uint64(0xFFFFFFFFFFFFFFFF):  # a byte of y is zero
            for i in range(j * 8, j * 8 + 8):
                if state[i] == SIGNING:
                    out[k] = i
                    k += 1
    for i in range(words * 8, n):
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
        if state[i] != ON_LIST:
            continue
        state[i] = PROCESSED
        left_place[loc[i]] += 1
        waits[served] = day - joined[i]
        served += 1
    return head, served


@nb.njit(parallel=True, cache=True, nogil=True)
def fates_day(n, n_blocks, day, key, state, loc, joined, cohort, route, came_from, no_backtrack, hz_a, hz_b, has_hz,
              caught, move_to, came_via, link_dst, counts, left_list, on_road, moved_in):  # fmt: skip
    """Hazards: people at a place with a hazard may be deported, go home, ask for refuge, cross or move on.

    The chance of outcome o for a person of cohort k at place p is hz_a[k, p, o] + hz_b[k, p, o] x weeks
    on the list (0 if not on one); outcomes compete (one draw). counts[block, p, F_*] tallies them;
    left_list[block, p] the people who left a waiting list at p. People on a road are exposed to the
    hazards of the place it leads to (on_road[block, p] counts those who leave the road). Moving on
    (to move_to[k, p], counted in moved_in at the destination) is open only to people at a place on
    their own: not to those on a road, in a caravan or sent back to wait for a hearing. Under
    no_backtrack they count as having come in from came_via[k, p], so they do not head straight back.
    """
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        ll = left_list[c]
        rd = on_road[c]
        mi = moved_in[c]
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                s = state[i]
                road = s == ON_ROAD or s == CARAVAN_ROAD
                if s != AT_PLACE and s != ON_LIST and s != CARAVAN_AT and s != REMAIN_MX and not road:
                    continue
                p = np.uint32(link_dst[np.uint32(loc[i])]) if road else np.uint32(loc[i])
                if not has_hz[p]:
                    continue
                k = np.uint32(cohort[i])
                # waiting: on a list, or (remain-in-Mexico) for a hearing
                weeks = (day - joined[i]) / 7.0 if (s == ON_LIST or s == REMAIN_MX) else 0.0
                rng, u = uniform(agent_stream(key, day, i))
                acc = 0.0
                o = -1
                for q in range(5):
                    acc += hz_a[k, p, q] + hz_b[k, p, q] * weeks
                    if u < acc:
                        o = q
                        break
                if o < 0 or (o == H_MOVED and s != AT_PLACE and s != ON_LIST):
                    continue
                if s == ON_LIST:
                    ll[p] += 1
                if road:
                    rd[p] += 1
                if o == H_CROSSED:
                    rng, u = uniform(rng)
                    if u < caught[k, p]:
                        state[i] = APPREHENDED
                        joined[i] = day
                        cnt[p, F_CAUGHT] += 1
                    else:
                        state[i] = UNDETECTED
                        cnt[p, F_THROUGH] += 1
                elif o == H_DEPORTED:
                    state[i] = DEPORTED
                    joined[i] = day
                    cnt[p, F_DEPORTED] += 1
                elif o == H_RETURNED:
                    state[i] = RETURNED
                    cnt[p, F_RETURNED] += 1
                elif o == H_REFUGE:
                    state[i] = REFUGE
                    cnt[p, F_REFUGE] += 1
                else:
                    state[i] = AT_PLACE
                    loc[i] = move_to[k, p]
                    route[i] = -1
                    if no_backtrack:
                        came_from[i] = came_via[k, p]
                    cnt[p, F_MOVED] += 1
                    mi[np.uint32(move_to[k, p])] += 1


@nb.njit(parallel=True, cache=True, nogil=True)
def march_day(n, n_blocks, day, key, state, loc, joined, in_city, share, cross, caught, deported, counts, left_list):
    """A march: each person present in the city marches with chance `share`; a marcher tries to cross
    with chance `cross` and is caught with chance `caught` (the others are turned back); a marcher who
    does not try is deported with chance `deported`; everyone not caught or deported goes back to where
    they were."""
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        ll = left_list[c]
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                s = state[i]
                if s != AT_PLACE and s != ON_LIST and s != CARAVAN_AT:
                    continue
                p = np.uint32(loc[i])
                if not in_city[p]:
                    continue
                rng, u = uniform(agent_stream(key, day, i))
                if u >= share:
                    continue
                cnt[p, F_MARCHED] += 1
                rng, u = uniform(rng)
                if u < cross:
                    rng, u = uniform(rng)
                    if u >= caught:
                        continue  # turned back at the fence
                    state[i] = APPREHENDED
                    joined[i] = day
                    cnt[p, F_CAUGHT] += 1
                else:
                    rng, u = uniform(rng)
                    if u >= deported:
                        continue
                    state[i] = DEPORTED
                    joined[i] = day
                    cnt[p, F_DEPORTED] += 1
                if s == ON_LIST:
                    ll[p] += 1


@nb.njit(parallel=True, cache=True, nogil=True)
def sign_day(n, n_blocks, day, key, state, loc, sign_rate):
    """People at a sign-up place not yet on its list sign it today with chance sign_rate[place]."""
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                if state[i] != AT_PLACE:
                    continue
                r = sign_rate[np.uint32(loc[i])]
                if r <= 0.0:
                    continue
                _, u = uniform(agent_stream(key, day, i))
                if u < r:
                    state[i] = SIGNING


@nb.njit(cache=True)
def swap_out(ids, length, positions):
    """Take ids[positions] out of ids[:length] by moving the last ones into their slots; `positions` must
    be unique and sorted in decreasing order. Returns (the ids taken, the new length)."""
    out = np.empty(len(positions), ids.dtype)
    for j in range(len(positions)):
        pos = positions[j]
        out[j] = ids[pos]
        length -= 1
        ids[pos] = ids[length]
    return out, length
