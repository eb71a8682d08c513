"""The what-if web app: the page, and the JSON API it (and anyone else) uses.

    GET  /api/scenarios              every served scenario with its levers
    GET  /api/scenarios/{name}       one, with its places and roads (the map)
    POST /api/runs                   {"scenario", "overrides": ["lever=value"], "runs", "seed", "days",
                                      "posterior"} -> {"id"}
    GET  /api/runs/{id}              {"status", "progress", "result"} (bands when done)
    GET  /api/runs/{id}/run.zip      the what-if's first run as a run folder, with its report
    GET  /api/runs/{id}/report.html  that report
    GET  /api/health                 up, and how many jobs are queued or running
    GET  /docs                       the API's OpenAPI documentation

Every error is a JSON body {"detail": one line}; the scripts, styles and map outlines are the package's
own, so the page works with no network.
"""

from __future__ import annotations

import io
import zipfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from .. import __version__
from ..errors import CorridorError
from .catalog import Catalog
from .jobs import Jobs, QueueFull, Runner

STATIC = Path(str(resources.files("corridor.serve") / "static"))
BASEMAP = Path(str(resources.files("corridor") / "data" / "countries-110m.geojson"))


@dataclass(frozen=True)
class Limits:
    max_runs: int = 200  # runs in one job
    max_days: int = 3650  # days in one job (and never more than the scenario's)
    max_pending: int = 8  # jobs queued or running at once; the next request gets 429
    default_runs: int = 20


class RunRequest(BaseModel):
    scenario: str = Field(description="A name from GET /api/scenarios.")
    overrides: list[str] = Field(
        default_factory=list, description="Levers to change, as `corridor run --set` takes them: NAME=VALUE."
    )
    runs: int | None = Field(None, ge=1, description="Seeded runs in the ensemble (default 20).")
    seed: int = Field(0, ge=0, description="The first seed; runs use seed, seed+1, ...")
    days: int | None = Field(None, ge=1, description="Simulate only the first N days (default: all).")
    posterior: bool = Field(
        False,
        description="Draw each run's uncertain inputs from the scenario's calibration (the scenario's `posterior` "
        "in GET /api/scenarios; the server's --posterior), so the bands carry the inputs' uncertainty as well as "
        "chance. The baseline takes the same draws and seeds.",
    )


def create_app(
    folders: list[str | Path],
    runner: Runner | None = None,
    limits: Limits | None = None,
    catalog: Catalog | None = None,
    posteriors: list[str | Path] = (),
) -> FastAPI:
    """The app serving every scenario folder found under `folders`, each calibration in `posteriors` joined
    to the scenario it calibrated."""
    limits = limits or Limits()
    catalog = catalog or Catalog(folders, posteriors=posteriors)
    jobs = Jobs(runner=runner, max_pending=limits.max_pending)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        jobs.close()

    app = FastAPI(
        title="corridor",
        version=__version__,
        description="What-if ensembles of forced-migration corridors and the border asylum systems at their end.",
        docs_url=None,  # served below from the package's own copy of Swagger UI
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.catalog, app.state.jobs, app.state.limits = catalog, jobs, limits
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def one_line(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse(status_code=422, content={"detail": f"{where}: {first.get('msg', 'invalid')}"})

    @app.exception_handler(Exception)
    async def never_die(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": f"{type(exc).__name__}: {exc}"})

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="corridor API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/api/health", summary="Whether the server is up, and how full its queue is")
    def health() -> dict[str, Any]:
        return {"status": "ok", "pending": jobs.pending(), "max_pending": limits.max_pending, "version": __version__}

    @app.get("/api/basemap.geojson", summary="The country outlines the map draws (Natural Earth 1:110m)")
    def basemap() -> FileResponse:
        return FileResponse(BASEMAP, media_type="application/geo+json")

    @app.get("/api/scenarios", summary="Every served scenario, with its levers and their defaults")
    def scenarios() -> dict[str, Any]:
        return {
            "scenarios": [e.summary() for e in catalog.entries.values()],
            "limits": {"max_runs": limits.max_runs, "max_days": limits.max_days, "default_runs": limits.default_runs},
        }

    @app.get("/api/scenarios/{name:path}", summary="One scenario: levers, places and roads")
    def scenario(name: str) -> dict[str, Any]:
        entry = catalog.get(name)
        if entry is None:
            raise HTTPException(404, f"no scenario named {name!r}; served: {', '.join(catalog.names())}")
        return entry.detail()

    @app.post("/api/runs", status_code=202, summary="Queue an ensemble: the what-if and, with overrides, the baseline")
    def submit(req: RunRequest) -> dict[str, Any]:
        entry = catalog.get(req.scenario)
        if entry is None:
            raise HTTPException(404, f"no scenario named {req.scenario!r}; served: {', '.join(catalog.names())}")
        runs = req.runs or limits.default_runs
        if runs > limits.max_runs:
            raise HTTPException(422, f"runs: {runs} is more than this server allows (at most {limits.max_runs})")
        most = min(limits.max_days, entry.scenario.days)
        days = req.days or entry.scenario.days
        if days > most:
            raise HTTPException(422, f"days: {days} is more than {req.scenario} allows here (at most {most})")
        try:
            job = jobs.submit(entry, req.overrides, runs, req.seed, days, posterior=req.posterior)
        except CorridorError as exc:
            raise HTTPException(422, str(exc)) from None
        except QueueFull as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
        return {"id": job.id, "status": job.status, "url": f"/api/runs/{job.id}"}

    def _job(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no run {job_id!r} (finished runs are kept for a while, then forgotten)")
        return job

    @app.get("/api/runs/{job_id}", summary="A run's status, progress and, when done, its bands")
    def status(job_id: str) -> dict[str, Any]:
        return _job(job_id).to_dict()

    def _done(job_id: str):
        job = _job(job_id)
        if job.status != "done":
            raise HTTPException(409, f"run {job_id} is {job.status}, not done")
        return job

    @app.get("/api/runs/{job_id}/report.html", summary="The report of the what-if's first run")
    def report(job_id: str) -> FileResponse:
        folder = jobs.folder(_done(job_id))
        return FileResponse(folder / "report.html", media_type="text/html")

    @app.get("/api/runs/{job_id}/run.zip", summary="The what-if's first run as a run folder, with its report")
    def download(job_id: str) -> Response:
        folder = jobs.folder(_done(job_id))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, Path(folder.name) / path.relative_to(folder))
        return Response(
            buf.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{folder.name}.zip"'},
        )

    return app
