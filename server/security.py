"""Web safety for every response: security headers, and errors that never show internals.

Every page is built from the app's own templates, styles and scripts, so the
Content-Security-Policy lets nothing else run: no inline script, no other origin, no plugins,
no framing. Transcript text is escaped by the templates; the policy is the second line behind
that. Errors the app does not answer on purpose (a bug, an I/O failure) get a plain message and
are logged with their traceback on the server, never sent: no stack trace, module path or
folder of the server reaches a client.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "install"]

log = logging.getLogger("qikg.server")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
INTERNAL_ERROR = (
    "The server failed to answer this request (an internal error, logged on the server). "
    "Try again later; if it persists, report the URL you asked for."
)


def install(app: Flask) -> None:
    """Add the security headers to every response of ``app`` and its plain 500 answer."""
    app.after_request(add_security_headers)
    app.register_error_handler(Exception, _unexpected)


def add_security_headers(response: Response) -> Response:
    """Add the :data:`SECURITY_HEADERS` a response does not set itself."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:  # ``setdefault`` would search the list once per name
            headers.add(name, value)
    return response


def _unexpected(err: Exception) -> HTTPException | Response:
    if isinstance(err, HTTPException):
        return err
    log.error("%s %s failed", request.method, request.path, exc_info=err)
    response = Response(INTERNAL_ERROR + "\n", status=500)
    response.content_type = "text/plain; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
