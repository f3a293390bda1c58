"""Content-Security-Policy header (Django 5.2 has none built in).

Everywhere: a strict same-origin policy. Scripts only from this site; no plug-ins, no framing,
forms post only here. Styles allow inline blocks because the site's base template carries its
small stylesheet inline (no scripts are ever inline).

The interactive API docs (/api/v1/docs) are django-ninja's Swagger UI page, which (with ninja
not in INSTALLED_APPS) loads swagger-ui's CSS and JS from cdn.jsdelivr.net, its favicon from
django-ninja.dev, runs one inline bootstrap <script>, and uses inline styles and data: images. That
path alone gets a relaxed policy; the inline script is allowed by its SHA-256 hash, computed from
the response itself, so ``'unsafe-inline'`` is never allowed for scripts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

STRICT: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

CDN = "https://cdn.jsdelivr.net"
DOCS_PATHS = ("/api/v1/docs",)
DOCS: dict[str, list[str]] = {
    **STRICT,
    "script-src": ["'self'", CDN],
    "style-src": ["'self'", CDN, "'unsafe-inline'"],
    "img-src": ["'self'", "data:", CDN, "https://django-ninja.dev"],
}

_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(.*?)</script>", re.S
)


def render_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _inline_hashes(body: bytes) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode("ascii") + "'"
        for script in _INLINE_SCRIPT.findall(body)
    ]


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER in response:
            return response
        if request.path.rstrip("/") in DOCS_PATHS and not getattr(response, "streaming", False):
            directives = {**DOCS}
            directives["script-src"] = DOCS["script-src"] + _inline_hashes(response.content)
            response[HEADER] = render_policy(directives)
        else:
            response[HEADER] = render_policy(STRICT)
        return response
