"""Plain text is not HTML: the template loader of the plain-text engine (issue #14 item 11).

Every email's text part and subject come from a ``.txt`` template. Rendered by the HTML engine,
``Ember & Oak`` arrived as ``Ember &amp; Oak``. settings.TEMPLATES splits the app templates
between two engines by name: the HTML engine (first, escaping; also the default engine of
``Template("...")``) never loads a ``.txt`` template, and the ``text`` engine (autoescape off)
loads nothing else. So any ``render_to_string("....txt")`` renders unescaped, whoever calls it,
and every HTML page still escapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.template.loaders.app_directories import Loader as AppDirectoriesLoader


class HtmlLoader(AppDirectoriesLoader):
    """The app-directories loader, for every template but ``*.txt``."""

    def get_template_sources(self, template_name: str) -> Iterator[Any]:
        if template_name.endswith(".txt"):
            return iter(())
        return super().get_template_sources(template_name)


class PlainTextLoader(AppDirectoriesLoader):
    """The app-directories loader, for ``*.txt`` templates only."""

    def get_template_sources(self, template_name: str) -> Iterator[Any]:
        if not template_name.endswith(".txt"):
            return iter(())
        return super().get_template_sources(template_name)
