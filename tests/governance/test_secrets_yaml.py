"""``secrets_yaml`` is detect-secrets' YAML scan, faster and the same, and claims so only where it is.

Held to detect-secrets itself throughout: its lines are the ``YAMLTransformer``'s own, line for line (the
transformer's drift included), on every YAML file of the examples, each piece of a generated registry and
generated documents; where it does not reproduce them it says so (None) and the rule runs detect-secrets;
its findings (kind, hash, line) are ``SecretsCollection.scan_file``'s own on secrets of every kind planted
in a generated registry."""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings
from detect_secrets.transformers.exceptions import ParsingError
from detect_secrets.transformers.yaml import YAMLTransformer

from cloudops.governance.lint import linesearch, rules_secrets, secrets_yaml
from tests.governance.conftest import generated_registry

ROOT = Path(__file__).resolve().parents[2]


def _transformer(text: str) -> list[str] | str:
    class Named(io.StringIO):
        name = "x.yaml"

    try:
        return YAMLTransformer().parse_file(Named(text))  # type: ignore[arg-type]
    except ParsingError:
        return "unreadable"


@contextmanager
def _settings() -> Iterator[None]:
    """The examples' baseline settings, as the rule uses them (verification dropped)."""
    data = json.loads((ROOT / "examples" / "testcloud" / rules_secrets.BASELINE).read_text())
    filters = [f for f in data["filters_used"] if f["path"] != rules_secrets.VERIFY_FILTER]
    with transient_settings({"plugins_used": data["plugins_used"], "filters_used": filters}):
        yield


def test_the_lines_of_every_yaml_file_of_the_examples_are_the_transformers() -> None:
    paths = sorted((ROOT / "examples").rglob("*.y*ml"))
    reproduced = 0
    for path in paths:
        text = path.read_text()
        ours = secrets_yaml.transformed_lines(text)
        if ours is not None:
            assert ours == _transformer(text), path
            reproduced += 1
    assert len(paths) > 50 and reproduced >= 0.9 * len(paths)


def _registry(tmp_path: Path, hosts: int = 200) -> Path:
    repo = tmp_path / "r"
    generated_registry(repo, hosts)
    return repo


def test_the_lines_of_each_piece_of_a_generated_registry_are_the_transformers(tmp_path: Path) -> None:
    text = (_registry(tmp_path) / "site" / "hosts.yaml").read_text()
    units = rules_secrets._units("site/hosts.yaml", text[: 1 << 20] if len(text) > 1 << 20 else text)
    pieces = [text] + [u.text for u in units] if len(units) > 1 else [text]
    for piece in pieces:
        ours = secrets_yaml.transformed_lines(piece)
        assert ours is not None and ours == _transformer(piece)
    # the registry's flow mappings put several values on one line: the transformer's drift is reproduced
    assert len(secrets_yaml.transformed_lines(text) or []) > text.count("\n")


# Texts whose lines it reproduces, each for a way the transformer's lines are not the source's
REPRODUCED = {
    "several values on one line take the lines after it": "a: {b: c, d: e}\nf: g\nh: i\n",
    "the same value twice on one line is one line": "x: [{a: b}, {a: b}]\ny: z\n",
    "a value on the next line is noted at its key's": "a:\n  b\nc: d  # note\n",
    "a block scalar is one line": "a: |\n  one\n  two\nb: c\n",
    "a quote in a value is escaped": "a: 'say \"hi\"'\n",
    "a comment is kept, a hash inside a value too": "a: b#c  # the comment\nd: 'e #f'\n",
    "strings in sequences are not read": "a: [b, c]\nd:\n  - e\n  - f: g\n",
    "dates and numbers are not strings": "a: 2024-01-02\nb: 0x1f\nc: 1_000\nd: 1.5e3\ne: '2024-01-02'\n",
}


@pytest.mark.parametrize("text", REPRODUCED.values(), ids=REPRODUCED.keys())
def test_a_text_whose_lines_it_reproduces(text: str) -> None:
    ours = secrets_yaml.transformed_lines(text)
    assert ours is not None and ours == _transformer(text)


