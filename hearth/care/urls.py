from django.urls import path

from hearth.care import views

app_name = "care"
urlpatterns = [
    path("support/", views.support, name="support"),
    path("support/sent/", views.support_sent, name="support_sent"),
    path("back-office/care/", views.queue, name="queue"),
    path("back-office/care/phone/", views.phone_case, name="phone"),
    path("back-office/care/chart/", views.chart, name="chart"),
    path("back-office/care/<int:case_id>/", views.case_detail, name="case"),
    path("back-office/care/<int:case_id>/reply/", views.case_reply, name="reply"),
    path("back-office/care/<int:case_id>/note/", views.case_note, name="note"),
    path("back-office/care/<int:case_id>/assign/", views.case_assign, name="assign"),
    path("back-office/care/<int:case_id>/close/", views.case_close, name="close"),
    path(
        "back-office/care/<int:case_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
