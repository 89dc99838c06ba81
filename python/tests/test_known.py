"""secretscan.KnownSecrets: a deployment's own values, followed through
rotations without a restart. The values are built at run time and shaped
like no provider's key, so only the known-values path can redact them."""

import os
import time
import warnings

import pytest

import secretscan
from secretscan import Guard, KnownSecrets, KnownSecretsWarning, StreamRedactor

POLL = 0.05


def value(tag: str) -> str:
    return f"kv-{tag}-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(20))


def wait_poll() -> None:
    time.sleep(POLL * 3)


class K8sSecret:
    """A directory laid out as the kubelet mounts a Secret: the keys are
    links through `..data`, itself a link to a timestamped directory that
    an update replaces with an atomic rename."""

    def __init__(self, root, values: dict):
        self.root = root
        self.version = 0
        self.update(values)
        for name in values:
            os.symlink(os.path.join("..data", name), root / name)

    def update(self, values: dict) -> None:
        self.version += 1
        old = os.readlink(self.root / "..data") if (self.root / "..data").exists() else None
        new = f"..2024_01_01_00_00_{self.version:02d}"
        (self.root / new).mkdir()
        for name, v in values.items():
            (self.root / new / name).write_text(v + "\n")
        tmp = self.root / "..data_tmp"
        os.symlink(new, tmp)
        os.replace(tmp, self.root / "..data")
        if old:
            for f in (self.root / old).iterdir():
                f.unlink()
            (self.root / old).rmdir()


def test_file_source(tmp_path, pat):
    key = value("file")
    path = tmp_path / "DB_PASSWORD"
    path.write_text(key + "\n")
    known = KnownSecrets([str(path)])
    assert known.names() == ["DB_PASSWORD"]
    assert len(known) == 1
    text = f"connect pw={key} token={pat}\n"
    assert known.redact(text) == (
        "connect pw=[REDACTED:known:DB_PASSWORD] token=[REDACTED:github-pat]\n"
    )
    assert known.redact(text.encode()) == known.redact(text).encode()
    # The module's redact does not know the value: only KnownSecrets does.
    assert key in secretscan.redact(text)
    assert key not in repr(known)
    clean = "nothing here"
    assert known.redact(clean) is clean


def test_dotenv_file_and_pathlike(tmp_path):
    a, b = value("a"), value("b")
    path = tmp_path / "app.env"
    path.write_text(f"# comment\nexport API_KEY={a}\nDB_PASSWORD='{b}'\n")
    known = KnownSecrets([path])  # os.PathLike is accepted too
    assert known.names() == ["API_KEY", "DB_PASSWORD"]
    assert known.redact(f"{a} {b}") == "[REDACTED:known:API_KEY] [REDACTED:known:DB_PASSWORD]"


def test_kubernetes_secret_rotation_is_picked_up_after_poll(tmp_path):
    old, new = value("old"), value("new")
    secret = K8sSecret(tmp_path, {"API_KEY": old})
    known = KnownSecrets([str(tmp_path)], poll=POLL)
    assert known.names() == ["API_KEY"]
    assert known.redact(f"k={old}") == "k=[REDACTED:known:API_KEY]"

    secret.update({"API_KEY": new})
    wait_poll()
    # No reload() call: the next use re-reads the directory.
    assert known.redact(f"k={new}") == "k=[REDACTED:known:API_KEY]"
    # The rotated-out value is still in logs and transcripts: still redacted.
    assert known.redact(f"k={old}") == "k=[REDACTED:known:API_KEY]"
    assert known.names() == ["API_KEY"]
    assert len(known) == 2


def test_rotated_value_leaves_after_keep_rotated(tmp_path):
    old, new = value("old"), value("new")
    secret = K8sSecret(tmp_path, {"API_KEY": old})
    known = KnownSecrets([str(tmp_path)], poll=POLL, keep_rotated=0.3)
    secret.update({"API_KEY": new})
    assert known.reload() is True
    assert known.reload() is False, "nothing changed since"
    time.sleep(0.5)
    assert known.redact(f"{old} {new}") == f"{old} [REDACTED:known:API_KEY]"
    assert len(known) == 1


def test_no_reread_before_poll(tmp_path):
    path = tmp_path / "TOKEN"
    path.write_text(value("one"))
    known = KnownSecrets([str(path)], poll=3600)
    path.write_text(value("two"))
    # Within the poll interval the sources are not read again...
    assert value("two") in known.redact(value("two"))
    # ...unless asked.
    assert known.reload() is True
    assert known.redact(value("two")) == "[REDACTED:known:TOKEN]"


def test_missing_source_keeps_last_good_set(tmp_path):
    key = value("kept")
    path = tmp_path / "API_KEY"
    path.write_text(key)
    known = KnownSecrets([str(path)], poll=POLL)
    path.unlink()

    with pytest.warns(KnownSecretsWarning, match="API_KEY.*keeping the last good values") as w:
        assert known.reload() is False
    assert all(key not in str(m.message) for m in w)
    assert known.redact(key) == "[REDACTED:known:API_KEY]"

    # A poll warns about a failure once, not on every read.
    wait_poll()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert known.redact(key) == "[REDACTED:known:API_KEY]"
    assert w == []

    # Back again: picked up, and a new failure warns on the next poll.
    path.write_text(key)
    wait_poll()
    assert known.redact(key) == "[REDACTED:known:API_KEY]"
    path.unlink()
    wait_poll()
    with pytest.warns(KnownSecretsWarning, match="API_KEY"):
        assert known.redact(key) == "[REDACTED:known:API_KEY]"


