from django.urls import path

from hearth.checkout import views

app_name = "checkout"
urlpatterns = [
    path("basket/", views.basket_page, name="basket"),
    path("basket/add/", views.basket_add, name="basket_add"),
    path("basket/<str:sku>/change/", views.basket_change, name="basket_change"),
    path("basket/<str:sku>/remove/", views.basket_remove, name="basket_remove"),
    path("checkout/", views.start, name="start"),
    path("checkout/age/", views.age, name="age"),
    path("checkout/details/", views.details, name="details"),
    path("checkout/contact/", views.contact, name="contact"),
    path("checkout/address/", views.address, name="address"),
    path("checkout/outside-canada/", views.outside_canada, name="outside_canada"),
    path("checkout/delivery/", views.delivery, name="delivery"),
    path("checkout/payment/", views.payment, name="payment"),
    path("checkout/payment/return/", views.payment_return, name="payment_return"),
    path("checkout/payment/cancelled/", views.payment_cancelled, name="payment_cancelled"),
    path("checkout/review/", views.review, name="review"),
    path("checkout/confirmation/<str:number>/", views.confirmation, name="confirmation"),
]
