"""A tenant's spec against what the cloud holds (pure): a new tenant is every change, an onboarded one is
none, one quota edited is exactly one change; a grant beyond the tenant admin's and a quota below usage are
refused before anything is planned; a bad spec is named at file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.tenants import spec
from cloudops.tenants.plan import Observed, changes, default_implied, wanted_grants

TESTCLOUD = Path(__file__).resolve().parents[2] / "examples" / "testcloud"
# Its project, users, grants and quotas (its networks are test_tenant_networks.py's).
ACME = spec.load(TESTCLOUD, "acme").model_copy(update={"networks": (), "routers": (), "security_groups": ()})


def _onboarded(t: spec.Tenant) -> Observed:
    return Observed(
        project={"name": t.name, "description": t.description, "domain": t.domain},
        users={u: {} for u in [t.admin, *(x.name for x in t.users)]},
        grants=wanted_grants(t),
        quotas={s: dict(getattr(t.quotas, s)) for s in ("compute", "network", "volume")},
        implied=default_implied(),
        credentials={(c.user, c.name): {"roles": sorted(c.roles)} for c in t.application_credentials},
    )


def test_a_new_tenant_is_its_project_users_grants_and_quotas() -> None:
    got = [(c["action"]["action"], c["target"]) for c in changes(ACME, Observed(implied=default_implied()))]
    assert got == [
        ("create_project", "acme"),
        ("create_user", "acme-admin"),
        ("create_user", "acme-audit"),
        ("create_user", "acme-ci-bot"),
        ("create_user", "acme-dev"),
        ("grant_role", "acme-admin@acme"),
        ("grant_role", "acme-audit@acme"),
        ("grant_role", "acme-ci-bot@acme"),
        ("grant_role", "acme-dev@acme"),
        ("set_quotas", "acme/compute"),
        ("set_quotas", "acme/network"),
        ("set_quotas", "acme/volume"),
        ("create_application_credential", "acme/acme-ci-bot/acme-ci-deploy"),
    ]


def test_an_onboarded_tenant_plans_nothing_and_one_quota_edit_is_one_change() -> None:
    assert changes(ACME, _onboarded(ACME)) == []
    seen = _onboarded(ACME)
    seen.quotas["compute"]["cores"] = 20
    (only,) = changes(ACME, seen, cloud="lab-admin")
    assert only["title"] == "set compute quotas of acme: cores=40"
    assert only["what"] == "compute quotas of acme: cores 20 → 40"
    assert only["action"] == {
        "type": "api", "service": "tenant", "action": "set_quotas", "cloud": "lab-admin",
        "args": {"service": "compute", "values": {"cores": 40}, "project": "acme", "domain": "Default"},
    }  # fmt: skip
    assert only["revert"]["action"]["args"]["values"] == {"cores": 20}


def test_a_grant_beyond_the_tenant_admin_is_refused_naming_it(tmp_path: Path) -> None:
    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    f = repo / "tenants" / "acme.yaml"
    f.write_text(
        f.read_text().replace(
            "{name: acme-audit, roles: [reader]}", "{name: acme-audit, roles: [reader, admin]}"
        )
    )
    t = spec.load(repo, "acme")
    with pytest.raises(InputError) as err:
        changes(t, Observed(implied=default_implied()))
    assert err.value.one_line() == (
        "tenants/acme.yaml: users[acme-audit].roles: admin is beyond what the tenant admin holds (manager, which "
        "implies member, reader): a tenant never grants more than its admin has"
    )


def test_a_quota_below_what_the_tenant_uses_is_refused_with_the_usage() -> None:
    seen = _onboarded(ACME)
    seen.usage = {"compute": {"instances": 25}}
    with pytest.raises(InputError) as err:
        changes(ACME, seen)
    assert err.value.one_line() == (
        "tenants/acme.yaml: quotas.compute.instances: 20 is below what acme uses now (25): free the resources "
        "first, or keep the quota"
    )


def test_a_bad_spec_is_named_at_file_line_column(tmp_path: Path) -> None:
    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    f = repo / "tenants" / "acme.yaml"
    f.write_text(f.read_text().replace("  compute: {instances: 20", "  compute: {instances: many"))
    with pytest.raises(InputError) as err:
        spec.load(repo, "acme")
    assert err.value.one_line() == (
        "tenants/acme.yaml:12:24: quotas.compute.instances: input should be a valid integer, unable to parse "
        "string as an integer, got 'many'"
    )
    with pytest.raises(InputError, match=r"no tenant 'initech' \(tenants: acme, globex\)"):
        spec.load(repo, "initech")


def test_a_new_tenants_plan_can_be_written_it_holds_no_secret(tmp_path: Path) -> None:
    """The gate refuses a plan file that would hold a secret; a tenant's plan never does."""
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator, write_plan
    from cloudops.site.load import load_registry

    whole = spec.load(TESTCLOUD, "acme")  # its networks, routers and security groups too
    rows = changes(
        whole, Observed(implied=default_implied()), registry=load_registry(TESTCLOUD).require_valid()
    )
    assert len(rows) == 23
    plan = Plan(
        site="testcloud", title="t", created=creator(), changes=tuple(Change.model_validate(r) for r in rows)
    )
    write_plan(plan, tmp_path / "p.json")
    assert (tmp_path / "p.json").is_file()


def test_an_application_credential_is_one_secret_handling_change_shown_once() -> None:
    seen = _onboarded(ACME)
    seen.credentials = {}
    (only,) = changes(ACME, seen, cloud="lab-admin")
    assert (only["class"], only["shown_once"]) == ("secret-handling", True)
    assert only["action"]["args"] == {
        "name": "acme-ci-deploy", "user": "acme-ci-bot", "roles": ["member"], "expires": "2027-12-31",
        "description": "the CI's deploys", "project": "acme", "domain": "Default",
    }  # fmt: skip
    assert only["what"].endswith("its secret is shown once at the terminal that applies this, recorded nowhere: "
                                 "hand it to the tenant at once")  # fmt: skip
    assert only["revert"]["action"]["action"] == "delete_application_credential"
    assert only["verify"]["expect"] == {"json_subset": {"name": "acme-ci-deploy", "roles": ["member"]}}


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ("  - {name: acme-ci-bot, roles: [member], automation: true}", "is not one of this tenant's users with "
         "automation: true (a credential's owner is a user for machines, never a person)"),
        ("user: acme-ci-bot, roles: [member]", "roles: manager beyond its owner acme-ci-bot's roles (member)"),
    ],
)  # fmt: skip
def test_a_credential_owned_by_a_person_or_beyond_its_owner_is_refused(
    tmp_path: Path, edit: str, words: str
) -> None:
    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    f = repo / "tenants" / "acme.yaml"
    text = f.read_text()
    if "automation" in edit:
        text = text.replace(edit, "  - {name: acme-ci-bot, roles: [member]}")
    else:
        text = text.replace(edit, "user: acme-ci-bot, roles: [manager]")
    f.write_text(text)
    with pytest.raises(InputError) as err:
        spec.load(repo, "acme")
    assert words in err.value.one_line()
    assert err.value.one_line().startswith("tenants/acme.yaml:")
