"""The aftersales pages. Each part of issue #13 keeps its own view module and its own lines here,
so that merges stay small."""

from django.urls import path

from hearth.aftersales import views_begin, views_care, views_receiving, views_refunds

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
    path("back-office/rmas/<str:number>/close/", views_care.close_hold, name="close_hold"),
    path("back-office/units/", views_care.unit_search, name="unit_search"),
    path("back-office/units/<str:serial>/", views_care.unit, name="unit"),
    # [rma] Beginning a return or claim, My Stuff's RMAs, care's form and RMA page.
    path("my-stuff/returns/", views_begin.my_rmas, name="my_rmas"),
    path("my-stuff/returns/<str:number>/", views_begin.my_rma, name="my_rma"),
    path("my-stuff/returns/<str:number>/label.pdf", views_begin.my_label, name="my_label"),
    path("my-stuff/orders/<str:order_number>/return/", views_begin.my_begin, name="my_begin"),
    path("returns/guest/", views_begin.guest_begin, name="guest_begin"),
    path("back-office/care/rmas/new/", views_begin.care_begin, name="care_begin"),
    path("back-office/care/rmas/<str:number>/", views_begin.care_rma, name="care_rma"),
    path("back-office/care/rmas/<str:number>/label.pdf", views_begin.care_label, name="care_label"),
    path(
        "back-office/care/rmas/<str:number>/receipt/", views_begin.care_receipt, name="care_receipt"
    ),
    # Finance: returns awaiting refund (views_refunds).
    path("back-office/refunds/", views_refunds.refund_queue, name="refund_queue"),
    path("back-office/refunds/<str:number>/refund/", views_refunds.refund, name="refund"),
]
