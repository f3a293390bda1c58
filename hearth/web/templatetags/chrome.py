"""``{% per_language "name" %}...{% end_per_language %}``: a fragment of the site's chrome (the
footer, the shop menu) rendered once per worker process and language, then reused (issue #12
item 2: every page rendered the same links and translations again).

Only for markup that depends on nothing but the active language: translated text and
``{% url %}`` links. Anything that depends on the visitor (the account menu, a CSRF token, the
basket) stays outside. The cache lives as long as the process, so a deploy (which restarts the
workers) shows changed templates at once.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_rendered: dict[tuple[str, str | None], SafeString] = {}


def forget_fragments() -> None:
    _rendered.clear()


class PerLanguageNode(template.Node):
    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        key = (self.name, get_language())
        html = _rendered.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the engine
            _rendered[key] = html
        return html


@register.tag("per_language")
def per_language(parser: Parser, token: Token) -> PerLanguageNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('usage: {% per_language "name" %}')
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(bits[1][1:-1], nodelist)
