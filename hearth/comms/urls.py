from django.urls import path

from hearth.comms import views

app_name = "comms"
urlpatterns = [
    path("email/inbound/", views.inbound_webhook, name="inbound_webhook"),
    path("unsubscribe/", views.unsubscribe_by_email, name="unsubscribe_by_email"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
