from __future__ import annotations

import re

import pytest
from csp.utils import build_policy

HEADER = "Content-Security-Policy"

# Today's strict policy, directive by directive: moving to django-csp must not loosen any of it.
STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'", "'unsafe-inline'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def directives(policy: str) -> dict[str, set[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {name: set(values) for name, *values in parts}


@pytest.mark.parametrize("path", ["/", "/shop/", "/sign-in/", "/api/v1/openapi.json", "/nowhere/"])
def test_every_answer_carries_exactly_the_strict_policy(client, db, path):
    assert directives(client.get(path).headers[HEADER]) == STRICT


def test_every_page_gets_a_strict_content_security_policy(client, db):
    policy = directives(client.get("/").headers[HEADER])  # django-csp's order varies: by name
    assert policy["default-src"] == {"'self'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert not any("cdn.jsdelivr.net" in value for values in policy.values() for value in values)


def test_the_api_docs_load_only_local_scripts_under_the_strict_policy(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert directives(response.headers[HEADER]) == directives(build_policy())
    html = response.content
    sources = re.findall(rb'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith(b"/static/") for src in sources)
    executable_inline = re.findall(rb"<script(?![^>]*\b(?:src=|type=\"application/json\"))", html)
    assert executable_inline == []
    assert client.get(sources[-1].decode()).status_code == 200


def test_api_json_gets_the_strict_policy(client, db):
    assert "cdn.jsdelivr.net" not in client.get("/api/v1/openapi.json").headers[HEADER]
