from django.urls import path

from hearth.devices import views

app_name = "devices"
urlpatterns = [
    path("my-stuff/devices/", views.my_devices, name="my_devices"),
    path("my-stuff/devices/<int:household_id>/tier/", views.change_tier, name="change_tier"),
    path("devices/confirm/<str:token>/", views.confirm, name="confirm"),
]
