"""Customers and staff: one user model, signed in by email address; addresses; sign-in guards."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.privacy.fields import EncryptedTextField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        # Made by an operator at the command line, who vouches for the address.
        extra.setdefault("email_verified_at", timezone.now())
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # PP-13 / TOS-3: the moment the person attested being 18 or older (never a birth date).
    adult_attested_at = models.DateTimeField(_("adult attestation at"), null=True, blank=True)
    # PP-15 / PP-17: when the person proved they hold ``email`` (followed the emailed link or a
    # password reset). Until then nothing found by email is linked to the account.
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    # Issue #16: the language the person reads ("en", "fr-ca"): set at sign-up from the page's
    # language, changed by the language switch or My Stuff; every later email to them uses it
    # ("" for accounts made before, which then read the order's or the page's language).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Address(models.Model):
    """A customer's postal address; personal parts encrypted at rest (PP-10)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="addresses",
        verbose_name=_("customer"),
    )
    label = models.CharField(_("label"), max_length=60, blank=True)
    name = EncryptedTextField(_("name"))
    lines = EncryptedTextField(_("street address"))  # one line per row, newline-separated
    city = EncryptedTextField(_("city"))
    province = models.CharField(_("province or territory"), max_length=2)
    postal_code = EncryptedTextField(_("postal code"))
    country = models.CharField(_("country"), max_length=2, default="CA")
    phone = EncryptedTextField(_("phone"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ("id",)
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return self.label or str(_("Address %(id)s")) % {"id": self.pk}

    @property
    def line_list(self) -> list[str]:
        return [line for line in self.lines.splitlines() if line.strip()]


class SignInFailure(models.Model):
    """One failed sign-in, keyed by a keyed hash of the email or of the client address.

    Holds no plaintext: ``key_digest`` is ``keyed_hash`` of the email address or of the client's
    IP address (``kind`` says which). Rows older than the throttle window are purged on the next
    failure.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("email address")
        CLIENT = "client", _("client address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key_digest = models.CharField(_("key digest"), max_length=128, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
