from django.urls import path

from hearth.comms import views

app_name = "comms"
urlpatterns = [
    path("email/inbound/", views.inbound_webhook, name="inbound_webhook"),
]
