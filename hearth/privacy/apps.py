from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "hearth.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from hearth.privacy import erasure, inventory, own_erasure, selectors, services, subjects
        from hearth.privacy.models import PolicyDocument

        # A policy version saved or deleted in this process is seen at once (selectors' cache).
        for signal in (post_save, post_delete):
            signal.connect(
                selectors.forget_policy_documents,
                sender=PolicyDocument,
                dispatch_uid="privacy.forget_policy_documents",
            )

        checks.register(inventory.check_inventory, checks.Tags.models)
        erasure.register_eraser(
            own_erasure.erase_acknowledgements, models=["privacy.PolicyAcknowledgement"]
        )
        subjects.register_linker("privacy", services.link_data_requests)
