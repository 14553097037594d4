"""The service's outer layer, a plain ASGI middleware: request ids, the body size limit,
security headers on every answer, and one log line per request.

Log lines hold a request id, method, route, status, byte counts and milliseconds only: never
a body, a query string or an error message (a message can quote a name or an MRN).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("orderset.service")
#: A reverse proxy's own request id is kept when it is this plain (so both logs line up).
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

#: Sent with every answer. The pages use no script and load nothing from elsewhere; answers
#: hold patient data, so nothing may cache them.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
        b" frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class Guard:
    """Wraps the app: reads the whole body (up to `max_body` bytes, else 413 before the app
    sees it), adds the security headers and an X-Request-Id, logs the request's figures."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(6)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        figures = {"status": 0, "out": 0}

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                figures["status"] = message["status"]
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                headers.extend(SECURITY_HEADERS)
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                figures["out"] += len(message.get("body", b""))
            await send(message)

        body, too_large = await self._read_body(scope, receive)
        try:
            if too_large:
                await _too_large(send_guarded, self.max_body)
            else:
                await self.app(scope, _replay(body), send_guarded)
        finally:
            log.info(
                "request_id=%s method=%s path=%s status=%s in_bytes=%d out_bytes=%d ms=%.1f",
                request_id,
                scope.get("method", ""),
                _route(scope),
                figures["status"],
                len(body),
                figures["out"],
                (time.perf_counter() - started) * 1000,
            )

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, bool]:
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return b"", True
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "too large", "message": f"the request body is larger than {limit:,} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: Paths logged as they are; any other path is logged as "(other)", so a mistyped URL cannot
#: carry a name into the log.
KNOWN_PATHS = frozenset(
    {
        "/",
        "/healthz",
        "/openapi.json",
        "/api/order-sets",
        "/api/examples",
        "/api/formats",
        "/api/plugins",
        "/api/rules",
        "/order-set",
        "/order-set/download",
        "/order-set/send",
        "/edit",
        "/static/service.css",
    }
)


def _route(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    if path in KNOWN_PATHS:
        return path
    if path.startswith("/api/examples/"):
        return "/api/examples/{name}"
    return "(other)"
