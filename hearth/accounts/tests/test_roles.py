from __future__ import annotations

import copy
import tomllib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from hearth.accounts import roles, services
from hearth.accounts.models import User
from hearth.accounts.roles import ROLES_FILE, RoleDataError, parse_roles


def _data():
    with ROLES_FILE.open("rb") as fh:
        return tomllib.load(fh)


def test_roles_file_declares_the_six_roles_with_sources():
    loaded = roles.load_roles()
    assert sorted(loaded) == sorted(roles.ROLE_KEYS)
    assert all(r.source for r in loaded.values())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["role"].pop("warehouse"), "missing ['warehouse']"),
        (lambda d: d["role"].setdefault("janitor", d["role"]["finance"]), "unknown ['janitor']"),
        (lambda d: d["role"]["finance"].pop("source"), "needs a source line"),
        (lambda d: d["role"]["finance"].update(permissions=["view_user"]), "malformed"),
        (lambda d: d["role"]["finance"].update(permissions="x.y"), "list of strings"),
    ],
)
def test_bad_roles_data_is_refused_when_loaded(mutate, message):
    data = copy.deepcopy(_data())
    mutate(data)
    with pytest.raises(RoleDataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_roles(data)


def test_only_the_privacy_officer_works_data_requests():
    holders = [
        r.key
        for r in roles.load_roles().values()
        if "privacy.change_datarequest" in r.permissions
        or "privacy.view_datarequest" in r.permissions
    ]
    assert holders == ["privacy_officer"]


@pytest.mark.django_db
def test_sync_roles_is_idempotent_and_sets_exact_permissions():
    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = {
        g.name: sorted(g.permissions.values_list("codename", flat=True))
        for g in Group.objects.all()
    }
    group = Group.objects.get(name="Care agent")
    group.permissions.clear()  # someone edited it by hand
    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    second = {
        g.name: sorted(g.permissions.values_list("codename", flat=True))
        for g in Group.objects.all()
    }
    assert first == second
    assert Group.objects.count() == len(roles.ROLE_KEYS)
    for role in roles.load_roles().values():
        expected = sorted(perm.split(".", 1)[1] for perm in role.permissions)
        assert second[role.group_name] == expected
    assert "view_user" in second["Care agent"]
    assert "view_datarequest" not in second["Care agent"]


@pytest.mark.django_db
def test_has_role_follows_group_membership():
    services.sync_roles()
    user = User.objects.create_user(email="wh@example.com", password="x")
    assert not roles.has_role(user, "warehouse")
    services.assign_role(user=user, role_key="warehouse", actor=None)
    user.refresh_from_db()
    assert roles.has_role(user, "warehouse")
    assert not roles.has_role(user, "finance")
    assert user.is_staff is True
    assert roles.roles_of(user) == ["warehouse"]
