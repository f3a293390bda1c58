from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "hearth.aftersales"
    label = "aftersales"

    def ready(self) -> None:
        from hearth.aftersales import queues, warranty

        queues.register()
        warranty.register()
