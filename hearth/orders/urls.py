from django.urls import path

from hearth.orders import views

app_name = "orders"
urlpatterns = [
    path("my-stuff/orders/", views.my_orders, name="my_orders"),
    path("my-stuff/orders/<str:number>/", views.my_order, name="my_order"),
    path("my-stuff/orders/<str:number>/cancel/", views.my_order_cancel, name="my_cancel"),
    path("orders/guest-cancel/", views.guest_cancel, name="guest_cancel"),
    path("orders/pay-again/<str:token>/", views.pay_again, name="pay_again"),
    path("orders/pay-again/<str:token>/paid/", views.pay_again_return, name="pay_again_return"),
    path("back-office/review/", views.review_queue, name="review_queue"),
    path("back-office/review/<str:number>/clear/", views.review_clear, name="review_clear"),
    path("back-office/review/<str:number>/cancel/", views.review_cancel, name="review_cancel"),
    path("back-office/orders/<str:number>/refund/", views.refund, name="refund"),
    path("my-stuff/orders/<str:number>/invoice.pdf", views.my_order_invoice, name="my_invoice"),
    path(
        "my-stuff/orders/<str:number>/credit-notes/<str:note>.pdf",
        views.my_credit_note,
        name="my_credit_note",
    ),
    path(
        "orders/guest-credit-notes/<str:token>.pdf",
        views.guest_credit_note,
        name="guest_credit_note",
    ),
    path(
        "back-office/credit-notes/<str:number>.pdf",
        views.staff_credit_note,
        name="staff_credit_note",
    ),
    path("back-office/phone-orders/", views.phone_start, name="phone_start"),
    path("back-office/phone-orders/<str:draft_id>/", views.phone_build, name="phone_build"),
    path(
        "back-office/phone-orders/<str:draft_id>/summary/",
        views.phone_summary,
        name="phone_summary",
    ),
    path("back-office/phone-orders/<str:draft_id>/place/", views.phone_place, name="phone_place"),
    path("back-office/phone-orders/placed/<str:number>/", views.phone_done, name="phone_done"),
]
