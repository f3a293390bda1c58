"""hearth/urls.py lists the storefront's URLs first, so that a buyer's request is matched after a
few patterns rather than ~110 (issue #12 item 2). That order must change no answer: every URL
pattern's path is answered by that pattern, and every named URL reverses to it, whatever the
order of the apps' includes. Two apps sharing a path would make the order matter; this fails
then, naming the path."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

# One sample value per converter, the first its regex accepts.
_SAMPLES = ("7", "x", "x/y", str(uuid.UUID(int=7)))


@dataclass(frozen=True)
class Route:
    route: str  # the full route, as ResolverMatch.route gives it
    path: str  # a path the route matches
    namespace: str
    name: str | None
    kwargs: dict[str, str]


def _sample(converter: object) -> str:
    regex = getattr(converter, "regex", "[^/]+")
    return next(s for s in _SAMPLES if re.fullmatch(regex, s))


def _routes(
    resolver: URLResolver, prefix: str = "", namespace: str = "", converters: dict | None = None
) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern):
            continue  # the admin's two regex patterns; admin/ has its own prefix
        route = prefix + str(pattern)
        known = {**(converters or {}), **pattern.converters}
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _routes(entry, route, inner, known)
            continue
        assert isinstance(entry, URLPattern)
        kwargs: dict[str, str] = {}
        path = route
        for part in route.split("<")[1:]:
            spec = part.split(">", 1)[0]
            key = spec.rpartition(":")[2]
            kwargs[key] = _sample(known[key])
            path = path.replace(f"<{spec}>", kwargs[key], 1)
        yield Route(route, "/" + path, namespace, entry.name, kwargs)


def test_every_url_pattern_answers_its_own_path_and_every_name_reverses_to_it() -> None:
    routes = list(_routes(get_resolver()))
    assert len(routes) > 100  # the walk found the apps' patterns
    names = Counter((r.namespace, r.name) for r in routes if r.name is not None)
    wrong = []
    for r in routes:
        match = resolve(r.path)
        if (match.route, match.namespace) != (r.route, r.namespace):
            wrong.append(f"{r.path} ({r.namespace}:{r.name}) is answered by {match.view_name}")
        if r.name is not None and names[(r.namespace, r.name)] == 1:
            full = f"{r.namespace}:{r.name}" if r.namespace else r.name
            if (path := reverse(full, kwargs=r.kwargs or None)) != r.path:
                wrong.append(f"{full} reverses to {path}, not {r.path}")
    assert wrong == []


def test_the_storefront_is_matched_before_the_other_apps() -> None:
    storefront = ("checkout", "payments", "catalog", "web")
    apps = [
        entry.app_name
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and str(entry.pattern) == ""
    ]
    assert tuple(apps[: len(storefront)]) == storefront
