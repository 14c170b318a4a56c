"""``secrets_witness`` clears a text only where detect-secrets finds nothing in it.

Held to detect-secrets itself: on generated documents full of values of every kind a plugin looks for
(tokens, keys, long runs, addresses public and private, keyword keys, comments), every text it clears is
one where ``SecretsCollection.scan_file`` finds nothing and does not fail; it clears most of the rest. Each
regex plugin's own sample, a public address and each construct it leaves to the exact reader are not
cleared; a registry's pieces are, except where a secret is planted."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection

from cloudops.governance.lint import rules_secrets, secrets_witness
from tests.governance.conftest import generated_registry
from tests.governance.test_secrets_yaml import PLANTS, SAMPLES, _settings


def _plugins() -> list[Any]:
    from detect_secrets.settings import get_plugins

    return list(get_plugins())


def _detect_secrets(text: str) -> list[str] | str:
    """What detect-secrets finds in a YAML file holding ``text`` (kinds), or the name of what it raised."""
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "d.yaml").write_text(text)
        found = SecretsCollection(root=root)
        try:
            found.scan_file("d.yaml")
        except Exception as exc:
            return type(exc).__name__
        return sorted(s.type for _, s in found)


# Values of every kind a plugin looks for, written plainly (each secret made of parts, so that this file
# holds none), and ordinary ones.
_SECRETS = [line.split(': "', 1)[1][:-1] for line in SAMPLES.values()] + [
    "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u",
    "9f86d081884c7d65" + "9a2feaa0c55ad015",
    "9a2feaa0" + "c55ad015",  # found by the hex entropy plugin alone
    "aB3dE5fG7hJ9k" + "L2mN4pQ6rS8tU",  # by the base64 one alone (26 symbols, each once)
    "Sup3r-s3cret-" + "Pa55phrase",
    "8.8." + "4.4",
    "172.15." + "0.1",
    "1.2.3.4:" + "8080",
]
_ORDINARY = [
    "compute", "dc1-cmp-0001", "10.0.1.94", "10.0.113.7", "192.168.1.1", "172.16.0.1", "127.0.0.1",
    "1.2.3.4.5", "PowerEdge R760", "bond0.101", "52:54:00:12:34:56", "1024", "yes", "a b", "x#y", "a:b",
    "0x1f", "1_000", "abc123", "deadbeef", "Zm9vYmFy",
]  # fmt: skip
_KEYS = ["hostname", "address", "password", "db_pass", "api_key", "token", "name", "secret", "cl_token", "k"]


def _value(rnd: random.Random) -> str:
    return rnd.choice(_SECRETS if rnd.random() < 0.08 else _ORDINARY)


def _document(rnd: random.Random) -> str:
    """A block document of mappings, sequences and one-line flows; now and then a comment, a value over
    two lines, or a key of the keyword plugin's."""
    out: list[str] = []

    def block(indent: int, depth: int) -> None:
        sp = " " * indent
        for _ in range(rnd.randint(1, 4)):
            key = rnd.choice(
                _KEYS if rnd.random() < 0.2 else ["name", "rack", "dc", "model", "cpus", "notes"]
            )
            roll = rnd.random()
            comment = f"  # {_value(rnd)}" if rnd.random() < 0.1 else ""
            if depth < 3 and roll < 0.2:
                out.append(f"{sp}{key}:{comment}")
                block(indent + 2, depth + 1)
            elif depth < 3 and roll < 0.3:
                out.append(f"{sp}{key}:")
                for _ in range(rnd.randint(1, 3)):
                    out.append(f"{sp}  - {_value(rnd)}")
            elif roll < 0.4:
                entries = ", ".join(
                    f"{rnd.choice(_KEYS)}{n}: {_value(rnd)}" for n in range(rnd.randint(1, 3))
                )
                out.append(f"{sp}{key}: {{{entries}}}{comment}")
            elif roll < 0.45:
                out.append(f"{sp}{key}: {_value(rnd)}")
                out.append(f"{sp}  {_value(rnd)}")  # the value goes on: one plain scalar over two lines
            else:
                out.append(f"{sp}{key}: {_value(rnd)}{comment}")

    block(0, 0)
    return "\n".join(out) + "\n"


def _ini(rnd: random.Random) -> str:
    """A text configparser reads (detect-secrets then scans its ``key = "value"`` lines, not YAML's)."""
    out = ["[section]"]
    for _ in range(rnd.randint(1, 5)):
        out.append(f"{rnd.choice(_KEYS)}{rnd.choice([' = ', ': '])}{_value(rnd)}")
    return "\n".join(out) + "\n"


def test_a_text_it_clears_is_one_detect_secrets_finds_nothing_in() -> None:
    rnd = random.Random(24)
    cleared = found = 0
    with _settings():
        plugins = _plugins()
        for n in range(800):
            text = _document(rnd) if n % 8 else _ini(rnd)
            theirs = _detect_secrets(text)
            if secrets_witness.clear(text, plugins):
                assert theirs == [], (n, text, theirs)
                cleared += 1
            found += bool(theirs)
    # both sides were tried: many texts cleared, many with something to find (none of them cleared)
    assert cleared > 250 and found > 150, (cleared, found)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_regex_plugins_own_sample_is_not_cleared(name: str) -> None:
    value = SAMPLES[name].split(': "', 1)[1][:-1]
    with _settings():
        plugins = _plugins()
        assert secrets_witness.clear("v: plain\n", plugins)
        assert not secrets_witness.clear(f"v: {value}\n", plugins), name
        assert not secrets_witness.clear(f"hosts:\n  - {{name: a, v: {value}}}\n", plugins), name


