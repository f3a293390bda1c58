"""Storefront pages: the catalogue with its filters, and the product page. Thin: selectors do it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hearth.catalog import selectors
from hearth.catalog.forms import CatalogueFilterForm
from hearth.core.errors import DomainError

PAGE_SIZE = 24
SEARCH_MAX_LENGTH = 200


@require_safe
def catalogue_page(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None, colours=selectors.colours_on_sale())
    valid = form.is_valid() if form.is_bound else True
    products = selectors.catalogue(**form.filters())
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    return render(request, "catalog/list.html", context, status=200 if valid else 400)


@require_safe
def product_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        product = selectors.product_by_slug(slug)
    except DomainError as exc:
        raise Http404(str(exc.message)) from None
    variants = list(product.variants.all())
    chosen = request.GET.get("sku")
    selected = next((v for v in variants if v.sku == chosen and v.is_purchasable), None)
    if selected is None:
        selected = next((v for v in variants if v.is_purchasable), None)
    context = {"product": product, "variants": variants, "selected": selected}
    return render(request, "catalog/product.html", context)


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    """``/shop/search/?q=``: products matching the words, in English or French, best first. Any
    string is a valid search (at worst it finds nothing)."""
    text = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    results = selectors.search_products(text) if text.strip() else []
    context = {
        "search_query": text,
        "results": results,
        "more_than_shown": len(results) >= selectors.SEARCH_LIMIT,
    }
    return render(request, "catalog/search.html", context)
