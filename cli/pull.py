"""`gridhub pull KIND --out FILE`: a department's pull of one kind into an NDJSON file, over
the hub's `/export` (docs/departments.md), with a progress bar on stderr.

    gridhub pull person --out persons.ndjson [--since 2026-11-01T00:00:00Z]
                        [--filter '{"tags": ["care"]}'] [--url URL] [--token ghs_…]

An interrupted pull (a cut connection, Ctrl-C, a killed process) is resumed by running
the same command again: the file's last complete line carries the cursor to continue
from, and a half-written last line is dropped first. A finished file ends with the
`{"@end": …}` line, whose `nextSince` is the `--since` of the next pull. The file is only
ever appended to, a line per row or tombstone, so memory stays flat however large it is.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

BLOCK = 1 << 16
EXIT_INTERRUPTED = 3  # run the same command again to resume


def last_complete_line(path: Path, cut: bool = True) -> bytes | None:
    """The last newline-terminated line of the file; with `cut`, whatever follows it (a line
    half written when the pull was interrupted) is cut off. Reads the file's tail only."""
    with open(path, "r+b" if cut else "rb") as f:
        end = f.seek(0, os.SEEK_END)
        newlines: list[int] = []  # offsets of the last two newlines, found from the end
        position = end
        while position > 0 and len(newlines) < 2:
            start = max(0, position - BLOCK)
            f.seek(start)
            block = f.read(position - start)
            at = len(block)
            while len(newlines) < 2:
                at = block.rfind(b"\n", 0, at)
                if at < 0:
                    break
                newlines.append(start + at)
            position = start
        if not newlines:
            if cut:
                f.truncate(0)
            return None
        if cut:
            f.truncate(newlines[0] + 1)
        begin = newlines[1] + 1 if len(newlines) > 1 else 0
        f.seek(begin)
        return f.read(newlines[0] - begin)


def drop_last_line(path: Path) -> None:
    """Remove the last complete line (an `@error` line: the file must end with a cursor)."""
    with open(path, "r+b") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(max(0, end - BLOCK))
        tail = f.read()
        cut = tail.rstrip(b"\n").rfind(b"\n")
        f.truncate(end - len(tail) + cut + 1 if cut >= 0 else 0)


class Progress:
    """`persons [#######-------------]  35%  12,345/35,000  8,120/s` on stderr, redrawn at
    most five times a second."""

    def __init__(self, label: str, done: int, total: int, stream=sys.stderr):
        self.label, self.done, self.total, self.stream = label, done, total, stream
        self.started, self.drawn, self.received = time.monotonic(), 0.0, 0

    def add(self, lines: int) -> None:
        self.done += lines
        self.received += lines
        if time.monotonic() - self.drawn >= 0.2:
            self.draw()

    def draw(self, end: str = "") -> None:
        self.drawn = time.monotonic()
        total = max(self.total, self.done, 1)
        share = self.done / total
        bar = "#" * int(share * 20)
        rate = self.received / max(self.drawn - self.started, 1e-6)
        self.stream.write(f"\r{self.label} [{bar:<20}] {share:4.0%}  {self.done:,}/{max(self.total, self.done):,}"
                          f"  {rate:,.0f}/s{end}")
        self.stream.flush()


def export_url(base: str, kind: str, since: str | None, filter_json: str | None, cursor: str | None) -> str:
    params = {}
    if filter_json:
        params["filter"] = json.dumps(json.loads(filter_json), separators=(",", ":"), ensure_ascii=False)
    if since:
        params["updated_since"] = since
    if cursor:
        params["cursor"] = cursor
    query = urllib.parse.urlencode(params)
    return f"{base.rstrip('/')}/export/{urllib.parse.quote(kind)}" + (f"?{query}" if query else "")


def _copy(response: http.client.HTTPResponse, out: BinaryIO, progress: Progress | None) -> None:
    """Response bytes to the file as they come, a partial line included (resuming drops it)."""
    while True:
        try:
            block = response.read1(BLOCK)
        except http.client.IncompleteRead as cut:
            out.write(cut.partial)
            raise
        if not block:
            return
        out.write(block)
        if progress:
            progress.add(block.count(b"\n"))


