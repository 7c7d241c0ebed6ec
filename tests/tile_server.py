"""A county's own map tile server, as the console's map test needs one: a real HTTP server on
127.0.0.1 answering `/tiles/{z}/{x}/{y}.png` with a PNG of its own (a tinted square with a
border, the tile's numbers readable from its colour), and remembering what it was asked."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TILE = re.compile(r"^/tiles/(\d+)/(\d+)/(\d+)\.png$")


def png(width: int, height: int, pixel) -> bytes:
    """An RGB PNG, `pixel(x, y)` -> (r, g, b): zlib and the chunk layout, nothing else needed."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def tile_png(x: int, y: int) -> bytes:
    # a checkerboard of two greens (neighbouring tiles differ), a grey border at the tile's edge
    fill = (196, 226, 180) if (x + y) % 2 else (170, 208, 160)
    return png(256, 256, lambda px, py: (120, 120, 120) if px in (0, 255) or py in (0, 255) else fill)


class TileServer:
    def __init__(self):
        self.requested: list[tuple[int, int, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                found = TILE.match(self.path)
                if not found:
                    self.send_error(404)
                    return
                z, x, y = map(int, found.groups())
                server.requested.append((z, x, y))
                body = tile_png(x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Timing-Allow-Origin", "*")  # the page may see how each tile was answered
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet: the test reads `requested`
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.template = self.base + "/tiles/{z}/{x}/{y}.png"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self) -> TileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.http.shutdown()
        self.http.server_close()
