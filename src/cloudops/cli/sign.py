"""``cloudops sign PLAN --key KEY``: an approver signs the plan's approval with their SSH key."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli import _complete
from cloudops.cli._gate import site_context
from cloudops.journal.kinds import Kind


@click.command(epilog="Example: cloudops sign PLAN.json --key ~/.ssh/id_ed25519_sk")
@click.argument(
    "plan_path",
    metavar="PLAN",
    type=click.Path(path_type=Path, dir_okay=False),
    shell_complete=_complete.plan_files,
)
@click.option(
    "--key",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Your SSH private key (a FIDO sk- key asks for a touch; a passphrase is asked by ssh-keygen).",
)
@click.pass_context
def sign(ctx: click.Context, plan_path: Path, key: Path) -> int:
    """Show PLAN and its approval, and sign the approval with KEY (ssh-keygen -Y sign, namespace
    cloudops-approval). Where the repository requires signed approvals (cloudops.yaml approvals.signed),
    apply verifies the signatures against its allowed-signers file: one person per signature, and
    destructive changes may need two. At a terminal only, like approve.
    """
    from cloudops.change import signing
    from cloudops.change.approve import approval_path, load_approval, require_terminal
    from cloudops.change.plan import load_plan, render_plan
    from cloudops.errors import Refusal

    require_terminal()
    sc = site_context(ctx)
    plan_file = load_plan(plan_path)
    approval = load_approval(approval_path(plan_path))
    if approval is None:
        raise Refusal(f"no approval for {plan_path}: a person runs `cloudops approve` on it first")
    if approval.plan_sha256 != plan_file.plan.sha256:
        raise Refusal("the approval is for another version of this plan: approve it again first")
    click.echo(render_plan(plan_file.plan))
    click.echo(f"\nApproval {approval.approval_id} by {approval.user}@{approval.host} at {approval.at}")
    try:
        answer = input(f"Type the approval id ({approval.approval_id}) to sign it with {key}: ")
    except EOFError:
        answer = ""
    if answer.strip() != approval.approval_id:
        click.echo("Not signed.")
        return 1
    signature = signing.sign(approval, key)
    path = signing.add_signature(plan_path, signature)
    sc.journal().append(
        Kind.APPROVAL_SIGNED,
        {"approval_id": approval.approval_id, "plan_sha256": approval.plan_sha256, "key": str(key)},
        session=sc.session,
    )
    click.echo(f"Signed: {path}")
    return 0
