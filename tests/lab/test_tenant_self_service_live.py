"""What a tenant may do with its own credentials, asked of the lab's real Keystone, Neutron and Nova (2024.1
default policies, new defaults enforced): docs/tenants.md's self-service table, held to the truth.

A member (the lab's `lab-member`) and a tenant admin (Keystone's `manager` persona, as `tenant apply`
grants it) each try every row; the answers are the services' own (201/204 or 403)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.live]


def _as(lab: Any, username: str, password: str, project: str) -> Any:
    import openstack

    from cloudops.lab.identity import ADMIN_CLOUD, connect

    auth = connect(lab, ADMIN_CLOUD).config.config["auth"]
    return openstack.connection.Connection(
        auth={"auth_url": auth["auth_url"], "username": username, "password": password, "project_name": project,
              "user_domain_name": "Default", "project_domain_name": "Default"},
        region_name="RegionOne", identity_api_version="3",
    )  # fmt: skip


@pytest.fixture
def tenant(lab_up: Any, cloud: Any) -> Iterator[dict[str, Any]]:
    tag = secrets.token_hex(2)
    project = cloud.identity.create_project(name=f"self{tag}", domain_id="default")
    password = secrets.token_urlsafe(16)  # a throwaway lab user's, never written anywhere
    admin = cloud.identity.create_user(name=f"self{tag}-admin", password=password, domain_id="default")
    other = cloud.identity.create_user(name=f"self{tag}-dev", domain_id="default")
    cloud.identity.assign_project_role_to_user(project, admin, cloud.identity.find_role("manager"))
    try:
        yield {"project": project, "other": other, "manager": _as(lab_up, admin.name, password, project.name)}
    finally:
        for net in cloud.network.networks(project_id=project.id):
            cloud.network.delete_network(net)
        for group in cloud.network.security_groups(project_id=project.id):
            cloud.network.delete_security_group(group)
        for user in (admin, other):
            cloud.identity.delete_user(user)
        cloud.identity.delete_project(project)


def _status(call: Any) -> int:
    from openstack import exceptions

    try:
        call()
    except exceptions.HttpException as exc:
        return int(exc.status_code or 0)
    return 200


def test_a_tenant_admin_runs_its_project_and_nothing_beyond(tenant: dict[str, Any], cloud: Any) -> None:
    c, p, other = tenant["manager"], tenant["project"], tenant["other"]
    role = {r.name: r.id for r in cloud.identity.roles()}
    answers = {
        "create a network in its project": _status(lambda: c.network.create_network(name="own")),
        "create an application credential for itself": _status(
            lambda: c.identity.create_application_credential(user=c.current_user_id, name="ci")
        ),
        "grant member to a user on its project": c.identity.put(
            f"/projects/{p.id}/users/{other.id}/roles/{role['member']}"
        ).status_code,
        "grant admin to a user on its project": c.identity.put(
            f"/projects/{p.id}/users/{other.id}/roles/{role['admin']}"
        ).status_code,
        "create a user": _status(lambda: c.identity.create_user(name=f"{p.name}-new", domain_id="default")),
        "raise its own compute quota": _status(lambda: c.compute.update_quota_set(p.id, cores=99)),
        "list every project": _status(lambda: list(c.identity.projects())),
    }
    assert (
        answers
        == {
            "create a network in its project": 200,
            "create an application credential for itself": 200,
            "grant member to a user on its project": 403,  # Keystone 2024.1: grants are an admin's or a domain admin's
            "grant admin to a user on its project": 403,
            "create a user": 403,
            "raise its own compute quota": 403,  # a quota change is a spec change, planned and approved by an operator
            "list every project": 403,
        }
    )
    assert not list(cloud.identity.role_assignments(scope_project_id=p.id, user_id=other.id))


def test_a_member_sees_its_own_project_only(lab_up: Any, cloud: Any) -> None:
    from cloudops.lab.identity import MEMBER_CLOUD, connect

    member = connect(lab_up, MEMBER_CLOUD)
    own = member.current_project_id
    assert {
        n.project_id for n in member.network.networks() if not n.is_shared and not n.is_router_external
    } <= {own}
    assert _status(lambda: list(member.identity.projects())) == 403
    assert _status(lambda: member.compute.update_quota_set(own, instances=99)) == 403
