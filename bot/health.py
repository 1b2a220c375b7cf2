"""GET /healthz (the process is alive) and GET /readyz (the database can serve it), on the listener."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from storage.readiness import head_revisions, problems

Check = Callable[[], Awaitable[list[str]]]


def add_health_routes(app: web.Application, db_engine, db_url: str, *extra: Check) -> None:
    """`extra`: further readiness checks returning problems (the broken-database watch, shutting down)."""
    heads = head_revisions()

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(_request: web.Request) -> web.Response:
        found = await problems(db_engine, heads)
        for check in extra:
            found.extend(await check())
        if found:
            return web.json_response({"status": "not ready", "problems": found}, status=503)
        return web.json_response({"status": "ready"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
