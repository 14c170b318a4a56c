"""The module map (docs/architecture.md) made true and enforced: every import between cloudops's packages,
read from the source (lazy imports inside functions included), is one the map allows. A new edge, or a
back-edge of one of the few cycles widening beyond the modules named here, fails with the import's place —
change the map here and in the doc together, with the reason, or change the code."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cloudops"

# package → the packages it may import (errors is everyone's; nothing imports cli, ruff TID251 holds it).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "findings": {"errors"},
    "redact": {"errors"},
    "filelock": {"errors"},  # one holder at a time: the gate's apply lock, the lab's command lock
    "gcpause": set(),  # the collector kept off bulk reads
    "forked": set(),  # a share of pure work on the second core
    "probes": {"errors"},
    "siteview": set(),  # Protocols: the registry as its readers see it
    "render": {"errors", "findings", "health"},
    "repo": {"errors", "findings", "forked", "site"},
    "site": {"errors", "findings", "forked", "gcpause", "repo", "siteview"},
    "journal": {"errors", "redact", "repo"},
    "schemas": {"errors", "change", "site", "tenants"},
    "change": {"errors", "filelock", "ipam", "journal", "redact", "repo", "tenants"},
    "ipam": {"errors", "change", "redact", "site", "siteview"},
    "tenants": {"errors", "change", "ipam", "probes", "redact", "repo", "schemas", "siteview"},
    "checks": {"errors", "evidence", "findings", "health", "probes", "repo"},
    "evidence": {"errors", "health", "probes", "redact", "schemas"},
    "health": {"errors", "change", "checks", "evidence", "findings", "journal", "probes", "repo", "siteview"},
    "bom": {"health", "probes", "render", "repo"},
    "lab": {"errors", "filelock", "ipam", "probes", "siteview"},
    "governance": {"errors", "checks", "findings", "forked", "redact", "repo", "runbooks", "site", "tenants", "triage"},
    "triage": {"errors", "change", "evidence", "findings", "health", "redact", "repo", "schemas"},
    "runbooks": {"errors", "change", "health", "journal", "redact", "repo", "siteview", "triage"},
    "preflight": {"errors", "governance", "health", "ipam", "probes", "repo", "schemas", "site", "siteview"},
    "agent": {"errors", "change", "gcpause", "governance", "journal", "redact", "repo", "runbooks", "schemas"},
}  # fmt: skip

# The cycles that exist, each held to the modules its back-edge needs (and why):
NARROW: dict[tuple[str, str], set[str]] = {
    ("checks", "health"): {"health.layers"},  # the layer enum a finding names
    ("evidence", "health"): {"health.targets"},  # collect follows the targets file
    ("change", "tenants"): {"tenants.actions"},  # the adapter dispatches the `tenant` gate actions
    ("change", "ipam"): {"ipam.netbox_api"},  # ... and the `netbox` ones
    ("repo", "site"): {"site.load", "site.registry"},  # OpsRepo.registry loads the registry
    ("lab", "probes"): {"probes.amqp"},  # the lab broker's status command, as assert runs it
    ("checks", "repo"): {"repo.yamlfile"},  # judgement's packaged policy, read by the fast reader
}


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, file:line) for every cloudops import, lazy ones included."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cloudops"):
                base = node.module
                for alias in node.names:  # `from cloudops.x import y`: y may be a module of x
                    candidate = f"{base}.{alias.name}"
                    is_module = (SRC.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                        SRC.parent / candidate.replace(".", "/")
                    ).is_dir()
                    names.append(candidate if is_module else base)
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("cloudops")]
            out += [(module, n, f"{path.relative_to(SRC.parent.parent)}:{node.lineno}") for n in names]
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_import_between_packages_is_on_the_map() -> None:
    wrong = []
    for src, dst, where in _imports():
        a, b = _package(src), _package(dst)
        if a == b or a in ("cli", "__main__") or b == "cloudops":
            continue
        if a not in ALLOWED:
            wrong.append(f"{where}: package {a} is not on the map")
        elif b not in ALLOWED[a]:
            wrong.append(f"{where}: {src} imports {dst}, and {a} may not import {b}")
        elif (a, b) in NARROW and not any(
            dst == f"cloudops.{m}" or dst.startswith(f"cloudops.{m}.") for m in NARROW[(a, b)]
        ):
            wrong.append(
                f"{where}: {src} imports {dst}; {a} may import only {', '.join(sorted(NARROW[(a, b)]))} of {b}"
            )
    assert wrong == []


def test_the_map_has_no_stale_entry() -> None:
    """Each allowed edge is used: a map that allows what nothing does hides the next mistake."""
    used = {(_package(s), _package(d)) for s, d, _ in _imports()}
    stale = sorted((a, b) for a, allowed in ALLOWED.items() for b in allowed if (a, b) not in used)
    assert stale == []


def test_every_package_is_on_the_map() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    packages |= {p.stem for p in SRC.glob("*.py") if p.stem not in ("__init__", "__main__", "__version__")}
    assert packages - {"cli", "data"} == set(ALLOWED)


LIMIT = 500  # lines: a module past it says why at its top ("Long because: ...")


def test_a_long_module_says_why_at_its_top() -> None:
    silent = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > LIMIT and "Long because: " not in (ast.get_docstring(ast.parse(text)) or ""):
            silent.append(
                f"{path.relative_to(SRC.parent.parent)}: {text.count(chr(10))} lines, no reason at its top"
            )
    assert silent == []


def _cycles(package: str) -> list[list[str]]:
    """The import cycles among one package's modules (lazy imports included), each as its module path."""
    graph: dict[str, set[str]] = {}
    prefix = f"cloudops.{package}."
    for src, dst, _ in _imports():
        if src.startswith(prefix) and dst.startswith(prefix) and src != dst:
            graph.setdefault(src, set()).add(dst)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_the_lab_has_no_import_cycle() -> None:
    """The lab's modules form layers (layout, supervisor, components, orchestration): a cycle among them is
    a component reaching back into what drives it."""
    assert [" -> ".join(m.removeprefix("cloudops.lab.") for m in c) for c in _cycles("lab")] == []
