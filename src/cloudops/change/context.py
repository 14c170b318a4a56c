"""The site a gate command works on: its ops repository, journal, apply lock, session and signing policy.

Built once per process from the opened repository; the CLI, the runbook runner and the agent's server
(cloudops.agent) share it, so a change made through any of them is journaled the same way.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudops.change.signing import SignPolicy
    from cloudops.journal.chain import Journal
    from cloudops.repo.opsrepo import OpsRepo


@dataclass(frozen=True)
class SiteContext:
    repo_root: Path
    site: str
    journal_path: Path
    lock_path: Path
    session: str
    default_cloud: str | None
    sign_policy: SignPolicy | None = None  # when the repository requires signed approvals

    def journal(self) -> Journal:
        from cloudops.journal.chain import Journal

        return Journal(self.journal_path)

    def command(self, *args: str) -> str:
        """The exact cloudops command line to run something again (resume, apply, approve)."""
        return shlex.join(["cloudops", "--repo", str(self.repo_root), *args])


def for_repo(repo: OpsRepo, session: str | None = None) -> SiteContext:
    """The context of an opened repository; ``session`` defaults to this process's (cloudops log)."""
    from cloudops.journal import location

    return SiteContext(
        repo_root=repo.root,
        site=repo.name,
        journal_path=location.journal_path(repo.name),
        lock_path=location.lock_path(repo.name),
        session=session or location.current_session(),
        default_cloud=repo.config.defaults.cloud,
        sign_policy=_sign_policy(repo.root, repo.config.approvals),
    )


def _sign_policy(root: Path, approvals: Any) -> SignPolicy | None:
    from cloudops.change.signing import SignPolicy

    if not approvals.signed:
        return None
    return SignPolicy(root / approvals.allowed_signers, dict(approvals.signers))
