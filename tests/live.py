"""The real app on a free loopback port (uvicorn in a thread), for tests that need a live HTTP server."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager


@contextmanager
def serving(app):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # bound before the server starts: connections wait in the backlog, no start-up race
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
