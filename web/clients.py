"""What browsers on other origins and clients on slow links need around the routes: CORS
(only for the origins an operator lists, `CORS_ALLOWED_ORIGINS`; none by default) and gzip
on answers of `GZIP_MINIMUM_BYTES` or more, streamed ones (/export) included, for clients
that ask for it with `Accept-Encoding: gzip`."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from gridhub.settings import Settings

# What a page on a listed origin may send and read: the token in Authorization, the media
# types of GraphQL over HTTP, its own request id; and back, the id, the rate
# limit's wait and an export's position (schema/export.py).
REQUEST_HEADERS = ["Authorization", "Content-Type", "Accept", "X-Request-Id"]
RESPONSE_HEADERS = ["X-Request-Id", "Retry-After", "X-Gridhub-Until", "X-Gridhub-Total", "X-Gridhub-Done"]
PREFLIGHT_CACHE_SECONDS = 600
# zlib's own default: level 9 costs about twice the time for a percent or two less
GZIP_LEVEL = 6


def middleware(settings: Settings) -> list[Middleware]:
    """CORS, then compression. A preflight from an origin not listed is answered 400 without
    CORS headers (the browser then refuses the call), as is any preflight with none listed."""
    return [
        Middleware(CORSMiddleware, allow_origins=settings.cors_allowed_origins, allow_methods=["GET", "POST"],
                   allow_headers=REQUEST_HEADERS, expose_headers=RESPONSE_HEADERS,
                   allow_credentials=settings.cors_allow_credentials, max_age=PREFLIGHT_CACHE_SECONDS),
        Middleware(GZipMiddleware, minimum_size=settings.gzip_minimum_bytes, compresslevel=GZIP_LEVEL),
    ]
