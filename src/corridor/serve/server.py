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
) -> None:
    """Serve every scenario under `folders` until interrupted."""
    import uvicorn

    catalog = Catalog(folders)
    if not catalog.entries:
        from ..errors import CorridorError

        raise CorridorError(f"no scenario folder found under {', '.join(str(f) for f in folders)}")
    app = create_app(folders, limits=limits, catalog=catalog)
    print(f"corridor serve: {len(catalog.entries)} scenario(s) ({', '.join(catalog.names())}) on http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level=log_level)
