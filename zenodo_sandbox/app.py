"""Assemble the sandbox application: storage, routers, error handlers and middleware."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from zenodo_sandbox import api_admin, api_deposit, api_rdm, api_records
from zenodo_sandbox.blobs import BlobStore
from zenodo_sandbox.config import SandboxConfig
from zenodo_sandbox.core import ApiError, Context
from zenodo_sandbox.faults import FaultInjector
from zenodo_sandbox.middleware import RequestLog, SandboxMiddleware
from zenodo_sandbox.oai_source import StorageOaiSource
from zenodo_sandbox.oaipmh import OaiPmhEndpoint
from zenodo_sandbox.ratelimit import RateLimiter
from zenodo_sandbox.storage import Storage

log = logging.getLogger("zenodo_sandbox")


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    return JSONResponse(ApiError(status, message, errors).body(), status_code=status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Not found.", 405: "The method is not allowed for the requested URL."}
        return _error(exc.status_code, messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, _exc: RequestValidationError) -> Response:
        return _error(400, "Invalid querystring parameters.")

    @app.exception_handler(Exception)
    async def crash(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error: %s", type(exc).__name__)
        body = {"status": 500, "message": "Internal server error.",
                "error_id": f"sandbox-{time.time_ns():x}"}
        return JSONResponse(body, status_code=500)


def create_app(config: SandboxConfig) -> SandboxMiddleware:
    """Return the ASGI application for ``config`` (data under ``config.data_dir``)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(storage=Storage(config.data_dir / "sandbox.sqlite3"),
                  blobs=BlobStore(config.data_dir / "files"), config=config,
                  base_url=config.public_url.rstrip("/"))
    app = FastAPI(title="Zenodo sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.limiter = RateLimiter(config.limits, config.limit_strategy)
    app.state.faults = FaultInjector(config.faults)
    app.state.request_log = RequestLog()
    app.state.oai = OaiPmhEndpoint(
        StorageOaiSource(ctx), base_url=ctx.url("/oai2d"), page_size=config.oai_page_size,
        token_ttl=config.oai_token_ttl, secret=config.oai_secret,
        set_prefix=config.oai_set_prefix)

    @app.get("/")
    def root() -> dict[str, str]:
        """Tell a caller (and the readiness probe) that the sandbox is up."""
        return {"name": "zenodo-sandbox", "status": "ok"}

    app.include_router(api_deposit.router)
    app.include_router(api_records.router)
    app.include_router(api_rdm.router)
    app.include_router(api_admin.router)
    _install_handlers(app)
    return SandboxMiddleware(app, tokens=config.tokens, limiter=app.state.limiter,
                             faults=app.state.faults, request_log=app.state.request_log)
