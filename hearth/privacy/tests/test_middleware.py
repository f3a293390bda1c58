from __future__ import annotations

import re

from hearth.privacy.middleware import HEADER, POLICY


def test_every_page_gets_a_strict_content_security_policy(client, db):
    policy = client.get("/").headers[HEADER]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "cdn.jsdelivr.net" not in policy


def test_the_api_docs_load_only_local_scripts_under_the_strict_policy(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers[HEADER] == POLICY
    html = response.content
    sources = re.findall(rb'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith(b"/static/") for src in sources)
    executable_inline = re.findall(rb"<script(?![^>]*\b(?:src=|type=\"application/json\"))", html)
    assert executable_inline == []
    assert client.get(sources[-1].decode()).status_code == 200


def test_api_json_gets_the_strict_policy(client, db):
    assert "cdn.jsdelivr.net" not in client.get("/api/v1/openapi.json").headers[HEADER]
