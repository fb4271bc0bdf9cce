"""Pages and feeds are sent gzipped to clients that ask (the agenda's 33 KB are 5.7 KB on a rural line).

Litestar's compression middleware does the work; the venue screen's live stream is left out (`UNCOMPRESSED`
in its handler's `opt`): its messages are a few bytes each, gzip would only add a flush to every one, and
proxies may hold a compressed stream back until it ends. The `before_send` hook
below makes every other answer say `Vary: Accept-Encoding`, small ones and 304s too, so a shared cache
keeps the plain and the gzipped copies apart. A feed keeps its ETag either way: its 304 (never compressed)
must carry the tag its 200 had, and the feeds are never asked for byte ranges.
"""

from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# A route handler's `opt` key that keeps its answers uncompressed (streams).
UNCOMPRESSED = "uncompressed"

COMPRESSION = CompressionConfig(
    backend="gzip",
    # Level 6: nearly the size of 9 for much less CPU on a page made for each request.
    gzip_compress_level=6,
    exclude_opt_key=UNCOMPRESSED,
)


def _uncompressed(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(UNCOMPRESSED))


async def vary_on_encoding(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or scope["type"] != "http" or _uncompressed(scope):
        return
    headers = MutableScopeHeaders.from_message(message)
    vary = headers.get("vary") or ""
    if "accept-encoding" not in vary.lower():
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
