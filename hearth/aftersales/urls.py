from django.urls import path

from hearth.aftersales import views_care, views_receiving

app_name = "aftersales"
urlpatterns = [
    # Receiving and inspection (the warehouse's returns bench).
    path("back-office/warehouse/returns/", views_receiving.returns, name="returns"),
    path("back-office/warehouse/returns/<str:number>/", views_receiving.bench, name="bench"),
    path(
        "back-office/warehouse/returns/<str:number>/units/<str:serial>/inspect/",
        views_receiving.inspect,
        name="inspect",
    ),
    # Customer care: the RMA queue, holds, one page per unit.
    path("back-office/rmas/", views_care.rma_queue, name="rma_queue"),
    path("back-office/rmas/<str:number>/release/", views_care.release_hold, name="release_hold"),
    path("back-office/units/", views_care.unit_search, name="unit_search"),
    path("back-office/units/<str:serial>/", views_care.unit, name="unit"),
]