@pytest.mark.parametrize(
    ("text", "cleared"),
    [
        ("dns: 10.1.2.3\n", True),
        ("dns: 192.168.1.1\n", True),
        ("dns: 172.16.0.1\n", True),
        ("dns: [10.1.2.3, 127.0.0.1]\n", True),  # not marked (after a bracket): each address looked at
        ("dns: 1.2.3.4.5\n", True),  # four dots: no address
        ("dns: 8.8.4.4\n", False),
        ("dns: 172.15.0.1\n", False),
        ("dns: [10.1.2.3, 9.9.9.9]\n", False),
        ("10.1.2.3: x\n8.8.4.4: y\n", False),
    ],
)
def test_public_addresses_are_looked_for_private_ones_set_aside(text: str, cleared: bool) -> None:
    with _settings():
        assert secrets_witness.clear(text, _plugins()) is cleared
        assert (_detect_secrets(text) == []) or not cleared


@pytest.mark.parametrize(
    "text",
    [
        "when: 2024-13-45\n",  # a date that does not build: detect-secrets raises
        "who: 0b_\n",
        "n: 0x_\n",
        "f: ._\n",
        "k:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 101)) + " " * 101 + "v: x\n",  # deep
        "a: [[b]]\n",
        "a: [b,\n  c]\n",  # a flow over two lines
        'a: "quoted"\n',
        "a: 'quoted'\n",
        "a: !!binary aGVsbG8=\n",
        "a: &x b\nc: *x\n",
        "a: |\n  block\n",
        "? a\n: b\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: é\n",
        "__line__: b\n",
        "a: b@c\n",
    ],
)
def test_what_it_does_not_reason_about_is_not_cleared(text: str) -> None:
    with _settings():
        assert not secrets_witness.clear(text, _plugins())


def test_a_date_it_does_not_clear_is_one_detect_secrets_fails_on() -> None:
    with _settings():
        assert _detect_secrets("when: 2024-13-45\n") == "ValueError"


def test_a_plugin_of_its_own_leaves_every_text_to_the_exact_reader() -> None:
    from detect_secrets.plugins.base import BasePlugin

    class Mine(BasePlugin):
        secret_type = "Mine"

        def analyze_string(self, string: str) -> Any:
            yield from ()

    with _settings():
        plugins = _plugins()
        assert secrets_witness.witnesses(plugins) is not None
        assert secrets_witness.witnesses(plugins).public  # type: ignore[union-attr]  # the pattern is 1.5's
        assert not secrets_witness.clear("name: plain\n", [*plugins, Mine()])
        assert secrets_witness.clear("name: plain\n", plugins)


def test_a_registrys_pieces_are_cleared_but_where_a_secret_is_planted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules_secrets, "PIECE_MIN", 64 << 10)
    monkeypatch.setattr(rules_secrets, "PIECE", 16 << 10)
    repo = generated_registry(tmp_path / "r", hosts_per_dc=400)
    path = repo / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
    plants = [p for p, kinds in PLANTS if kinds and not any(ch in p for ch in "'\"@")]
    for plant, at in sorted(zip(plants, items[50::97], strict=False), key=lambda p: -p[1]):
        lines.insert(at + 1, plant)
    text = "\n".join(lines) + "\n"
    units = rules_secrets._units("site/hosts.yaml", text)
    with _settings():
        plugins = _plugins()
        verdicts = [secrets_witness.clear(u.text, plugins) for u in units]
    holding = [any(p in u.text for p in plants) for u in units]
    assert sum(holding) >= 4 and len(units) >= 10
    assert [not v for v in verdicts[1:]] == holding[
        1:
    ]  # the first piece: roosevelt's own hosts, read exactly


def test_the_scan_takes_cleared_units_as_having_no_hits_and_scans_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule's scan clears what it can before any fork and scans the rest: its hits, unit by unit, are
    those of the exact way alone."""
    monkeypatch.setattr(rules_secrets, "PIECE_MIN", 0)
    monkeypatch.setattr(rules_secrets, "PIECE", 8 << 10)
    repo = generated_registry(tmp_path / "r", hosts_per_dc=120)
    path = repo / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
    for n, at in reversed(list(enumerate(items[7::40]))):
        lines.insert(at + 1, "    password: " + "Sup3r-s3cret-" + f"Pa55phrase{n}")
    path.write_text("\n".join(lines) + "\n")
    units = rules_secrets._units("site/hosts.yaml", path.read_text())
    settings = _baseline_settings()
    scan = rules_secrets._scan_many(str(repo), units, settings)
    assert 0 < len(scan.cleared) < len(units) - 2
    hits = scan.collect()
    monkeypatch.setattr(secrets_witness, "clear", lambda text, plugins: False)
    exact = rules_secrets._scan_many(str(repo), units, settings)
    assert not exact.cleared
    assert hits == exact.collect()
    assert sum(len(h or []) for h in hits) == len(items[7::40])


def _baseline_settings() -> dict[str, Any]:
    import json

    root = Path(__file__).resolve().parents[2]
    data = json.loads((root / "examples" / "testcloud" / rules_secrets.BASELINE).read_text())
    filters = [f for f in data["filters_used"] if f["path"] != rules_secrets.VERIFY_FILTER]
    return {"plugins_used": data["plugins_used"], "filters_used": filters}