# Texts whose lines the module does not reproduce (each would read otherwise from libyaml's nodes alone):
# it must say so, and detect-secrets scans them itself.
LEFT_TO_DETECT_SECRETS = {
    "explicit key": "? a\n: b\n",
    "alias": "x: &a {k: v}\ny: *a\n",
    "merge key": "base: &b {k: v}\nz:\n  <<: *b\n  k2: w\n",
    "duplicate key": "a: x\na: y\n",
    "integer key": "1: x\n",
    "boolean key": "yes: x\n",
    "flow mapping over two lines": "a: {b: c,\n  d: e}\n",
    "flow sequence over two lines": "a: [{b: c},\n  {d: e}]\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "a date that does not build (detect-secrets fails on it)": "a: 2024-13-45\nb: c\n",
    "a number that does not build": "a: 0b_\nb: c\n",
    "local tag": "a: !x y\n",
    "carriage return": "a: b\r\nc: d\r\n",
    "line separator": "a: b\u2028c\n",
    "control character": "a: b\x01\n",
    "the transformer's marker": "__line__: x\n",
    "two documents": "a: b\n---\nc: d\n",
    "no string value": "a: 1\nb: [x, y]\n",
    "empty": "# nothing\n",
    "unreadable": "a: [b\n",
}


@pytest.mark.parametrize("text", LEFT_TO_DETECT_SECRETS.values(), ids=LEFT_TO_DETECT_SECRETS.keys())
def test_a_text_whose_lines_it_does_not_reproduce_is_left_to_detect_secrets(text: str) -> None:
    assert secrets_yaml.transformed_lines(text) is None


# A generator of small YAML documents mixing what a registry holds with what the transformer handles
# oddly: flow mappings (the drift), comments, quoted keys and values, escapes, block scalars, values on
# the next line, plain scalars over two lines, keys repeated, explicit keys, non-string keys.
_WORDS = ["a", "b", "key", "name", "pass", "x1", "true", "yes", "on", "null", "~", "12", "0x1f", "1.5",
          "sk_live_abc", "ghp_abc#x", "a #c", "a:b", "-x", "'q'", '"d"', "é", "__x", "=", "<<", "hunter2", "k y"]  # fmt: skip
_KEYS = ["name", "pass", "token", "k y", '"a:b"', '"x#y"', "__x", "secret", "é", '"-k"', "password"]


def _scalar(rnd: random.Random, flow: bool = False) -> str:
    word = rnd.choice(_WORDS)
    roll = rnd.random()
    double = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if roll < 0.15:
        return "'" + word.replace("'", "''") + "'"
    if roll < 0.3:
        return double[:-1] + rnd.choice(["", "\\t", "\\u0041", '\\"', "\\x41"]) + '"'
    special = any(c in word for c in ":#'\"") or word[0] in "-&*!|>%@?{[," or word in ("=", "<<")
    return double if special or (flow and any(c in word for c in ",[]{}")) else word


def _flow(rnd: random.Random, depth: int = 0) -> str:
    if depth > 2 or rnd.random() < 0.5:
        return _scalar(rnd, flow=True)
    if rnd.random() < 0.5:
        pairs = (f"{_scalar(rnd, True)}: {_flow(rnd, depth + 1)}" for _ in range(rnd.randint(0, 3)))
        return "{" + ", ".join(pairs) + "}"
    return "[" + ", ".join(_flow(rnd, depth + 1) for _ in range(rnd.randint(0, 3))) + "]"


def _block(rnd: random.Random, indent: int = 0, depth: int = 0) -> list[str]:
    sp, out = " " * indent, []
    comment = lambda: rnd.choice(["", "", "", "  # c", " # pragma: allowlist secret", "  #x y"])  # noqa: E731
    if depth > 3 or rnd.random() < 0.6:
        for _ in range(rnd.randint(1, 4)):
            roll, key = rnd.random(), (_scalar(rnd) if rnd.random() < 0.3 else rnd.choice(_KEYS))
            if roll < 0.35 or depth > 3:
                out.append(f"{sp}{key}: {_scalar(rnd)}{comment()}")
            elif roll < 0.5:
                out.append(f"{sp}{key}: {_flow(rnd)}{comment()}")
            elif roll < 0.55:
                out += [f"{sp}{key}: |{comment()}", f"{sp}  line one", f"{sp}  line two"]
            elif roll < 0.6:
                out += [f"{sp}{key}:", f"{sp}  {_scalar(rnd)}{comment()}"]
            elif roll < 0.63:
                out += [f"{sp}{key}: plain", f"{sp}  continued"]
            elif roll < 0.66:
                out.append(f"{sp}{key}:{comment()}")
            elif roll < 0.68:
                out += [f"{sp}{key}: {{a: b,", f"{sp}  c: d}}"]
            elif roll < 0.7:
                out += [f"{sp}? {key}", f"{sp}: {_scalar(rnd)}"]
            elif roll < 0.74:
                out.append(rnd.choice(["", f"{sp}# a comment"]))
            else:
                out += [f"{sp}{key}:{comment()}", *_block(rnd, indent + 2, depth + 1)]
        return out
    for _ in range(rnd.randint(1, 3)):
        roll = rnd.random()
        if roll < 0.3:
            out.append(f"{sp}- {_scalar(rnd)}{comment()}")
        elif roll < 0.45:
            out.append(f"{sp}- {_flow(rnd)}")
        else:
            sub = _block(rnd, indent + 2, depth + 1)
            if sub[0].strip() and not sub[0].lstrip().startswith(("#", "?", ":")):
                out += [sp + "- " + sub[0].lstrip(), *sub[1:]]
            else:
                out += [sp + "-", *sub]
    return out


