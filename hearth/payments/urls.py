from django.urls import path

from hearth.payments import views

app_name = "payments"
urlpatterns = [
    path("pay/sandbox/card/", views.sandbox_card, name="sandbox_card"),
    path("pay/sandbox/agent-card/", views.sandbox_agent_card, name="sandbox_agent_card"),
    path("pay/sandbox/paypal/<str:session_id>/", views.sandbox_paypal, name="sandbox_paypal"),
    path("pay/sandbox/cancel/", views.sandbox_cancel, name="sandbox_cancel"),
]
