"""A tenant's networks (pure): subnets allocated from the registry's tenant pools — never typed in — kept once
they exist, clear of every plane and every other tenant; a pinned CIDR that collides is refused naming both;
an onboarded tenant plans nothing; lint checks the specs."""

from __future__ import annotations

import shutil
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.governance.lint import run_lint
from cloudops.site.load import load_registry
from cloudops.tenants import allocate, spec
from cloudops.tenants.plan import changes
from tests.conftest import EXAMPLES
from tests.tenants.test_tenant_plan import _onboarded as _identity_done  # project, users, grants, quotas

TESTCLOUD = EXAMPLES / "testcloud"
REGISTRY = load_registry(TESTCLOUD).require_valid()
ACME = spec.load(TESTCLOUD, "acme").model_copy(
    update={"application_credentials": ()}
)  # test_tenant_plan.py's
GLOBEX = spec.load(TESTCLOUD, "globex")


def test_subnets_get_the_first_free_blocks_of_their_pool() -> None:
    got = allocate.cidrs(ACME, REGISTRY, {}, {}, {})
    assert got == {"acme-web-v4": IPv4Network("172.16.0.0/24"), "acme-ci-v4": IPv4Network("172.16.1.0/26")}
    # another tenant's subnets in the cloud are kept clear of, aligned to the size asked for
    others = {
        "172.16.0.0/24": "tenant acme subnet acme-web-v4",
        "172.16.1.0/26": "tenant acme subnet acme-ci-v4",
    }
    assert allocate.cidrs(GLOBEX, REGISTRY, {}, others, {}) == {
        "globex-batch-v4": IPv4Network("172.16.4.0/22")
    }


def test_a_subnet_that_exists_keeps_its_cidr_and_a_re_plan_gives_the_same_answer() -> None:
    live = {"acme-web-v4": "172.16.9.0/24"}
    got = allocate.cidrs(ACME, REGISTRY, live, {}, {})
    assert got == {"acme-web-v4": IPv4Network("172.16.9.0/24"), "acme-ci-v4": IPv4Network("172.16.0.0/26")}
    assert allocate.cidrs(ACME, REGISTRY, live, {}, {}) == got


def _with_subnet(t: spec.Tenant, **subnet: object) -> spec.Tenant:
    doc = t.model_dump(mode="json")
    doc["networks"][0]["subnets"][0].update(subnet)
    return spec.Tenant.model_validate(doc)


@pytest.mark.parametrize(
    ("subnet", "others", "error"),
    [
        ({"cidr": "172.16.5.0/24"}, {"172.16.4.0/22": "tenant globex subnet globex-batch-v4"},
         "tenants/acme.yaml: subnets[acme-web-v4].cidr: 172.16.5.0/24 of tenant acme collides with tenant "
         "globex subnet globex-batch-v4 (172.16.4.0/22)"),
        ({"cidr": "10.10.1.0/25"}, {},
         "tenants/acme.yaml: subnets[acme-web-v4].cidr: 10.10.1.0/25 of tenant acme collides with registry "
         "plane internal (10.10.1.0/24)"),
        ({"cidr": "192.168.0.0/24"}, {},
         "tenants/acme.yaml: subnets[acme-web-v4].cidr: 192.168.0.0/24 is outside tenant pool tenants (172.16.0.0/16)"),
        ({"pool": "nope"}, {},
         "tenants/acme.yaml: networks[acme-web].subnets[acme-web-v4].pool: unknown tenant pool 'nope' (known: tenants)"),
        ({"prefix_length": 16}, {"172.16.0.0/26": "tenant x subnet y"},
         "tenants/acme.yaml: subnets[acme-web-v4]: tenant pool tenants (172.16.0.0/16) has no free /16 left"),
    ],
)  # fmt: skip
def test_a_cidr_that_collides_or_does_not_fit_is_refused_naming_both(
    subnet: dict[str, object], others: dict[str, str], error: str
) -> None:
    with pytest.raises(InputError) as got:
        changes(
            _with_subnet(ACME, **subnet), _identity_done(ACME), registry=REGISTRY, pinned_elsewhere=others
        )
    assert got.value.one_line() == error


