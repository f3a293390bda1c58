"""Which event types a tier may send, read from the same data file the server validates with.

Pure Python (no Django): a controller app embeds this package as it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS_FILE = Path(__file__).resolve().parents[1] / "data" / "events.toml"


class EventsDataError(ValueError):
    """The events data file does not have the shape the client expects."""


@dataclass(frozen=True)
class TierTable:
    """Tiers lowest first, and the lowest tier of each event type."""

    tiers: tuple[str, ...]
    lowest_tier: dict[str, str]

    def allowed_types(self, tier: str) -> frozenset[str]:
        """The event types a household in ``tier`` may send."""
        rank = self.rank(tier)
        return frozenset(t for t, lowest in self.lowest_tier.items() if self.rank(lowest) <= rank)

    def allows(self, tier: str, event_type: str) -> bool:
        lowest = self.lowest_tier.get(event_type)
        return lowest is not None and self.rank(lowest) <= self.rank(tier)

    def rank(self, tier: str) -> int:
        try:
            return self.tiers.index(tier)
        except ValueError:
            raise EventsDataError(f"unknown tier {tier!r}") from None


def parse_tier_table(data: dict[str, Any]) -> TierTable:
    """Validate the parsed events.toml (only the parts the client needs)."""
    tiers = data.get("tiers")
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, str) for t in tiers):
        raise EventsDataError("events.toml needs a non-empty `tiers` list")
    events = data.get("event")
    if not isinstance(events, list) or not events:
        raise EventsDataError("events.toml needs [[event]] entries")
    lowest: dict[str, str] = {}
    for entry in events:
        kind, tier = entry.get("type"), entry.get("tier")
        if not isinstance(kind, str) or tier not in tiers:
            raise EventsDataError(f"event {kind!r}: needs a type and one of the tiers")
        if kind in lowest:
            raise EventsDataError(f"event {kind!r}: declared twice")
        lowest[kind] = tier
    return TierTable(tiers=tuple(tiers), lowest_tier=lowest)


def load_tier_table(path: Path = EVENTS_FILE) -> TierTable:
    with path.open("rb") as fh:
        return parse_tier_table(tomllib.load(fh))
