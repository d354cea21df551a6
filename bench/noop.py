"""A no-op ASGI app: reads the body, answers 202 with a small JSON body like
the gateway's. The HTTP server's own ceiling, for bench/stream.py.

    python bench/noop.py PORT hub   # on the hub gateway's uvicorn settings
    python bench/noop.py PORT fast  # on uvloop + httptools
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BODY = b'{"status":"accepted","event_id":"00000000-0000-0000-0000-000000000000"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 202, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    import uvicorn

    from hub.cli import server_options
    from hub.settings import load_settings

    port, mode = int(sys.argv[1]), sys.argv[2]
    options = server_options(load_settings(log_level="WARNING"))
    if mode == "fast":
        options |= {"loop": "uvloop", "http": "httptools"}
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


if __name__ == "__main__":
    main()
