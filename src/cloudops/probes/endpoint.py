"""Where a data service answers, and as whom: what every connection probe's target holds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    host: str
    port: int
    user: str
    # Read from a file or the environment by the caller; never logged, and kept out of repr.
    password: str | None = field(default=None, repr=False)
    timeout: float = 5.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
