from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "hearth.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from django.core import checks

        from hearth.privacy import erasure, inventory, own_erasure, services, subjects

        checks.register(inventory.check_inventory, checks.Tags.models)
        erasure.register_eraser(
            own_erasure.erase_acknowledgements, models=["privacy.PolicyAcknowledgement"]
        )
        subjects.register_linker("privacy", services.link_data_requests)
