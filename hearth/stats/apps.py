from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "hearth.stats"
    label = "stats"
    verbose_name = "Visitor statistics"
