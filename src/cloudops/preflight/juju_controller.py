"""The controller gate: the Juju controller answers, and the model the deploy will add is absent or empty.

``judge`` is pure over the two commands' results (``juju show-controller --format=json`` and ``juju status
-m MODEL --format=json``); ``checks`` runs them. The juju client reports an unknown model on stderr as
``ERROR model <controller>:<owner>/<name> not found``.
"""

from __future__ import annotations

import json
import re

from cloudops.preflight.model import Check, Status
from cloudops.probes.command import CommandResult, run

G = "controller"
_NOT_FOUND = re.compile(r"model \S+ not found")


def _first(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:200]


def judge(controller: CommandResult, status: CommandResult | None, model: str | None) -> list[Check]:
    if controller.rc == 127:
        return [
            Check(G, "controller.juju", Status.UNKNOWN, "juju", "juju: command not found on this machine")
        ]
    if controller.rc != 0:
        why = _first(controller.stderr) or f"exit status {controller.rc}"
        return [Check(G, "controller.reachable", Status.FAIL, "controller", f"juju show-controller: {why}")]
    try:
        doc = json.loads(controller.stdout)
        name = next(iter(doc)) if isinstance(doc, dict) and doc else "controller"
    except ValueError:
        name = "controller"
    out = [Check(G, "controller.reachable", Status.PASS, name, f"controller {name} answers")]
    if not model:
        out.append(
            Check(
                G,
                "controller.model",
                Status.UNKNOWN,
                name,
                "no `juju_model:` in the targets file: which model is to be added?",
            )
        )
        return out
    assert status is not None
    if status.rc != 0:
        err = _first(status.stderr)
        if _NOT_FOUND.search(err):
            out.append(Check(G, "controller.model", Status.PASS, model, f"model {model} does not exist yet"))
        else:
            out.append(
                Check(
                    G, "controller.model", Status.FAIL, model, f"juju status -m {model}: {err or status.rc}"
                )
            )
        return out
    try:
        st = json.loads(status.stdout)
    except ValueError:
        return [*out, Check(G, "controller.model", Status.UNKNOWN, model, "juju status did not print JSON")]
    machines, apps = len(st.get("machines") or {}), len(st.get("applications") or {})
    if machines or apps:
        out.append(
            Check(
                G, "controller.model", Status.FAIL, model,
                f"model {model} exists with {machines} machine(s) and {apps} application(s): deploy into an empty model",
            )
        )  # fmt: skip
    else:
        out.append(Check(G, "controller.model", Status.PASS, model, f"model {model} exists and is empty"))
    return out


def checks(model: str | None, timeout: float = 30.0) -> list[Check]:
    controller = run(["juju", "show-controller", "--format=json"], timeout=timeout)
    status = (
        run(["juju", "status", "-m", model, "--format=json"], timeout=timeout)
        if model and controller.rc == 0
        else None
    )
    return judge(controller, status, model)
