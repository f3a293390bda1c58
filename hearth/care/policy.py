"""Care's data files, loaded and validated once: the promise and its business hours
(``data/care.toml``) and the agents' reply templates (``data/reply_templates.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hearth.care import rules

DATA = Path(__file__).resolve().parent / "data"


@cache
def _care_data() -> dict[str, object]:
    with (DATA / "care.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def promise() -> rules.Policy:
    """The TOS-27 promise: business hours, first-response and resolution days."""
    data = _care_data()
    hours = rules.parse_hours(data["hours"], str(data["time_zone"]))  # type: ignore[arg-type]
    days = {key: data[key] for key in ("first_response_days", "resolution_days", "extension_days")}
    if not all(isinstance(v, int) and v >= 1 for v in days.values()):
        raise ValueError(f"care.toml: the day counts must be whole numbers of at least 1: {days}")
    return rules.Policy(hours=hours, **days)  # type: ignore[arg-type]


@cache
def attachments() -> rules.AttachmentPolicy:
    raw = _care_data()["attachments"]
    if not isinstance(raw, dict):
        raise ValueError("care.toml: [attachments] must be a table")
    types = {str(k): tuple(str(e).lower() for e in v) for k, v in raw["types"].items()}
    max_bytes, per_message = raw["max_bytes"], raw["max_per_message"]
    if not (isinstance(max_bytes, int) and max_bytes > 0 and isinstance(per_message, int)):
        raise ValueError("care.toml [attachments]: max_bytes and max_per_message must be numbers")
    return rules.AttachmentPolicy(max_bytes=max_bytes, max_per_message=per_message, types=types)


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    title: str
    body: str

    def fill(self, *, name: str, reference: str) -> str:
        return self.body.replace("{name}", name).replace("{reference}", reference)


@cache
def reply_templates() -> tuple[ReplyTemplate, ...]:
    with (DATA / "reply_templates.toml").open("rb") as fh:
        rows = tomllib.load(fh).get("template", [])
    found: list[ReplyTemplate] = []
    for row in rows:
        if set(row) != {"key", "title", "body"} or not all(str(row[k]).strip() for k in row):
            raise ValueError(f"reply_templates.toml: each template needs key, title, body: {row}")
        found.append(ReplyTemplate(key=row["key"], title=row["title"], body=row["body"]))
    if len({t.key for t in found}) != len(found):
        raise ValueError("reply_templates.toml: duplicate keys")
    return tuple(found)


@dataclass(frozen=True)
class Throttle:
    window_minutes: int
    per_client: int
    per_address: int


@cache
def throttle() -> Throttle:
    raw = _care_data()["throttle"]
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), int) and raw[k] >= 1
        for k in ("window_minutes", "per_client", "per_address")
    ):
        raise ValueError("care.toml [throttle]: three whole numbers of at least 1")
    return Throttle(
        window_minutes=raw["window_minutes"],
        per_client=raw["per_client"],
        per_address=raw["per_address"],
    )
