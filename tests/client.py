"""The one HTTP client every end-to-end test uses: GraphQL over HTTP against the real ASGI
app (lifespan included), as a frontend would call it."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQLResponse:
    def __init__(self, http: httpx.Response):
        self.http = http
        self.status_code = http.status_code
        self.json = http.json()
        self.data = self.json.get("data")
        self.errors = self.json.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]

    def ok(self) -> Any:
        assert not self.errors, self.errors
        return self.data


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, token: str | None = None):
        self.http = http
        self.token = token

    def as_token(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self.http, token)

    async def post(self, query: str, variables: dict | None = None, **headers) -> GraphQLResponse:
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                        headers=headers)
        return GraphQLResponse(response)

    async def query(self, query: str, **variables) -> Any:
        """Run `query` and return its data, failing on any error."""
        return (await self.post(query, variables)).ok()