def pull(kind: str, out: Path, *, url: str, token: str, since: str | None = None, filter_json: str | None = None,
         show_progress: bool = True) -> int:
    """Run (or resume) a pull into `out`; the exit status: 0 done, 1 refused or failed,
    3 interrupted (run it again to resume)."""
    cursor = None
    if out.exists() and out.stat().st_size:
        line = last_complete_line(out)
        if line is not None:
            last = json.loads(line)
            if "@end" in last:
                print(f"{out} is complete: {last['@end']['rows']} rows, {last['@end']['tombstones']} tombstones;"
                      f" next pull: --since {last['@end']['nextSince']}", file=sys.stderr)
                return 0
            cursor = last["cursor"]
            print(f"resuming {out} after its last complete line", file=sys.stderr)
    request = urllib.request.Request(export_url(url, kind, since, filter_json, cursor),
                                     headers={"Authorization": f"Bearer {token}", "Accept": "application/x-ndjson"})
    try:
        response = urllib.request.urlopen(request, timeout=300)
    except urllib.error.HTTPError as refused:
        body = refused.read().decode(errors="replace")
        try:
            message = json.loads(body)["errors"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            message = body[:300]
        if refused.code in (429, 503):  # busy (rate limit) or its database away: later, not never
            wait = refused.headers.get("Retry-After") or "a few"
            print(f"the hub is busy ({refused.code}): {message}; run the same command again in {wait} s",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"refused ({refused.code}): {message}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cannot reach {url}: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED if cursor else 1
    progress = None
    if show_progress:
        progress = Progress(kind, int(response.headers.get("X-Gridhub-Done") or 0),
                            int(response.headers.get("X-Gridhub-Total") or 0))
    interrupted = None
    with response, open(out, "ab") as f:
        try:
            _copy(response, f, progress)
        except (http.client.HTTPException, OSError, KeyboardInterrupt) as e:
            interrupted = e
    if progress:
        progress.draw(end="\n")
    line = last_complete_line(out, cut=False) if out.stat().st_size else None  # resuming cuts
    last = json.loads(line) if line else {}
    if "@end" in last:
        end = last["@end"]
        print(f"{out}: {end['rows']} rows, {end['tombstones']} tombstones; next pull: --since {end['nextSince']}",
              file=sys.stderr)
        print(end["nextSince"])
        return 0
    if "@error" in last:
        drop_last_line(out)
        print(f"the hub stopped the pull: {last['@error']['message']}; run the same command to resume",
              file=sys.stderr)
        return 1
    print(f"interrupted ({type(interrupted).__name__ if interrupted else 'the stream ended early'}); "
          f"run the same command again to resume", file=sys.stderr)
    return EXIT_INTERRUPTED


def main(args) -> int:
    url = args.url or os.environ.get("GRIDHUB_URL")
    token = args.token or os.environ.get("GRIDHUB_TOKEN")
    if not url or not token:
        print("give --url and --token (or GRIDHUB_URL and GRIDHUB_TOKEN)", file=sys.stderr)
        return 2
    if args.filter:
        try:
            json.loads(args.filter)
        except ValueError:
            print("--filter is a JSON object, e.g. '{\"tags\": [\"care\"]}'", file=sys.stderr)
            return 2
    return pull(args.kind, Path(args.out), url=url, token=token, since=args.since, filter_json=args.filter,
                show_progress=not args.quiet)


def add_arguments(parser) -> None:
    parser.add_argument("kind", help="region, person, household, place, event, thing or organisation")
    parser.add_argument("--out", required=True, help="the NDJSON file (appended to when resuming)")
    parser.add_argument("--since", help="only changes after this time (the nextSince of the last pull)")
    parser.add_argument("--filter", help="a JSON object with the GraphQL filter's fields")
    parser.add_argument("--url", help="the hub, e.g. https://hub.example (or GRIDHUB_URL)")
    parser.add_argument("--token", help="a service token ghs_… or a sign-in token (or GRIDHUB_TOKEN)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