def test_the_lines_of_generated_documents_are_the_transformers() -> None:
    rnd = random.Random(24)
    reproduced = 0
    for n in range(1500):
        text = "\n".join(_block(rnd)) + "\n"
        ours = secrets_yaml.transformed_lines(text)
        if ours is not None:
            assert ours == _transformer(text), (n, text)
            reproduced += 1
    assert reproduced > 400  # the rest hold a feature left to detect-secrets (mostly a repeated key)


# (a line planted in a host's item, the kinds detect-secrets finds on it); each secret made of parts
PLANTS = [
    (
        "    token: ghp_" + "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u",
        {"GitHub Token", "Base64 High Entropy String"},
    ),
    ("    aws: AKIA" + "IOSFODNN7EXAMPLQ", {"AWS Access Key"}),
    ("    password: " + "Sup3r-s3cret-" + "Pa55phrase", {"Secret Keyword"}),
    ("    slack: xoxb-" + "123456789012-1234567890123-" + "abcdefghijklmnopqrstuvwx", {"Slack Token"}),
    ("    stripe: sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", {"Stripe Access Key"}),
    ("    url: https://admin:" + "hunter2hunter2" + "@example.org/x", {"Basic Auth Credentials"}),
    ("    digest: 9f86d081884c7d65" + "9a2feaa0c55ad015", {"Hex High Entropy String"}),
    ("    key: '-----BEGIN RSA " + "PRIVATE KEY-----'", {"Private Key"}),
    ("    auth: {user: x, password: " + "An0ther-s3cret-" + "Phrase}", {"Secret Keyword"}),
    # the keyword plugin's words in any case (searched only where their letters are, lower-cased)
    ("    Db_PASS: " + "F0urth-s3cret-" + "Phrase", {"Secret Keyword"}),
    ("    myApiKey: " + "F1fth-s3cret-" + "Phrase", {"Secret Keyword"}),
    ("    CONTRASENA: " + "S1xth-s3cret-" + "Phrase", {"Secret Keyword"}),
    # found by neither: allowlisted; a string in a sequence (the transformer reads mapping values only); a
    # public address, which the plugin finds and a filter (is_not_alphanumeric_string) takes away
    ("    passwd: " + "Thr1d-s3cret-" + "Phrase  # pragma: allowlist secret", set()),
    ("    tokens: [sk_live_" + "9fK39HqLyjWDarjtT1zdp7dc]", set()),
    ("    resolver: 8.8." + "4.4", set()),
]


def test_its_findings_are_detect_secrets_own_on_secrets_of_every_kind(tmp_path: Path) -> None:
    repo = _registry(tmp_path, hosts=120)
    path = repo / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
    for (plant, _), at in sorted(zip(PLANTS, items[5::7], strict=False), key=lambda p: -p[1]):
        lines.insert(at + 1, plant)
    path.write_text("\n".join(lines) + "\n")
    with _settings():
        ours = rules_secrets._scan_yaml(str(repo), "site/hosts.yaml")
        theirs = SecretsCollection(root=str(repo))
        theirs.scan_file("site/hosts.yaml")
    assert ours is not None
    assert [(s.type, s.secret_hash, s.line_number) for s in ours] == [
        (s.type, s.secret_hash, s.line_number) for _, s in theirs
    ]
    assert {s.type for s in ours} == set().union(*(kinds for _, kinds in PLANTS))
    assert len(PLANTS) <= len(items[5::7])