def test_a_pinned_cidr_cannot_move_a_subnet_that_exists() -> None:
    seen = _identity_done(ACME)
    seen.networks = {"acme-web"}
    seen.subnets = {"acme-web-v4": {"network": "acme-web", "cidr": "172.16.7.0/24", "dhcp": True}}
    with pytest.raises(InputError, match=r"pinned 172.16.8.0/24, but the subnet exists with 172.16.7.0/24"):
        changes(_with_subnet(ACME, cidr="172.16.8.0/24"), seen, registry=REGISTRY)


def test_a_new_tenants_network_changes_in_the_order_they_must_run() -> None:
    rows = changes(ACME, _identity_done(ACME), cloud="c", registry=REGISTRY)
    assert [(r["action"]["action"], r["target"]) for r in rows] == [
        ("create_network", "acme/acme-web"),
        ("create_subnet", "acme/acme-web-v4"),
        ("create_network", "acme/acme-ci"),
        ("create_subnet", "acme/acme-ci-v4"),
        ("create_router", "acme/acme-gw"),
        ("add_router_interface", "acme/acme-gw"),
        ("add_router_interface", "acme/acme-gw"),
        ("create_security_group", "acme/web"),
        ("add_security_group_rule", "acme/web"),
        ("add_security_group_rule", "acme/web"),
    ]
    subnet = rows[1]
    assert subnet["action"]["args"] == {"subnet": "acme-web-v4", "network": "acme-web", "cidr": "172.16.0.0/24",
                                        "dhcp": True, "project": "acme", "domain": "Default"}  # fmt: skip
    assert (
        subnet["what"]
        == "network acme-web gains subnet acme-web-v4 172.16.0.0/24, allocated from tenant pool tenants"
    )
    assert subnet["revert"]["action"]["action"] == "delete_subnet"
    assert rows[9]["title"] == "allow ingress tcp 22 from 192.0.2.0/24 in web of acme"
    assert [r["id"] for r in rows] == [f"t{n}" for n in range(1, 11)]


def test_an_onboarded_tenant_plans_nothing_and_a_missing_rule_is_one_change() -> None:
    seen = _identity_done(ACME)
    seen.networks = {"acme-web", "acme-ci"}
    seen.subnets = {
        "acme-web-v4": {"network": "acme-web", "cidr": "172.16.0.0/24", "dhcp": True},
        "acme-ci-v4": {"network": "acme-ci", "cidr": "172.16.1.0/26", "dhcp": True},
    }
    seen.routers = {"acme-gw": {"external_network": "ext_net", "subnets": {"acme-web-v4", "acme-ci-v4"}}}
    rules = {r.identity for r in ACME.security_groups[0].rules}
    seen.security_groups = {
        "web": {"description": "", "rules": rules | {("egress", "any", None, None, "0.0.0.0/0")}}
    }
    assert changes(ACME, seen, registry=REGISTRY) == []

    seen.security_groups["web"]["rules"] = rules - {ACME.security_groups[0].rules[0].identity}
    (only,) = changes(ACME, seen, registry=REGISTRY)
    assert only["title"] == "allow ingress tcp 443 from 0.0.0.0/0 in web of acme"


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        ({"routers": [{"name": "r", "subnets": ["nope"]}]}, "routers[r].subnets: no subnet 'nope' in this tenant's networks"),
        ({"security_groups": [{"name": "g", "rules": [{"protocol": "icmp", "ports": "22"}]}]}, "ports are for tcp and udp, not icmp"),
        ({"networks": [{"name": "n", "subnets": [{"name": "s", "pool": "tenants"}]},
                       {"name": "n", "subnets": [{"name": "t", "pool": "tenants"}]}]}, "networks: 'n' is named twice"),
    ],
)  # fmt: skip
def test_bad_network_specs_are_refused_by_lint_naming_the_field(
    edit: dict, error: str, tmp_path: Path
) -> None:
    repo = tmp_path / "testcloud"
    shutil.copytree(TESTCLOUD, repo)
    doc = ACME.model_dump(mode="json") | edit
    import json

    (repo / "tenants" / "acme.yaml").write_text(json.dumps(doc))
    found = [f.line() for f in run_lint(repo).findings if f.check == "tenants.spec"]
    assert len(found) == 1 and error in found[0], found


