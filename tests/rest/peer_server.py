"""A tiny HTTP peer for the resilience tests, in its own process so that a test can freeze it.

`python tests/rest/peer_server.py` binds a free loopback port, prints it on one line and serves
until killed. Standard library only, so it starts in a few milliseconds.

- `GET /health` answers 200 `{"status": "ok"}`;
- `/api/v1/status/<code>` answers that status with the library's error body;
- any other path answers 200 `{"method": ..., "path": ...}`;
- `GET /served` answers how many requests it served before (itself not counted), so a test can
  tell whether a call reached it.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

served = 0
served_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real service

    def _handle(self) -> None:
        global served
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/served":
            with served_lock:
                self._send(200, {"served": served})
            return
        with served_lock:
            served += 1
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._send(200, {"status": "ok"})
        elif path.startswith("/api/v1/status/"):
            status = int(path.rsplit("/", 1)[1])
            self._send(status, {"code": "error", "detail": f"asked for {status}"})
        else:
            self._send(200, {"method": self.command, "path": path})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
