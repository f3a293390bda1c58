"""Catalogue tables: products and their sellable variants (SKUs). Prices are before tax (TOS-1).

Product content is bilingual: each text a customer reads has an English column (the original,
required) and a French one (``*_fr``, blank when not written yet). The ``display_*`` properties
give the text in the active language, the English when the French is missing (ADR 0006).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hearth.catalog import rules

IMAGE_PATH = RegexValidator(
    r"^catalog/img/[a-z0-9][a-z0-9-]*\.(svg|png|jpg|webp)$",
    _("Give the path of an image under catalog/img/, e.g. catalog/img/ember-one.svg."),
)


class Category(models.TextChoices):
    SPEAKERS = "speakers", _("Speakers")
    SOUNDBAR = "soundbar", _("Soundbars")
    SUBWOOFER = "subwoofer", _("Subwoofers")
    AMPLIFIER = "amplifier", _("Amplifiers")
    PORTABLE = "portable", _("Portable")
    ACCESSORIES = "accessories", _("Accessories")


class Availability(models.TextChoices):
    IN_STOCK = rules.Availability.IN_STOCK.value, _("In stock")
    PREORDER = rules.Availability.PREORDER.value, _("Pre-order")
    BACKORDER = rules.Availability.BACKORDER.value, _("Backorder")


def _shown(english: str, french: str) -> str:
    return rules.in_language(english=english, french=french, language=get_language())


class Product(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_fr = models.CharField(_("name in French"), max_length=120, blank=True, default="")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    summary = models.CharField(_("summary"), max_length=200)
    summary_fr = models.CharField(_("summary in French"), max_length=200, blank=True, default="")
    description = models.TextField(_("description"), blank=True)
    description_fr = models.TextField(_("description in French"), blank=True, default="")
    image = models.CharField(
        _("image"),
        max_length=200,
        validators=[IMAGE_PATH],
        help_text=_("Path of a static file, e.g. catalog/img/ember-one.svg."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    is_featured = models.BooleanField(_("featured on the home page"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return _shown(self.name, self.name_fr)

    @property
    def display_summary(self) -> str:
        return _shown(self.summary, self.summary_fr)

    @property
    def display_description(self) -> str:
        return _shown(self.description, self.description_fr)

    @property
    def display_colours(self) -> list[str]:
        return [v.display_colour for v in self.variants.all()]

    @property
    def from_price(self) -> Decimal | None:
        """The lowest variant price, before tax (uses prefetched variants when present)."""
        prices = [v.price for v in self.variants.all()]
        return min(prices) if prices else None

    @property
    def colours(self) -> list[str]:
        return [v.colour for v in self.variants.all()]


class Variant(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="variants"
    )
    sku = models.CharField(
        _("SKU"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Upper-case letters, digits, -."))],
    )
    colour = models.CharField(_("colour"), max_length=40)
    colour_fr = models.CharField(_("colour in French"), max_length=40, blank=True, default="")
    price = models.DecimalField(
        _("price before tax"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    stock_on_hand = models.IntegerField(_("stock on hand"), default=0)
    availability = models.CharField(
        _("availability"),
        max_length=12,
        choices=Availability.choices,
        default=Availability.IN_STOCK,
    )
    expected_ship_date = models.DateField(
        _("expected ship date"),
        null=True,
        blank=True,
        help_text=_("For pre-order and backorder: when it is expected to ship (TOS-20)."),
    )
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"),
        default=5,
        help_text=_(
            "The warehouse's home lists the variant when stock on hand is at or below this."
        ),
    )

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ("product", "price", "sku")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stock_on_hand__gte=0), name="catalog_variant_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="catalog_variant_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} – {self.colour} ({self.sku})"

    def clean(self) -> None:
        if self.availability == Availability.IN_STOCK and self.expected_ship_date is not None:
            raise ValidationError(
                {
                    "expected_ship_date": _(
                        "Only pre-order and backorder variants have an expected ship date."
                    )
                }
            )
        if self.stock_on_hand is not None and self.stock_on_hand < 0:
            raise ValidationError({"stock_on_hand": _("Stock on hand cannot be negative.")})

    @property
    def display_colour(self) -> str:
        return _shown(self.colour, self.colour_fr)

    @property
    def stock_state(self) -> rules.StockState:
        return rules.stock_state(self.availability, self.stock_on_hand)

    @property
    def is_purchasable(self) -> bool:
        return rules.is_purchasable(self.availability, self.stock_on_hand)


class Specification(models.Model):
    """One row of a product's specification table (label and value, in English and French)."""

    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="specifications",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    label = models.CharField(_("label"), max_length=80)
    label_fr = models.CharField(_("label in French"), max_length=80, blank=True, default="")
    value = models.CharField(_("value"), max_length=200)
    value_fr = models.CharField(_("value in French"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("specification")
        verbose_name_plural = _("specifications")
        ordering = ("product", "position", "id")

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"

    @property
    def display_label(self) -> str:
        return _shown(self.label, self.label_fr)

    @property
    def display_value(self) -> str:
        return _shown(self.value, self.value_fr)


class ProductImage(models.Model):
    """One picture of a product's gallery: a static file and its text alternative in both
    languages."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    image = models.CharField(_("image"), max_length=200, validators=[IMAGE_PATH])
    alt = models.CharField(_("text alternative"), max_length=200)
    alt_fr = models.CharField(
        _("text alternative in French"), max_length=200, blank=True, default=""
    )

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ("product", "position", "id")

    def __str__(self) -> str:
        return self.image

    @property
    def display_alt(self) -> str:
        return _shown(self.alt, self.alt_fr)