def test_its_findings_on_the_examples_are_detect_secrets_own() -> None:
    with _settings():
        for path in sorted((ROOT / "examples").rglob("*.y*ml")):
            root, rel = str(ROOT / "examples"), str(path.relative_to(ROOT / "examples"))
            ours = rules_secrets._scan_yaml(root, rel)
            if ours is None:
                continue
            theirs = SecretsCollection(root=root)
            theirs.scan_file(rel)
            assert [(s.type, s.secret_hash, s.line_number) for s in ours] == [
                (s.type, s.secret_hash, s.line_number) for _, s in theirs
            ], rel


# A line each regex plugin finds something on (made of parts, so that this file holds none)
SAMPLES = {
    "ArtifactoryDetector": 'a: "AKC' + "p8kqmN3vR7tW2xB5cF9" + '"',
    "AWSKeyDetector": 'a: "AKIA' + 'IOSFODNN7EXAMPLQ"',
    "AzureStorageKeyDetector": 'a: "AccountKey=' + "a" * 44 + "B" * 44 + '"',
    "BasicAuthDetector": 'a: "https://admin:' + 'hunter2@example.org"',
    "DiscordBotTokenDetector": 'a: "MTk'
    + "4NjIyNDgzNDcxOTI1MjQ4"
    + ".Cl2FMQ."
    + "ZnCjm1XVW7vRze4b7Cq4se7kKWs"
    + '"',
    "GitHubTokenDetector": 'a: "ghp_' + 'x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u"',
    "GitLabTokenDetector": 'a: "glpat-' + 'x7Kq2mZ9vR4tW8yB1nC5"',
    "IPPublicDetector": 'a: "8.8.' + '4.4"',
    "JwtTokenDetector": 'a: "eyJhbGciOiJIUzI1NiJ9' + ".eyJzdWIiOiIxIn0" + '.c2lnbmF0dXJl"',
    "MailchimpDetector": 'a: "' + "0123456789abcdef0123456789abcdef" + '-us12"',
    "OpenAIDetector": 'a: "sk-' + "abcdefghij0123456789" + "T3BlbkFJ" + 'abcdefghij0123456789"',
    "PrivateKeyDetector": 'a: "-----BEGIN RSA ' + 'PRIVATE KEY-----"',
    "SendGridDetector": 'a: "SG.'
    + "abcdefghij0123456789AB"
    + "."
    + "abcdefghij0123456789abcdefghij0123456789ABC"
    + '"',
    "SlackDetector": 'a: "xoxb-' + '123456789012-1234567890123-abcdefghijklmnopqrstuvwx"',
    "SquareOAuthDetector": 'a: "sq0csp-' + "abcdefghij0123456789abcdefghij0123456789ABC" + '"',
    "StripeDetector": 'a: "sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc"',
    "TelegramBotTokenDetector": 'a: "110201543:' + 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"',
    "TwilioKeyDetector": 'a: "SK' + '0123456789abcdef0123456789abcdef"',
}


def test_the_regex_plugins_patterns_find_every_line_a_regex_plugin_finds_something_on() -> None:
    from detect_secrets.settings import get_plugins

    with _settings():
        plugins = {type(p).__name__: p for p in get_plugins()}
        patterns, rest = secrets_yaml._patterns_alone(list(plugins.values()))
    # the plugins they stand for: all the regex plugins; the keyword and entropy plugins are asked per line
    assert sorted(type(p).__name__ for p in rest) == [
        "Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector",
    ]  # fmt: skip
    lines = linesearch.Lines([*SAMPLES.values(), 'hostname: "compute-0001"'])
    found = set().union(*(lines.search(p) for p in patterns))
    for name, line in SAMPLES.items():
        assert plugins[name].analyze_line(filename="x.yaml", line=line), name  # the sample is one
        assert line in found, name
    assert 'hostname: "compute-0001"' not in found


def test_every_keyword_word_in_any_case_is_found_where_its_needles_are_looked_for() -> None:
    """The keyword plugin's words are searched only in lines holding one of their needles: each word,
    written each way its optional parts allow and in random case, is such a line, and is found."""
    from detect_secrets.plugins import keyword

    rnd = random.Random(3)
    words = secrets_yaml._keyword_words()
    required = linesearch.needles(words)
    assert required is not None and required[1]  # case-blind
    for word in keyword.DENYLIST:
        for written in {word.replace("_?", "_"), word.replace("_?", "")}:
            assert re.fullmatch(word, written), word
            line = "my" + "".join(ch.upper() if rnd.random() < 0.5 else ch for ch in written) + ': "x"'
            assert linesearch.Lines([line, 'a: "b"', "plain: x"]).search(words) == {line}, line
            if line.isascii():
                assert line in (linesearch.Lines([line, 'a: "b"']).holding(*required) or ()), line


