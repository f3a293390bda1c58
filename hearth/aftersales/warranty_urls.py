"""Warranty outcomes' pages (issue #13 part [warranty]): the customer's signed claim page and
care's page per RMA. Included by hearth/urls.py under the ``warranty`` namespace."""

from django.urls import path

from hearth.aftersales import views_warranty as views

app_name = "warranty"

urlpatterns = [
    path("warranty/<str:token>/", views.customer, name="customer"),
    path("warranty/<str:token>/advance/", views.advance_start, name="advance_start"),
    path("warranty/<str:token>/advance/paid/", views.advance_paid, name="advance_paid"),
    path("warranty/<str:token>/quote/accept/", views.quote_accept, name="quote_accept"),
    path("warranty/<str:token>/quote/paid/", views.quote_paid, name="quote_paid"),
    path("warranty/<str:token>/quote/decline/", views.quote_decline, name="quote_decline"),
    path("my-stuff/warranty/<str:number>/", views.my_claim, name="my_claim"),
    path("back-office/warranty/", views.care_home, name="care_home"),
    path("back-office/warranty/<str:number>/", views.care, name="care"),
    path("back-office/warranty/<str:number>/decide/", views.care_decide, name="care_decide"),
    path("back-office/warranty/<str:number>/resolve/", views.care_resolve, name="care_resolve"),
    path(
        "back-office/warranty/<str:number>/send-back/", views.care_send_back, name="care_send_back"
    ),
    path(
        "back-office/warranty/<str:number>/send-back/label.pdf",
        views.care_send_back_label,
        name="care_send_back_label",
    ),
]
