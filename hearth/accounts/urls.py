from django.urls import path

from hearth.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-up/", views.sign_up, name="sign_up"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("my-stuff/verify-email/resend/", views.resend_verification, name="resend_verification"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-step/", views.two_step, name="two_step"),
    path("my-stuff/", views.my_stuff, name="my_stuff"),
    path("my-stuff/confirm-password/", views.confirm_password, name="confirm_password"),
    path("my-stuff/profile/", views.profile, name="profile"),
    path("my-stuff/email/", views.change_email, name="change_email"),
    path("my-stuff/password/", views.change_password, name="change_password"),
    path("my-stuff/addresses/new/", views.address_add, name="address_add"),
    path("my-stuff/addresses/<int:address_id>/", views.address_change, name="address_change"),
    path(
        "my-stuff/addresses/<int:address_id>/remove/",
        views.address_remove,
        name="address_remove",
    ),
    path("my-stuff/contact-preferences/", views.contact_preferences, name="contact_preferences"),
    path("my-stuff/my-data/", views.my_data, name="my_data"),
    path("my-stuff/my-data.json", views.my_data_download, name="my_data_download"),
    path("my-stuff/erasure/", views.erasure, name="erasure"),
]
