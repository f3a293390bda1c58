from django.urls import path

from hearth.privacy import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.privacy_policy, name="policy"),
    path("terms/", views.terms, name="terms"),
    path("eula/", views.eula, name="eula"),
    path("legal/<str:kind>/", views.policy_versions, name="versions"),
    path("legal/<str:kind>/<str:version>/", views.policy_version, name="version"),
    path("privacy/acknowledge/", views.acknowledge, name="acknowledge"),
    path("privacy/request/", views.data_request, name="data_request"),
    path(
        "privacy/request/confirm/<str:token>/", views.confirm_data_request, name="confirm_request"
    ),
]
urlpatterns += [
    path("cookies/", views.cookies, name="cookies"),
]
