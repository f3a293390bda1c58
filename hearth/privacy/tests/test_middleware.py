from __future__ import annotations

import base64
import hashlib
import re

from hearth.privacy.middleware import HEADER


def test_every_page_gets_a_strict_content_security_policy(client, db):
    policy = client.get("/").headers[HEADER]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "cdn.jsdelivr.net" not in policy


def test_the_api_docs_get_a_relaxed_policy_with_their_inline_script_hashed(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    policy = response.headers[HEADER]
    assert "script-src 'self' https://cdn.jsdelivr.net 'sha256-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    html = response.content
    for src in re.findall(rb'<(?:script|link)[^>]+(?:src|href)="(https://[^/"]+)', html):
        assert src.decode() in policy
    inline = re.findall(rb"<script>(.*?)</script>", html, re.S)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_api_json_gets_the_strict_policy(client, db):
    assert "cdn.jsdelivr.net" not in client.get("/api/v1/openapi.json").headers[HEADER]
