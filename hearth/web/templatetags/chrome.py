"""``{% per_language "name" %}...{% end_per_language %}``: a fragment of the site's chrome (the
footer, the shop menu, the language switch, the cookie banner) rendered once per worker process
and language, then reused (issue #12 item 2: every page rendered the same links and translations
again).

Only for markup that depends on nothing but the active language: translated text and
``{% url %}`` links. What depends on the visitor (a CSRF token, the page's own path, a search
query) goes in a hole, ``{% per_visitor %}...{% end_per_visitor %}``, rendered on every page
between the kept parts. A hole reads the page's context (``request``, ``csrf_token``, ``user``),
never a variable of a loop or ``{% with %}`` around it, and sits outside any ``{% if %}`` whose
answer could differ between visitors. Outside a ``per_language`` fragment it simply renders.

The cache lives as long as the process, so a deploy (which restarts the workers) shows changed
templates at once; a changed setting (tests) empties it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Where a hole sits in a fragment being kept: a private-use character, in none of our texts.
_HOLE = "\ue000"

_rendered: dict[tuple[str, str | None], tuple[tuple[str, ...], tuple[NodeList, ...]]] = {}
# The holes met while a fragment is rendered to be kept (None: no fragment is being kept).
_capturing: ContextVar[list[NodeList] | None] = ContextVar("hearth_chrome_holes", default=None)


def forget_fragments(**_kwargs: object) -> None:
    _rendered.clear()


setting_changed.connect(forget_fragments, dispatch_uid="hearth.web.chrome")


def _hole(nodelist: NodeList, context: Any) -> str:
    """The visitor's part: rendered now, or marked when a fragment is being kept."""
    holes = _capturing.get()
    if holes is None:
        return str(nodelist.render(context))
    holes.append(nodelist)
    return _HOLE


class PerLanguageNode(template.Node):
    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        key = (self.name, get_language())
        kept = _rendered.get(key)
        if kept is None:
            holes: list[NodeList] = []
            token = _capturing.set(holes)
            try:
                html = self.nodelist.render(context)
            finally:
                _capturing.reset(token)
            parts = tuple(html.split(_HOLE))
            if len(parts) != len(holes) + 1:
                raise template.TemplateSyntaxError(
                    f"per_language {self.name!r}: its text holds the hole marker U+E000"
                )
            kept = (parts, tuple(holes))
            _rendered[key] = kept
        parts, kept_holes = kept
        if not kept_holes:
            return mark_safe(parts[0])  # noqa: S308 - rendered by the engine
        out = [parts[0]]
        for hole, part in zip(kept_holes, parts[1:], strict=True):
            out.append(_hole(hole, context))
            out.append(part)
        return mark_safe("".join(out))  # noqa: S308 - rendered by the engine


class PerVisitorNode(template.Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> str:
        return _hole(self.nodelist, context)


@register.tag("per_language")
def per_language(parser: Parser, token: Token) -> PerLanguageNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('usage: {% per_language "name" %}')
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(bits[1][1:-1], nodelist)


@register.tag("per_visitor")
def per_visitor(parser: Parser, token: Token) -> PerVisitorNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("usage: {% per_visitor %}...{% end_per_visitor %}")
    nodelist = parser.parse(("end_per_visitor",))
    parser.delete_first_token()
    return PerVisitorNode(nodelist)
