"""Runs of a scenario as tasks on dask.distributed: a local cluster of worker processes, or a running
scheduler anywhere (an HPC cluster through dask-jobqueue, docs/distributed.md).

`connect` yields a `distributed.Client`; `as_completed_runs` submits one task per run and yields each
result with the run's index as it finishes. What a task does is the caller's (`corridor.api.run_summary`
runs the scenario and summarises it): this module knows Dask, not the simulation, so the API can use it
without the two importing each other.

A task gets the scenario from another task that parses its JSON, so the scenario crosses the network
once per worker rather than once per run, and a copy lost with a dead worker is parsed again elsewhere
instead of failing the runs that need it (data sent with `scatter` cannot be recomputed).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import CorridorError
from .scenario.model import RECORDING_FLAGS, Scenario

if TYPE_CHECKING:
    from distributed import Client

# a run's parameter overrides: NAME=VALUE as `--set` takes them, or {NAME: value} (a posterior draw)
Overrides = Sequence[str] | Mapping[str, Any]
# one run of an ensemble: its overrides and its seed
Job = tuple[Overrides, int]


def seeded(runs: int, seed: int = 0, overrides: Overrides = ()) -> list[Job]:
    """The jobs of a plain ensemble: `runs` runs with seeds seed, seed+1, ..., all with `overrides`."""
    if runs < 1:
        raise CorridorError(f"runs={runs}: an ensemble needs at least one run")
    return [(overrides, seed + k) for k in range(runs)]


def _text(value: Any) -> str:
    """A value as apply_overrides reads it back (YAML) to the same value. A float in positional notation:
    YAML 1.1 reads '1e-05', as repr writes it, as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return np.format_float_positional(float(value), unique=True, trim="0")
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def assignments(overrides: Overrides) -> list[str]:
    """A run's overrides as NAME=VALUE assignments (`--set`'s form, what scenario.parameters applies)."""
    if isinstance(overrides, Mapping):
        return [f"{name}={_text(value)}" for name, value in overrides.items()]
    if isinstance(overrides, str):
        raise CorridorError(f"overrides {overrides!r}: give a list of NAME=VALUE or a mapping of NAME to value")
    return [str(a) for a in overrides]


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None, timeout: float | None = None) -> Iterator[Client]:
    """A Dask client: on the scheduler at `scheduler` (tcp://HOST:PORT) if given, else on a local cluster
    of `workers` worker processes (None: one per core) with one thread each, closed on leaving. `timeout`:
    seconds to wait for the scheduler (default Dask's distributed.comm.timeouts.connect, 30 s, which
    DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT sets)."""
    import dask.config
    from dask.utils import parse_timedelta
    from distributed import Client, LocalCluster

    if timeout is None:
        timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")

    if scheduler is not None and workers is not None:
        raise CorridorError(
            f"workers={workers} and scheduler={scheduler!r}: give one (a scheduler has its own workers)"
        )
    if workers is not None and workers < 1:
        raise CorridorError(f"workers={workers}: give a number of worker processes, at least 1")
    if scheduler is not None:
        try:
            _reach(scheduler, timeout)
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CorridorError(
                f"scheduler {scheduler!r}: no Dask scheduler answered ({reason}); "
                "expected the address of a running `dask scheduler`, e.g. tcp://HOST:8786"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    # processes, not threads: a run holds the GIL for its Python part of each day. The scheduler's HTTP
    # server (and dashboard, if bokeh is installed) on a free local port: Dask's 8787 may be taken by
    # another cluster, and it would say so on stderr
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.close()


@contextmanager
def session(
    workers: int | None = 1, scheduler: str | None = None, client: Client | None = None
) -> Iterator[Client | None]:
    """Where an ensemble's runs go: `client` if given; else `connect(workers, scheduler)`; None (in the
    calling process) for `workers=1` with no scheduler, since one worker process would only add its
    start-up to the same runs."""
    if client is not None:
        yield client
    elif scheduler is None and workers == 1:
        yield None
    else:
        with connect(workers, scheduler) as c:
            yield c


def _reach(address: str, timeout: float) -> None:
    """Open and close a connection to `address`; OSError or ValueError if nothing answers there. A Client
    that fails to connect prints a traceback when it is collected and waits twice its timeout to close, so
    the address is tried first on its own. In a thread with its own event loop: the caller may be running
    one (a notebook)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect as open_comm

    async def probe() -> None:
        comm = await open_comm(address, timeout=timeout)
        await comm.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, probe()).result()


def _parse(text: str, recording: dict[str, bool] | None = None) -> Scenario:
    """The scenario from its JSON, with the counts it keeps (left out of the JSON: RECORDING_FLAGS)."""
    return Scenario.model_validate_json(text).model_copy(update=recording or {})


def as_completed_runs(
    client: Client, task: Callable[..., Any], scenario: Scenario, jobs: Sequence[Job], *args: Any
) -> Iterator[tuple[int, Any]]:
    """Submit `task(scenario, assignments, seed, *args)` for each job on the client's cluster and yield
    (index of the job, its result) as each finishes, in the order they finish. `task` must be importable
    by the workers (a module-level function of a package they have installed). Runs not yet collected
    are cancelled if the caller stops early or a run fails; a run whose worker dies is run again by Dask
    elsewhere, so each index is yielded exactly once."""
    from distributed import as_completed

    from .output.runfolder import scenario_json

    token = uuid.uuid4().hex[:12]
    recording = {flag: getattr(scenario, flag) for flag in RECORDING_FLAGS}
    shared = client.submit(_parse, scenario_json(scenario), recording, key=f"corridor-scenario-{token}")
    index: dict[str, int] = {}
    futures = []
    for i, (overrides, seed) in enumerate(jobs):
        fut = client.submit(task, shared, assignments(overrides), int(seed), *args, key=f"corridor-run-{token}-{i}")
        index[fut.key] = i
        futures.append(fut)
    pending = as_completed(futures, loop=client.loop)  # not the default client's: there may be none
    del futures  # as_completed holds each until it is yielded; then its result may go
    try:
        for fut in pending:
            result = fut.result()
            i = index.pop(fut.key)
            fut.release()
            yield i, result
    finally:
        if index:
            client.cancel(list(pending.futures), force=True)
        shared.release()
