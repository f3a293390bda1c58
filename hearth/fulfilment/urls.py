from django.urls import path

from hearth.fulfilment import views

app_name = "fulfilment"
urlpatterns = [
    path("back-office/warehouse/", views.home, name="home"),
    path("back-office/warehouse/pick/", views.pick_list, name="pick_list"),
    path("back-office/warehouse/stock/", views.stock, name="stock"),
    path("back-office/warehouse/orders/<str:number>/pack/", views.pack, name="pack"),
    path("back-office/warehouse/orders/<str:number>/label/", views.create_label, name="label"),
    path("back-office/warehouse/orders/<str:number>/label.pdf", views.label_pdf, name="label_pdf"),
    path(
        "back-office/warehouse/orders/<str:number>/packing-slip.pdf",
        views.packing_slip_pdf,
        name="packing_slip",
    ),
    path("back-office/warehouse/orders/<str:number>/ship/", views.ship, name="ship"),
    path("track/", views.track, name="track"),
    path("carriers/<str:carrier>/track/<str:code>/", views.carrier_tracking, name="carrier_track"),
    path("carriers/<str:carrier>/events/", views.carrier_events, name="carrier_events"),
]
