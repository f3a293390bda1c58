"""The storefront's style sheet: every text colour it pairs with a background reaches WCAG 2.1
AA contrast (4.5:1 for text, 3:1 for field borders and focus rings), read from the sheet itself,
so a changed colour that breaks contrast fails here (issue #16 item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SHEET = Path(__file__).resolve().parents[1] / "static" / "web" / "site.css"

# (foreground, background) as the sheet uses them: text on each surface it appears on.
TEXT_PAIRS = [
    ("ink", "bg"),
    ("ink", "paper"),
    ("ink", "oak"),
    ("ink", "notice-bg"),
    ("muted", "bg"),
    ("muted", "paper"),
    ("muted", "oak"),  # the checkout steps not yet reached
    ("accent", "bg"),  # links
    ("accent", "paper"),  # links in cards, secondary buttons
    ("accent", "notice-bg"),
    ("accent-dark", "paper"),  # hover, pre-order and backorder
    ("accent-dark", "oak"),  # secondary button hover
    ("on-accent", "accent"),  # primary buttons, the basket count, the current step
    ("on-accent", "accent-dark"),
    ("ok-ink", "ok-bg"),
    ("ok-ink", "paper"),  # in stock
    ("error-ink", "error-bg"),
    ("error-ink", "paper"),
    ("error-ink", "bg"),
    ("footer-ink", "ink"),
    ("footer-muted", "ink"),
]
NON_TEXT_PAIRS = [
    ("field-border", "paper"),
    ("focus", "bg"),
    ("focus", "paper"),
    ("accent", "paper"),
]


def _colours() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", SHEET.read_text(encoding="utf-8"), re.S)
    assert root is not None
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root.group(1)))


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_text_colours_reach_4_5_to_1_on_their_backgrounds(fg: str, bg: str) -> None:
    colours = _colours()
    assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, colours[fg], bg, colours[bg])


@pytest.mark.parametrize(("fg", "bg"), NON_TEXT_PAIRS)
def test_field_borders_and_focus_rings_reach_3_to_1(fg: str, bg: str) -> None:
    colours = _colours()
    assert contrast(colours[fg], colours[bg]) >= 3.0, (fg, bg)


def test_the_sheet_declares_colours_only_as_custom_properties() -> None:
    """Outside :root the sheet names colours by variable, so the table above covers them all
    (white on hover and translucent shadows excepted)."""
    body = re.sub(r":root\s*\{.*?\}", "", SHEET.read_text(encoding="utf-8"), count=1, flags=re.S)
    literal = set(re.findall(r"#[0-9a-fA-F]{3,6}\b", body)) - {"#ffffff", "#9cc8a6"}
    assert literal == set()
