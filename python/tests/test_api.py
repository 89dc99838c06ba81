import threading

import pytest

import secretscan
from conftest import anthropic_key, github_pat


def test_redact_str_and_bytes(pat):
    text = f"token={pat} ok\n"
    assert secretscan.redact(text) == "token=[REDACTED:github-pat] ok\n"
    assert secretscan.redact(text.encode()) == b"token=[REDACTED:github-pat] ok\n"


def test_clean_text_is_returned_as_is():
    text = "nothing secret in this sentence " * 10
    assert secretscan.redact(text) is text
    data = text.encode()
    assert secretscan.redact(data) is data


def test_scan_never_exposes_the_secret(pat, ant):
    text = f"é line one\nkey: {ant}\n✓ token {pat}\n"
    findings = secretscan.scan(text)
    assert [f.rule_id for f in findings] == ["anthropic-api-key", "github-pat"]
    for f, secret in zip(findings, [ant, pat]):
        # Offsets are code points into the str: slicing gives the secret.
        assert text[f.start : f.end] == secret
        assert secret not in repr(f)
        assert secret not in f.preview
        assert len(f.fingerprint) == 16
        assert not any(secret in str(getattr(f, a)) for a in dir(f) if not a.startswith("_"))
    assert findings[0].line == 2 and findings[1].line == 3
    assert findings[0].confidence == "medium"
    assert findings[1].confidence == "high"
    # bytes: offsets are bytes
    data = text.encode()
    fb = secretscan.scan(data)
    assert [data[f.start : f.end] for f in fb] == [ant.encode(), pat.encode()]


def test_recall_first_findings_say_why_they_are_low(pat):
    # The same token with its last checksum digit changed: the provider's
    # exact shape, so a low finding with check="failed", and redacted.
    last = "0" if pat[-1] != "0" else "1"
    broken = pat[:-1] + last
    [f] = secretscan.scan(f"token {broken}\n")
    assert (f.rule_id, f.confidence, f.check, f.glued) == ("github-pat", "low", "failed", False)
    assert broken not in secretscan.redact(f"token {broken}\n")
    assert 'check="failed"' in repr(f) and "glued=False" in repr(f)
    # Glued to the text after it, as some log formatters write fields: an
    # AWS key id (no checksum to prove it) is low and glued; a GitHub token
    # whose checksum verifies stays high.
    key_id = "AKIA" + "QZ7RK2MW" + "XPL4TVBJ"
    [g] = secretscan.scan(f"id={key_id}status=200\n")
    assert (g.rule_id, g.confidence, g.check, g.glued) == ("aws-access-key-id", "low", None, True)
    assert secretscan.redact(f"id={key_id}status=200\n") == "id=[REDACTED:aws-access-key-id]status=200\n"
    [h] = secretscan.scan(f"token {pat}ERROR\n")
    assert (h.rule_id, h.confidence, h.glued) == ("github-pat", "high", False)
    [ok] = secretscan.scan(f"token {pat}\n")
    assert (ok.check, ok.glued) == (None, False)


def test_redaction_keeps_unicode_around_secrets(pat):
    text = f"Ünïcödé → {pat} ← 😀"
    assert secretscan.redact(text) == "Ünïcödé → [REDACTED:github-pat] ← 😀"


@pytest.mark.parametrize("bad", [None, 12, 3.5, ["a"], bytearray(b"x"), object()])
def test_bad_argument_types_raise_type_error(bad):
    with pytest.raises(TypeError, match="expected str or bytes"):
        secretscan.redact(bad)
    with pytest.raises(TypeError):
        secretscan.scan(bad)
    with pytest.raises(TypeError):
        secretscan.Guard().check(bad)
    with pytest.raises(TypeError):
        secretscan.StreamRedactor().push(bad)


def test_lone_surrogate_is_a_value_error():
    with pytest.raises(ValueError):
        secretscan.redact("bad \ud800 surrogate")


def test_guard_policy_by_confidence(pat, ant):
    guard = secretscan.Guard(high="block")
    v = guard.check(f"key {ant}")
    assert v.decision == "redacted" and not v.blocked
    assert v.text == "key [REDACTED:anthropic-api-key]"
    assert [f.rule_id for f in v.findings] == ["anthropic-api-key"]
    v = guard.check(f"key {ant} and {pat}")
    assert v.decision == "blocked" and v.blocked and v.text is None
    assert len(v.findings) == 2
    clean = "just words"
    v = guard.check(clean)
    assert v.clean and v.text is clean and v.findings == []


def test_guard_policy_by_rule_and_allow(pat, ant):
    guard = secretscan.Guard(medium="allow", rules={"github-pat": "block"})
    assert guard.check(f"key {ant}").decision == "clean"
    assert guard.check(f"x {pat}").decision == "blocked"
    guard = secretscan.Guard(low="allow", medium="allow", high="allow")
    assert guard.check(f"{ant} {pat}").clean
    assert guard.redact(f"{pat}") == "[REDACTED:github-pat]", "redact ignores the policy"


