"""Start the what-if server: uvicorn on the app, runs in this process or on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

from .app import Limits, create_app
from .catalog import Catalog


def serve(
    folders: list[str | Path],
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: Limits | None = None,
    log_level: str = "info",
    workers: int | None = None,
    scheduler: str | None = None,
    posteriors: list[str | Path] = (),
) -> None:
    """Serve every scenario under `folders` until interrupted. Runs go to this process (the default), a
    local Dask cluster of `workers` processes, or the Dask scheduler at `scheduler`. Each calibration
    folder in `posteriors` lets its scenario's ensembles draw their inputs from its posterior."""
    import uvicorn

    from ..distributed import session
    from ..errors import CorridorError
    from .jobs import InProcess

    catalog = Catalog(folders, posteriors=posteriors)
    if not catalog.entries:
        raise CorridorError(f"no scenario folder found under {', '.join(str(f) for f in folders)}")
    with session(workers if workers is not None or scheduler is not None else 1, scheduler) as client:
        app = create_app(folders, limits=limits, catalog=catalog, runner=InProcess(client))
        where = "in this process" if client is None else f"on Dask at {client.scheduler.address}"
        names = ", ".join(catalog.names())
        drawn = [f"{e.name} from {e.posterior.folder}" for e in catalog.entries.values() if e.posterior is not None]
        print(f"corridor serve: {len(catalog.entries)} scenario(s) ({names}), runs {where}; http://{host}:{port}/")
        if drawn:
            print(f"posterior draws: {'; '.join(drawn)}")
        uvicorn.run(app, host=host, port=port, log_level=log_level)
