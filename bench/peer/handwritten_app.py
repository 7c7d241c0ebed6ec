"""The hand-written floor behind HTTP, for bench/peer/run: bench/handwritten.py's Q1 and Q4
(asyncpg, orjson, the same JSON as the hub's `data`) as a bare ASGI app on the same uvicorn
stack as the hub, so that the load tool measures all three servers alike. POST /graphql
with a body naming the operation (`{"op": "Q1"}`); no GraphQL, policy or audit.

    DATABASE_URL=… python bench/peer/handwritten_app.py PORT [WORKERS]"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import handwritten  # noqa: E402

POOL_SIZE = 10  # as PostGraphile's: two processes of each server stay within max_connections (100)


class App:
    def __init__(self):
        self.pool = None
        self.fixtures = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.pool = await asyncpg.create_pool(handwritten.dsn(os.environ["DATABASE_URL"]),
                                                          min_size=2, max_size=POOL_SIZE)
                    self.fixtures = await handwritten.fixtures(self.pool)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/healthz":
            status, answer = 200, b"ok"
        else:
            operation = handwritten.OPERATIONS.get(orjson.loads(body or b"{}").get("op"))
            status, answer = (200, await operation(self.pool, self.fixtures)) if operation else (404, b"")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer})


app = App()

if __name__ == "__main__":
    import uvicorn

    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    os.chdir(Path(__file__).resolve().parent)
    uvicorn.run("handwritten_app:app" if workers > 1 else app, host="127.0.0.1", port=port, workers=workers,
                log_level="warning", access_log=False)
