from django.urls import path

from hearth.devices import backoffice_views

app_name = "devices_backoffice"
urlpatterns = [
    path("reports/", backoffice_views.partner_reports, name="reports"),
]
