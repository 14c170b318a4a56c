"""Signed approvals: the approver signs the approval with their SSH key; apply verifies the signatures
against the ops repository's allowed-signers file. What a terminal on standard input cannot prove (that a
person, not a program driving a pty, said yes), a signature by a key only that person holds can.

The signed statement names the approval's hash and the plan's hash, in a namespace of cloudops's own
(``ssh-keygen -Y sign -n cloudops-approval``), so a signature made for anything else (a git commit, another
plan, another approval of the same plan) does not verify. Signatures are kept beside the approval as
``PLAN.approval.sigs.json``: adding one does not change the approval, whose hash the journal holds.

The policy comes from ``cloudops.yaml``::

    approvals:
      signed: true                                   # apply refuses an approval without valid signatures
      allowed_signers: approvers/allowed_signers     # ssh-keygen ALLOWED SIGNERS format, in the repository
      signers: {destructive: 2, secret-handling: 2}  # distinct signers per class (default 1)

Only ``ssh-keygen`` (OpenSSH >= 8.2) is used, as a subprocess: no key material passes through cloudops.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cloudops.change.model import Approval, ChangeClass, Plan
from cloudops.errors import InputError, Refusal, Unavailable

NAMESPACE = "cloudops-approval"
SSH_KEYGEN = "ssh-keygen"


@dataclass(frozen=True)
class SignPolicy:
    allowed_signers: Path
    signers: Mapping[str, int] = field(default_factory=dict)

    def required(self, plan: Plan) -> int:
        """Distinct signers the plan's worst change needs (1 unless the policy says more)."""
        worst = ChangeClass.worst([c.change_class for c in plan.changes])
        return max(1, int(self.signers.get(str(worst), 1)))


def statement(approval: Approval) -> bytes:
    """What a signer signs: the approval (its hash covers plan hash, items, who and when) and the plan."""
    return (
        f"cloudops approval v1\napproval {approval.approval_id} sha256 {approval.sha256}\n"
        f"plan sha256 {approval.plan_sha256}\nsite {approval.site}\n"
    ).encode()


def sigs_path(plan_path: Path) -> Path:
    return plan_path.with_name(plan_path.name.removesuffix(".json") + ".approval.sigs.json")


def load_sigs(plan_path: Path) -> list[str]:
    path = sigs_path(plan_path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InputError(f"not a signatures file: {exc}", where=str(path)) from None
    if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
        raise InputError("not a signatures file: a JSON list of armored signatures", where=str(path))
    return data


def _keygen(args: list[str], *, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [SSH_KEYGEN, *args], input=data, capture_output=True, timeout=120, check=False
        )  # the key's passphrase or a FIDO touch is asked on the terminal by ssh-keygen itself
    except FileNotFoundError:
        raise Unavailable("ssh-keygen is not installed (Debian package openssh-client)") from None


def sign(approval: Approval, key: Path) -> str:
    """The armored signature of ``approval`` by ``key`` (a private key file, or its .pub with an agent)."""
    if not key.exists():
        raise InputError("no such key file", where=str(key))
    res = _keygen(["-Y", "sign", "-f", str(key), "-n", NAMESPACE], data=statement(approval))
    if res.returncode != 0 or b"BEGIN SSH SIGNATURE" not in res.stdout:
        why = " ".join(res.stderr.decode(errors="replace").split())[-200:] or f"exit {res.returncode}"
        raise Refusal(f"ssh-keygen could not sign with {key}: {why}")
    return res.stdout.decode()


def add_signature(plan_path: Path, signature: str) -> Path:
    path = sigs_path(plan_path)
    sigs = [s for s in load_sigs(plan_path) if s != signature] + [signature]
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(sigs, indent=1) + "\n")
    tmp.replace(path)
    return path


def verified_signers(approval: Approval, signatures: list[str], allowed_signers: Path) -> list[str]:
    """The distinct allowed signers whose signature of this approval verifies (others are ignored)."""
    if not allowed_signers.is_file():
        raise InputError("the allowed-signers file is missing", where=str(allowed_signers))
    found: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cloudops-sig-") as tmp:
        for n, signature in enumerate(signatures):
            sig = Path(tmp) / f"{n}.sig"
            sig.write_text(signature)
            who = _keygen(["-Y", "find-principals", "-s", str(sig), "-f", str(allowed_signers)])
            for principal in who.stdout.decode(errors="replace").split() if who.returncode == 0 else []:
                ok = _keygen(
                    [
                        "-Y",
                        "verify",
                        "-f",
                        str(allowed_signers),
                        "-I",
                        principal,
                        "-n",
                        NAMESPACE,
                        "-s",
                        str(sig),
                    ],
                    data=statement(approval),
                )
                if ok.returncode == 0 and principal not in found:
                    found.append(principal)
    return found


def check_signatures(plan: Plan, approval: Approval, plan_path: Path, policy: SignPolicy) -> str | None:
    """Why the approval's signatures do not satisfy the policy (one line), or None when they do."""
    need = policy.required(plan)
    signers = verified_signers(approval, load_sigs(plan_path), policy.allowed_signers)
    if len(signers) >= need:
        return None
    have = f"{len(signers)} ({', '.join(signers)})" if signers else "none"
    return (
        f"this repository requires signed approvals: the plan needs {need} distinct allowed signer(s), "
        f"valid signatures: {have}; each approver runs `cloudops sign {plan_path} --key KEY`"
    )
