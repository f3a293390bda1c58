from typing import Any

from django.apps import AppConfig


def _merge_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from hearth.checkout.services import count_basket_on_sign_in, merge_basket_on_sign_in

    if request is not None and hasattr(request, "session"):
        merge_basket_on_sign_in(request, user)
        count_basket_on_sign_in(request, user)


class CheckoutConfig(AppConfig):
    name = "hearth.checkout"
    label = "checkout"

    def ready(self) -> None:
        # The accounts app has no sign-in hook to call, so the guest basket is merged into the
        # customer's on Django's user_logged_in signal (services.merge_basket_on_sign_in).
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_merge_on_sign_in, dispatch_uid="checkout.merge_basket")
