from django.urls import path

from hearth.stats import backoffice_views

app_name = "stats_backoffice"
urlpatterns = [
    path("", backoffice_views.dashboard, name="dashboard"),
    path("export.csv", backoffice_views.export_csv, name="export"),
]
