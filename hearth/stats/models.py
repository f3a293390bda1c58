"""Visitor statistics tables (PP-2): daily rollups, the open day's visitor keys, the day's salt.

None holds an IP or a user agent. ``VisitorDay`` and ``DailySalt`` exist only while their day is
open: closing the day (``services.close_days``) folds them into ``DailyCount`` and deletes both.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    VIEWS = "views", _("Page views")
    VISITORS = "visitors", _("Unique visitors")
    PAGE = "page", _("Page")
    REFERRER = "referrer", _("Referring site")
    BROWSER = "browser", _("Browser")
    OS = "os", _("Operating system")
    ENTRY = "entry", _("Entry page")
    EXIT = "exit", _("Exit page")
    DROPPED = "dropped", _("Views not counted (buffer full)")


class DailyCount(models.Model):
    """One count per day, dimension and key (a path, a domain, a family; "" for totals)."""

    day = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=255, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="stats_count_unique")
        ]
        # Covering: the dashboard's sums per key over a range of days read the index alone.
        indexes = [
            models.Index(fields=["dimension", "day", "key", "count"], name="stats_count_dim_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}: {self.count}"


class VisitorDay(models.Model):
    """One visitor-day of the open day: its keyed hash, first and last page (entry and exit)."""

    day = models.DateField()
    visitor = models.CharField(max_length=32)
    first_seen = models.DateTimeField()
    entry_path = models.CharField(max_length=255)
    last_seen = models.DateTimeField()
    exit_path = models.CharField(max_length=255)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "visitor"], name="stats_visitor_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.visitor[:8]}…"


class DailySalt(models.Model):
    """The salt of one open day; deleted when the day closes."""

    day = models.DateField(primary_key=True)
    salt = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return str(self.day)
