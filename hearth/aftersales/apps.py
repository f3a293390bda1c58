from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "hearth.aftersales"
    label = "aftersales"
