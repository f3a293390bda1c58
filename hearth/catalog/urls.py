from django.urls import path

from hearth.catalog import views

app_name = "catalog"
urlpatterns = [
    path("shop/", views.catalogue_page, name="list"),
    path("shop/search/", views.search_page, name="search"),
    path("shop/<slug:slug>/", views.product_page, name="product"),
]