def test_missing_source_at_construction_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="cannot load known secrets: .*nope"):
        KnownSecrets([str(tmp_path / "nope")])


def test_short_value_is_refused_by_name(tmp_path):
    short, long = "abc12", value("long")
    path = tmp_path / "app.env"
    path.write_text(f"SHORT={short}\nLONG={long}\n")
    with pytest.warns(KnownSecretsWarning, match="SHORT is 5 bytes, shorter than the minimum") as w:
        known = KnownSecrets([str(path)])
    assert all(short not in str(m.message) for m in w)
    assert known.names() == ["LONG"]
    assert known.redact(f"{short} {long}") == f"{short} [REDACTED:known:LONG]"
    # A higher minimum refuses more.
    with pytest.warns(KnownSecretsWarning) as w:
        assert KnownSecrets([str(path)], min_len=64).names() == []
    assert sorted(str(m.message).split()[2] for m in w) == ["LONG", "SHORT"]


def test_env_glob(monkeypatch):
    a, b, c = value("env-a"), value("env-b"), value("env-c")
    monkeypatch.setenv("SECRETSCAN_TEST_A_KEY", a)
    monkeypatch.setenv("SECRETSCAN_TEST_B_KEY", b)
    monkeypatch.setenv("SECRETSCAN_TEST_B_OTHER", c)
    known = KnownSecrets(["env:SECRETSCAN_TEST_*_KEY"], poll=POLL)
    assert known.names() == ["SECRETSCAN_TEST_A_KEY", "SECRETSCAN_TEST_B_KEY"]
    assert known.redact(f"{a} {b} {c}") == (
        f"[REDACTED:known:SECRETSCAN_TEST_A_KEY] [REDACTED:known:SECRETSCAN_TEST_B_KEY] {c}"
    )
    # Changes to os.environ are followed too.
    d = value("env-d")
    monkeypatch.setenv("SECRETSCAN_TEST_A_KEY", d)
    wait_poll()
    assert known.redact(d) == "[REDACTED:known:SECRETSCAN_TEST_A_KEY]"
    one = KnownSecrets(["env:SECRETSCAN_TEST_B_OTHER"])
    assert one.names() == ["SECRETSCAN_TEST_B_OTHER"]


def test_bad_arguments(tmp_path):
    path = tmp_path / "K"
    path.write_text(value("k"))
    with pytest.raises(TypeError, match="list"):
        KnownSecrets(str(path))
    with pytest.raises(TypeError):
        KnownSecrets([42])
    with pytest.raises(ValueError, match="at least one"):
        KnownSecrets([])
    with pytest.raises(ValueError, match="min_len"):
        KnownSecrets([str(path)], min_len=4)
    with pytest.raises(ValueError, match="poll"):
        KnownSecrets([str(path)], poll=-1)
    with pytest.raises(ValueError, match="keep_rotated"):
        KnownSecrets([str(path)], keep_rotated=float("nan"))
    with pytest.raises(TypeError):
        KnownSecrets([str(path)]).redact(42)


def test_guard_with_known_follows_rotation(tmp_path, pat):
    old, new = value("old"), value("new")
    secret = K8sSecret(tmp_path, {"API_KEY": old})
    known = KnownSecrets([str(tmp_path)], poll=POLL)
    guard = Guard(known=known)
    v = guard.check(f"key {old} and {pat}")
    assert v.decision == "redacted"
    assert v.text == "key [REDACTED:known:API_KEY] and [REDACTED:github-pat]"
    assert [f.rule_id for f in v.findings] == ["known:API_KEY", "github-pat"]
    assert old not in repr(guard)

    secret.update({"API_KEY": new})
    wait_poll()
    assert guard.check(f"key {new}").text == "key [REDACTED:known:API_KEY]"
    assert guard.redact(old.encode()) == b"[REDACTED:known:API_KEY]"
    assert [f.rule_id for f in guard.scan(f"{old} {new}")] == ["known:API_KEY"] * 2

    # Known values' findings have confidence high.
    strict = Guard(high="block", known=known)
    assert strict.check(f"key {new}").blocked
    assert Guard().check(f"key {new}").clean


def test_stream_redactor_with_known_follows_rotation(tmp_path):
    old, new = value("old"), value("new")
    secret = K8sSecret(tmp_path, {"API_KEY": old})
    known = KnownSecrets([str(tmp_path)], poll=POLL)
    stream = StreamRedactor(Guard(known=known))
    out = [stream.push(p) for p in ["a ", old[:5], old[5:], " b "]]

    secret.update({"API_KEY": new})
    wait_poll()
    out += [stream.push(p) for p in [new[:7], new[7:], " c"]]
    out.append(stream.finish())
    assert "".join(out) == "a [REDACTED:known:API_KEY] b [REDACTED:known:API_KEY] c"
    assert stream.redacted == 2
