from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_search(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate, the search index is whole again (see hearth.catalog.search)."""
    from hearth.catalog import search

    search.repair(connections[using])


class CatalogConfig(AppConfig):
    name = "hearth.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        post_migrate.connect(_install_search, sender=self, dispatch_uid="catalog-search-index")
