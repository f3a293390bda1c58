from __future__ import annotations

import pytest
from django import forms

from hearth.privacy import taxonomy
from hearth.privacy.notices import NoticeFormMixin, import_all_forms, registered_forms


def _instantiate(form_class):
    try:
        return form_class()
    except TypeError:
        # Forms that need the request's user (e.g. a password check) take it as a keyword.
        from django.contrib.auth import get_user_model

        return form_class(user=get_user_model()(email="someone@example.com"))


@pytest.mark.promise("PP-4")
def test_every_registered_form_states_purposes_and_marks_each_field(db):
    import_all_forms()
    classes = registered_forms()
    assert classes, "no form uses NoticeFormMixin"
    for form_class in classes:
        assert form_class.collection_point in taxonomy.collection_points(), form_class
        form = _instantiate(form_class)
        notice = form.privacy_notice
        assert notice.purposes, form_class
        visible = [n for n, f in form.fields.items() if not isinstance(f.widget, forms.HiddenInput)]
        assert [f.name for f in notice.fields] == visible, form_class
        for name in visible:
            marker = "(required)" if form.fields[name].required else "(optional)"
            assert str(form.fields[name].label).endswith(marker), (form_class, name)


@pytest.mark.promise("PP-4")
def test_the_notice_renders_purposes_and_markers(db):
    from django.template import Context, Template

    class NewsForm(NoticeFormMixin, forms.Form):
        collection_point = "news_signup"
        email = forms.EmailField(label="Email")
        first_name = forms.CharField(label="First name", required=False)

    form = NewsForm()
    html = Template(
        '{% include "privacy/includes/notice.html" with form=form %}{{ form.as_p }}'
    ).render(Context({"form": form}))
    assert "News and offers by email" in html
    assert "Email (required)" in html
    assert "First name (optional)" in html
    assert NewsForm in registered_forms()
