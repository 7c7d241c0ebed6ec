"""What the policy console (admin/) is told by the hub at /admin/config.json: today, the
county's own map tiles, if any. The console is static files; this is the one thing about it
an operator sets (docs/maps.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from gridhub.settings import Settings


def console_config(settings: Settings) -> dict:
    """The console's configuration. `tiles` is null unless MAP_TILE_URL is set: the map then
    draws boundaries only and asks nothing of any other server."""
    tiles = None
    if settings.map_tile_url:
        tiles = {"url": settings.map_tile_url, "attribution": settings.map_tile_attribution,
                 "maxZoom": settings.map_tile_max_zoom}
    return {"tiles": tiles}


def console_config_endpoint(settings: Settings):
    body = console_config(settings)

    async def endpoint(request: Request) -> JSONResponse:
        # no secret in it, and the console reads it before anyone signs in
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    return endpoint
