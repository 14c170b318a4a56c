"""The message queue: a real AMQP 0-9-1 connection (py-amqp, the client oslo.messaging uses via kombu)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AmqpTarget:
    host: str
    port: int
    user: str
    password: str | None = None  # never logged
    vhost: str = "/"
    timeout: float = 5.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class AmqpStatus:
    source: str
    connected: bool
    seconds: float
    product: str | None = None
    version: str | None = None
    cluster_name: str | None = None
    error: str | None = None


def probe(target: AmqpTarget) -> AmqpStatus:
    """Open a connection and a channel, read the broker's own identity, close."""
    import amqp

    source = f"amqp://{target.user}@{target.address}{target.vhost}"
    start = time.monotonic()
    conn = amqp.Connection(
        host=target.address,
        userid=target.user,
        password=target.password or "",
        virtual_host=target.vhost,
        connect_timeout=target.timeout,
        read_timeout=target.timeout,
        write_timeout=target.timeout,
    )
    try:
        conn.connect()
        channel = conn.channel()
        channel.close()
        props = conn.server_properties or {}
        return AmqpStatus(
            source,
            True,
            time.monotonic() - start,
            product=_text(props.get("product")),
            version=_text(props.get("version")),
            cluster_name=_text(props.get("cluster_name")),
        )
    except Exception as exc:  # py-amqp raises socket errors, its own and OSError subclasses alike
        return AmqpStatus(source, False, time.monotonic() - start, error=f"{type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