def test_guard_bad_arguments_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="expected 'allow', 'redact' or 'block'"):
        secretscan.Guard(high="explode")
    with pytest.raises(ValueError, match="no-such-rule"):
        secretscan.Guard(rules={"no-such-rule": "block"})
    with pytest.raises(TypeError):
        secretscan.Guard(rules={1: "block"})
    with pytest.raises(TypeError):
        secretscan.Guard("positional")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]]\nid = 'x'\n")
    with pytest.raises(ValueError, match="bad.toml"):
        secretscan.Guard(rule_files=[bad])
    with pytest.raises(ValueError, match="missing.toml"):
        secretscan.Guard(rule_files=[tmp_path / "missing.toml"])


def test_guard_with_own_rules(tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text(
        "[[rules]]\nid = 'acme-token'\nname = 'Acme'\npattern = 'acme_[a-z]{12}'\nkeywords = ['acme_']\n"
    )
    guard = secretscan.Guard(rule_files=[str(rules)], builtin=False)
    assert guard.redact("t=acme_abcdefghijkl") == "t=[REDACTED:acme-token]"
    assert guard.scan(f"{github_pat()}") == [], "built-in rules left out"


def test_stream_redactor_equals_whole_redaction(pat, ant):
    text = f"Sure — here's the config:\nTOKEN={pat}\n✓ and {ant} done.\n" * 3
    whole = secretscan.redact(text)
    for size in (1, 2, 3, 5, 16, 1000):
        s = secretscan.StreamRedactor()
        out = [s.push(text[i : i + size]) for i in range(0, len(text), size)]
        out.append(s.finish())
        assert "".join(out) == whole, size
        assert s.redacted == 6 and s.finished
        assert s.finish() == ""


def test_stream_holds_back_little_on_prose():
    s = secretscan.StreamRedactor()
    for word in "The quick brown fox jumps over the lazy dog. ".split(" "):
        s.push(word + " ")
        assert s.held_back <= 8
    s.finish()


def test_stream_bytes_and_mixing(pat):
    s = secretscan.StreamRedactor()
    data = f"x {pat} y".encode()
    out = b"".join(s.push(data[i : i + 4]) for i in range(0, len(data), 4)) + s.finish()
    assert out == b"x [REDACTED:github-pat] y"
    s = secretscan.StreamRedactor()
    s.push("text")
    with pytest.raises(TypeError, match="stream is of str"):
        s.push(b"bytes")
    s.finish()
    with pytest.raises(ValueError, match="push after finish"):
        s.push("more")


def test_redact_stream_helpers(pat):
    chunks = ["Your token: ", pat[:7], pat[7:20], pat[20:], " — keep it safe."]
    assert "".join(secretscan.redact_stream(iter(chunks))) == (
        "Your token: [REDACTED:github-pat] — keep it safe."
    )
    import asyncio

    async def agen():
        for c in chunks:
            await asyncio.sleep(0)
            yield c

    async def collect():
        return [p async for p in secretscan.aredact_stream(agen())]

    pieces = asyncio.run(collect())
    assert "".join(pieces) == "Your token: [REDACTED:github-pat] — keep it safe."
    assert all(pieces), "empty pieces are not yielded"


def test_guard_is_shared_across_threads(pat):
    guard = secretscan.Guard()
    big = ("filler text line\n" * 5000) + f"token {pat}\n"
    errors = []

    def work():
        try:
            for _ in range(5):
                assert guard.check(big).findings[0].rule_id == "github-pat"
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_docstrings_and_version():
    assert secretscan.__version__
    for obj in (secretscan.redact, secretscan.scan, secretscan.Guard, secretscan.StreamRedactor):
        assert obj.__doc__ and len(obj.__doc__) > 20


def test_gil_is_released_while_scanning_large_inputs():
    """Another Python thread runs in the middle of a large scan. With the
    GIL held it could run only at the edges: before the call took the GIL,
    and after it returned (the thread asked for the GIL during the call and
    gets it first), never in the middle half."""
    import time

    big = "filler line with nothing secret in it\n" * 1_100_000  # ~40 MB
    stamps = []
    stop = threading.Event()

    def spin():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 200 == 0:
                stamps.append(time.perf_counter())

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.02)
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            secretscan.scan(big)
            t1 = time.perf_counter()
            quarter = (t1 - t0) / 4
            if any(t0 + quarter < s < t1 - quarter for s in stamps):
                break
        else:
            raise AssertionError(f"no other thread ran during a {t1 - t0:.3f} s scan")
    finally:
        stop.set()
        t.join()
