"""A change that makes a secret shown once (a tenant's application credential): apply refuses it, before
anything runs, when there is no terminal to show the secret to — a session without a controlling terminal
(setsid), as CI and cron run. Approved at a real pty first, so the refusal is apply's own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cloudops.change.model import Change, Plan
from cloudops.change.plan import creator, write_plan
from cloudops.tenants import spec
from cloudops.tenants.plan import Observed, default_implied, wanted_grants

from .conftest import CLOUDOPS, GateSite

TESTCLOUD = Path(__file__).resolve().parents[2] / "examples" / "testcloud"


def _credential_plan() -> Plan:
    acme = spec.load(TESTCLOUD, "acme").model_copy(
        update={"networks": (), "routers": (), "security_groups": ()}
    )
    seen = Observed(
        project={"name": acme.name, "description": acme.description, "domain": acme.domain},
        users={u: {} for u in [acme.admin, *(x.name for x in acme.users)]},
        grants=wanted_grants(acme),
        quotas={s: dict(getattr(acme.quotas, s)) for s in ("compute", "network", "volume")},
        implied=default_implied(),
    )
    from cloudops.tenants.plan import changes

    rows = changes(acme, seen, cloud="nowhere")
    assert [r["action"]["action"] for r in rows] == ["create_application_credential"]
    return Plan(site="testcloud", title="acme's CI credential", created=creator(),
                changes=tuple(Change.model_validate(r) for r in rows))  # fmt: skip


def test_apply_without_a_terminal_refuses_a_change_that_shows_a_secret(gate_site: GateSite) -> None:
    path = gate_site.root / "cred.json"
    plan = _credential_plan()
    write_plan(plan, path)
    assert '"shown_once": true' in path.read_text()
    status, transcript = gate_site.approve(path)  # secret-handling: confirmed alone, by its id
    assert status == 0, transcript
    assert "t1 is secret-handling" in transcript
    out = subprocess.run(
        [CLOUDOPS, "apply", str(path)], env=gate_site.env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, start_new_session=True,  # no controlling terminal
    )  # fmt: skip
    assert out.returncode != 0
    assert out.stderr.strip() == (
        "cloudops: error: t1 make a secret that is shown once to the person applying it, and this apply has "
        "no terminal: run `cloudops apply` at a terminal; nothing changed"
    ), out.stderr
    kinds = [json.loads(line)["kind"] for line in gate_site.journal.read_text().splitlines()]
    assert "apply-start" not in kinds and "change-started" not in kinds
    assert kinds[-1] == "apply-refused"


def test_a_plan_without_such_a_change_is_unchanged_by_the_field() -> None:
    """``shown_once`` is omitted from the canonical JSON when unset: every earlier plan keeps its hash."""
    rows = _credential_plan().changes[0].model_dump(mode="json", by_alias=True)
    rows.pop("shown_once")
    rows["class"] = "mutating"
    plain = Change.model_validate(rows)
    assert "shown_once" not in plain.model_dump(mode="json", by_alias=True)
