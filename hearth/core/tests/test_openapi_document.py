"""The OpenAPI document tells the truth (issue #10, item 23).

- No two schemas share a component name (one would silently replace the other, as the accounts
  address did the fulfilment one).
- Every operation lists the 4xx it can answer, each with the error body's schema.
- Every example in it is valid against its schema, and each whole request example, sent to its
  operation, is accepted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client
from ninja import Schema

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
UNSAFE = {"post", "put", "patch", "delete"}


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    return response.json()


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_no_two_api_schemas_share_a_component_name(document: dict[str, Any]) -> None:
    # Loading the document imported every router, and with them every schema class.
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("hearth."):
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert shared == {}
    assert {"AccountAddressOut", "AddressCheckOut", "ErrorOut"} <= set(
        document["components"]["schemas"]
    )


def test_every_operation_lists_its_4xx_with_the_error_body(document: dict[str, Any]) -> None:
    missing: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {"400"}
            if operation.get("security"):
                expected |= {"401", "403"}
            if method in UNSAFE:
                expected |= {"403", "413"}
            if "{" in path:
                expected.add("404")
            responses = operation["responses"]
            for code in sorted(expected):
                schema = responses.get(code, {}).get("content", {}).get("application/json", {})
                if schema.get("schema") != ERROR_REF:
                    missing.append(f"{method.upper()} {path} {code}")
            for code in responses:
                if code.startswith("4"):
                    content = responses[code]["content"]["application/json"]["schema"]
                    if content != ERROR_REF:
                        missing.append(f"{method.upper()} {path} {code}: not the error body")
    assert missing == []
    errors = document["components"]["schemas"]["ErrorOut"]
    assert errors["required"] == ["error"]


def _examples(node: Any, where: str = "") -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every schema-level example in the document."""
    found: list[tuple[str, dict[str, Any], Any]] = []
    if isinstance(node, dict):
        if "type" in node or "$ref" in node or "anyOf" in node or "properties" in node:
            schema = {k: v for k, v in node.items() if k not in ("example", "examples")}
            if "example" in node:
                found.append((where, schema, node["example"]))
            if isinstance(node.get("examples"), list):
                found.extend((where, schema, example) for example in node["examples"])
        for key, child in node.items():
            found.extend(_examples(child, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_examples(child, f"{where}/{index}"))
    return found


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    examples = _examples(document)
    assert len(examples) >= 40
    invalid = []
    for where, schema, example in examples:
        root = {**schema, "components": document["components"]}
        validator = jsonschema_rs.Draft202012Validator(root)
        if not validator.is_valid(example):
            invalid.append(f"{where}: {json.dumps(example)}")
    assert invalid == []


def test_each_whole_request_example_is_accepted(document: dict[str, Any], client: Client) -> None:
    sent = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            component = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            whole = ([component["example"]] if "example" in component else []) + component.get(
                "examples", []
            )
            for example in whole:
                response = getattr(client, method)(
                    path, data=json.dumps(example), content_type="application/json"
                )
                sent[f"{method.upper()} {path}"] = response.status_code
    assert sent == {"POST /api/v1/tax/quote": 200, "POST /api/v1/aftersales/eligibility": 200}