def test_lint_refuses_two_specs_pinning_colliding_cidrs(tmp_path: Path) -> None:
    repo = tmp_path / "testcloud"
    shutil.copytree(TESTCLOUD, repo)
    for name, cidr in (("acme", "172.16.8.0/22"), ("globex", "172.16.9.0/24")):
        path = repo / "tenants" / f"{name}.yaml"
        text = path.read_text()
        sub = (
            "{name: acme-web-v4, pool: tenants}"
            if name == "acme"
            else "{name: globex-batch-v4, pool: tenants, prefix_length: 22}"
        )
        path.write_text(text.replace(sub, sub[:-1] + f", cidr: {cidr}}}"))
    assert [f.line() for f in run_lint(repo).findings if f.check == "tenants.spec"] == [
        "tenants/globex.yaml:14: tenants.spec: subnets[globex-batch-v4].cidr: 172.16.9.0/24 of tenant globex collides "
        "with tenant acme subnet acme-web-v4 (172.16.8.0/22)"
    ]
    assert run_lint(TESTCLOUD).findings == []


def test_with_a_netbox_each_new_block_is_reserved_before_its_subnet_is_made() -> None:
    nb = "http://127.0.0.1:28502"
    held = {"172.16.0.0/24": "someone's lab", "172.16.1.0/26": "tenant acme subnet acme-ci-v4"}
    rows = changes(ACME, _identity_done(ACME), registry=REGISTRY, netbox=nb, reserved=held)
    order = [(r["action"]["service"], r["action"]["action"], r["target"]) for r in rows[:5]]
    assert order == [
        ("tenant", "create_network", "acme/acme-web"),
        ("netbox", "create_prefix", "netbox/172.16.2.0/24"),  # past what NetBox holds for another
        ("tenant", "create_subnet", "acme/acme-web-v4"),
        ("tenant", "create_network", "acme/acme-ci"),
        (
            "tenant",
            "create_subnet",
            "acme/acme-ci-v4",
        ),  # its own reservation, from an interrupted apply: taken up
    ]
    reserve = rows[1]
    assert reserve["action"]["args"] == {"netbox": nb, "prefix": "172.16.2.0/24", "vlan": None, "vlan_name": None,
                                         "role": "tenant", "description": "tenant acme subnet acme-web-v4"}  # fmt: skip
    assert reserve["revert"]["action"]["action"] == "delete_prefix"
    assert rows[2]["action"]["args"]["cidr"] == "172.16.2.0/24"
    assert rows[4]["action"]["args"]["cidr"] == "172.16.1.0/26"


def test_offboarding_releases_the_tenants_reservations_after_its_networks() -> None:
    from cloudops.tenants import offboard

    inv = offboard.Inventory("acme", "Default", [
        offboard.Item("project", "p1", "acme"),
        offboard.Item("netbox_prefix", "172.16.2.0/24", "172.16.2.0/24", "tenant acme subnet acme-web-v4"),
        offboard.Item("network", "n1", "acme-web", "172.16.2.0/24"),
    ])  # fmt: skip
    now = ACME.model_copy(update={"offboarding": ACME.offboarding.model_copy(update={"retain_days": 0})})
    rows = offboard.changes(now, inv, netbox="http://127.0.0.1:28502")
    assert [r["target"] for r in rows] == [
        "acme/network/acme-web",
        "netbox/172.16.2.0/24",
        "acme/project/acme",
    ]
    release = rows[1]
    assert (release["class"], release["action"]["service"], release["action"]["action"]) == (
        "destructive",
        "netbox",
        "delete_prefix",
    )
    assert release["verify"]["expect"] == {"json_subset": {"absent": True}}
    with pytest.raises(ValueError, match="no NetBox to release it from"):
        offboard.changes(ACME, inv)