def test_a_yaml_file_detect_secrets_cannot_read_is_a_finding_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect-secrets itself raises on a date such as 2024-13-45 (SafeConstructor's ValueError): lint says
    the file's secrets are not checked, names the file and the error's kind, and quotes nothing of it."""
    from cloudops.governance.lint import run_lint

    repo = tmp_path / "r"
    repo.mkdir()
    (repo / rules_secrets.BASELINE).write_text(
        (ROOT / "examples" / "testcloud" / rules_secrets.BASELINE).read_text()
    )
    (repo / "notes.yaml").write_text("when: 2024-13-45\nwho: 0b_1SECRETISH\n")
    (repo / "fine.yaml").write_text("password: " + "Sup3r-s3cret-" + "Pa55phrase\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):  # cold, then from the cache
        lines = run_lint(repo, only=["secrets"]).lines()
        assert any(
            "notes.yaml" in ln
            and "detect-secrets cannot read it (ValueError): its secrets are not checked" in ln
            for ln in lines
        ), lines
        assert any("fine.yaml:1" in ln and "Secret Keyword" in ln for ln in lines), lines
        assert not any("2024-13-45" in ln or "SECRETISH" in ln for ln in lines)


def test_an_entropy_plugin_finds_nothing_where_its_length_search_finds_nothing() -> None:
    """A string's entropy is at most log2 of its length: the search for a quoted run at least 2 ** limit
    long (one shorter, for rounding) misses no line the plugin finds something on. Tried on random strings
    and on strings of distinct symbols (the most entropy a length holds) of every length around the bound."""
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    rnd = random.Random(7)
    for plugin in (
        Base64HighEntropyString(limit=4.5),
        HexHighEntropyString(limit=3.0),
        HexHighEntropyString(limit=2.5),
    ):
        first = secrets_yaml._long_enough(plugin)
        assert first is not None
        symbols = sorted(set(plugin.charset) - {"\\"})
        found = 0
        for n in range(1, 40):
            values = ["".join(rnd.choice(symbols) for _ in range(n)) for _ in range(40)]
            values.append("".join(symbols[:n]))
            for value in values:
                line = f'key: "{value}"'
                if plugin.analyze_line(filename="x.yaml", line=line):
                    found += 1
                    assert first.search(line), (type(plugin).__name__, value)
        assert found > 100  # the plugin found plenty: the test tried values on both sides of the bound
        assert not first.search('hostname: "dc1-cmp-0001"') or plugin.entropy_limit < 3.6


# The line reader (plain block documents, a registry's shape): held to the transformer on documents of
# its grammar, some with a line's indentation broken (which PyYAML refuses, and so must it).
_PLAIN_KEYS = ["name", "pass", "token", "a", "b", "c", "yes", "on", "null", "x.y", "k-1", "_k", "y", "True"]
_PLAIN_VALUES = ["a", "hunter2", "10.0.0.1", "52:54:00:12:34:56", "52:54:00:ab:cd:ef", "1", "0x1f", "1.5",
                 "2024-01-02", "yes", "~", "a:b", "x#y", "x #y", "a,b", "a b", "sk_live_" + "abcdefghijklmnopqrstuvwx",
                 "http://u:p@h", "é", "1_000", "12:30:00"]  # fmt: skip
_REFUSED_VALUES = ["2024-13-45", "-1", "a: b", "=", "a:"]  # a value that does not build, or is not plain


def _plain_value(rnd: random.Random) -> str:
    pick = lambda: rnd.choice(_REFUSED_VALUES if rnd.random() < 0.02 else _PLAIN_VALUES)  # noqa: E731
    roll = rnd.random()
    if roll < 0.1:
        return "{" + ", ".join(f"{k}: {pick()}" for k in rnd.sample(_PLAIN_KEYS, rnd.randint(0, 3))) + "}"
    if roll < 0.15:
        return "[" + ", ".join(pick() for _ in range(rnd.randint(0, 3))) + "]"
    return pick()


def _plain_block(rnd: random.Random, indent: int = 0, depth: int = 0) -> list[str]:
    sp, out = " " * indent, []
    comment = lambda: rnd.choice(["", "", "", "  # c", " # pragma: allowlist secret"])  # noqa: E731
    if depth and rnd.random() < 0.3:
        for _ in range(rnd.randint(1, 3)):  # a sequence
            sub = _plain_block(rnd, indent + 2, depth + 1)
            item = sub[0].lstrip() if sub[0].strip() and not sub[0].lstrip().startswith(("#", "- ")) else "x"
            out += (
                [f"{sp}- {_plain_value(rnd)}{comment()}"]
                if rnd.random() < 0.3
                else [f"{sp}- {item}", *sub[1:]]
            )
        return out
    for key in rnd.sample(_PLAIN_KEYS, rnd.randint(1, 4)):
        roll = rnd.random()
        if roll < 0.55 or depth > 3:
            out.append(f"{sp}{key}: {_plain_value(rnd)}{comment()}")
        elif roll < 0.8:
            out += [f"{sp}{key}:{comment()}", *_plain_block(rnd, indent + rnd.choice([0, 2, 4]), depth + 1)]
        else:
            out.append(rnd.choice(["", f"{sp}# a comment", f"{sp}{key}:"]))
    return out


def test_the_line_readers_lines_are_the_transformers() -> None:
    rnd = random.Random(19)
    read = 0
    for n in range(2000):
        lines = _plain_block(rnd)
        if rnd.random() < 0.3 and len(lines) > 1:  # a line's indentation broken, or its dash
            at = rnd.randrange(len(lines))
            line, roll = lines[at], rnd.random()
            if roll < 0.35:
                lines[at] = " " * rnd.choice([1, 2, 3]) + line
            elif roll < 0.7:
                lines[at] = line.lstrip(" ")
            else:
                indent = len(line) - len(line.lstrip(" "))
                body = line[indent:]
                lines[at] = line[:indent] + (body[2:] if body.startswith("- ") else "- " + body)
        text = "\n".join(lines) + "\n"
        ours = secrets_yaml._from_lines(text)
        if ours is not None:
            assert ours == _transformer(text), (n, text)
            read += 1
    assert read > 250  # the rest: a non-string key (yes, on, null, True), a broken indentation, "a: b", "-1"


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n  b: 2\n",  # deeper than its mapping
        "a:\n  - x\n  b: 1\n",  # a key at its sibling sequence's indentation
        "a:\n    b: 1\n  c: 2\n",  # between two mappings' indentations
        "- a\n- b\n",  # a sequence at the top
        "a: x\n- y\n",  # an item at a mapping's indentation
        "a:\n  b: x\n  - y\n",  # the same, deeper
        "a: b: c\n",  # a mapping inside a plain value
        "a: x\na: y\n",  # a repeated key
        "a: {b: c]}\n",  # a flow indicator inside a flow's plain scalar
        "a: [b}, c]\n",
        "a: 'q'\n",  # a quote: libyaml's nodes read it
        "a: |\n  x\n",  # a block scalar: the same
    ],
)
def test_the_line_reader_refuses_what_it_does_not_read_as_pyyaml_does(text: str) -> None:
    assert secrets_yaml._from_lines(text) is None


def test_the_line_reader_reads_a_registry_as_libyamls_nodes_do(tmp_path: Path) -> None:
    text = (_registry(tmp_path) / "site" / "hosts.yaml").read_text()
    units = rules_secrets._units("site/hosts.yaml", text)
    for unit in [*units, rules_secrets._Unit("site/hosts.yaml", "a:\n- x\nb: y  # an unindented sequence\n")]:
        ours = secrets_yaml._from_lines(unit.text)
        assert ours is not None and ours == secrets_yaml._from_nodes(unit.text) == _transformer(unit.text)


def test_an_address_is_a_string_to_pyyamls_resolver_as_the_shortcut_says() -> None:
    """``_Values.tag`` answers a dotted quad without PyYAML's resolver: the resolver agrees on every shape
    of one (leading zeros, 1 to 3 digits, 999), and near-quads (a date, a float, two or five parts) still
    go to it."""
    import yaml

    resolve = yaml.resolver.Resolver().resolve
    rnd = random.Random(24)
    parts = [
        "0",
        "00",
        "000",
        "007",
        "1",
        "10",
        "99",
        "255",
        "256",
        "999",
        *(str(rnd.randrange(1000)) for _ in range(40)),
    ]
    quads = {".".join(rnd.choice(parts) for _ in range(4)) for _ in range(3000)}
    near = ["1.5", "10.0", "1.2.3", "1.2.3.4.5", "2024-12-06", "1_0.2.3.4", "1e3", "10.0.0.1e5", "1:20.5"]
    values = secrets_yaml._Values()
    for text in [*quads, *near]:
        assert values.tag(text) == resolve(yaml.ScalarNode, text, (True, False)), text
    assert all(secrets_yaml._QUAD.fullmatch(q) for q in quads)
