"""What a load balancer and a browser landing on `/` ask of the hub."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from tortoise import connections

from gridhub.web.view import GridhubGraphQL


def health_endpoint(graphql: GridhubGraphQL):
    """`/healthz` for a load balancer: 503 without the database (or while this process does
    not hold it: a reset under way), 200 "degraded" without Redis, which the hub can do without."""

    async def healthz(request: Request) -> JSONResponse:
        status = {"database": "ok", "cache": "ok"}
        try:
            await connections.get("default").execute_query("SELECT 1")
            if graphql.claim is not None and graphql.claim.problem:  # not serving it: out of the balancer
                status["database"] = f"error: {graphql.claim.problem}"
        except Exception as e:  # the point is to report it, whatever it is
            status["database"] = f"error: {type(e).__name__}"
        try:
            await request.app.state.cache.ping()
        except Exception as e:
            status["cache"] = f"error: {type(e).__name__}"
        # Without the database nothing can be answered: out of the load balancer (503).
        # Without Redis the hub answers from memory and polls the policy: degraded, serving.
        status_code = 200 if status["database"] == "ok" else 503
        healthy = all(v == "ok" for v in status.values())
        return JSONResponse({"status": "ok" if healthy else "degraded", **status}, status_code=status_code)

    return healthz


async def home(request: Request) -> RedirectResponse:
    return RedirectResponse("/graphql")
