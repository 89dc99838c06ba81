#!/usr/bin/env python3
"""Seeds a fuzz target's corpus (called by scripts/fuzz.sh).

    seed.py TARGET CORPUS_DIR MATERIAL_DIR

MATERIAL_DIR holds the fuzz lib's material (every rule's expanded examples
and keywords, of the built-in pack and tests/support/tricky.toml), dumped
by a fuzz binary at seed time: token-shaped seeds are made from the rules'
templates now, never committed. Committed seeds come from fuzz/seeds/TARGET/
and the repository's tests and rule files. Archives are generated here.
"""

import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import zipfile

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
RNG = random.Random(0x5EC)


def material(dirname):
    out = []
    for name in sorted(os.listdir(dirname)):
        with open(os.path.join(dirname, name), "rb") as f:
            out.append(f.read())
    return out


class Corpus:
    def __init__(self, path):
        self.path = path
        self.count = 0
        os.makedirs(path, exist_ok=True)

    def add(self, data):
        if isinstance(data, str):
            data = data.encode()
        name = "seed-" + hashlib.sha1(data).hexdigest()
        with open(os.path.join(self.path, name), "wb") as f:
            f.write(data)
        self.count += 1

    def add_files(self, dirname, max_size=None):
        if not os.path.isdir(dirname):
            return
        for name in sorted(os.listdir(dirname)):
            p = os.path.join(dirname, name)
            if os.path.isfile(p) and (max_size is None or os.path.getsize(p) <= max_size):
                with open(p, "rb") as f:
                    self.add(f.read())


def text_of(pieces, n=4):
    """A small config-like text holding a few pieces of material."""
    chosen = RNG.sample(pieces, min(n, len(pieces)))
    lines = [b"# generated seed", b"name = demo"]
    for i, p in enumerate(chosen):
        lines.append(b"value_%d = " % i + p)
    return b"\n".join(lines) + b"\n"


def zip_bytes(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gz_bytes(data, name=None):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name or "", mode="wb", fileobj=buf, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def seed_archive(c, pieces):
    a, b, d = text_of(pieces), text_of(pieces), text_of(pieces, 2)
    plain = [("app.env", a), ("dir/sub/config.yml", b)]
    c.add(zip_bytes(plain))
    c.add(zip_bytes(plain, zipfile.ZIP_STORED))
    c.add(tar_bytes(plain + [("./dot/slash.txt", d)]))
    c.add(gz_bytes(tar_bytes(plain)))
    c.add(gz_bytes(a, "app.log"))
    c.add(gz_bytes(a))
    c.add(gz_bytes(gz_bytes(a, "inner.log"), "inner.log.gz"))
    c.add(zip_bytes([("inner.zip", zip_bytes(plain)), ("notes.txt", d)]))
    c.add(tar_bytes([("logs/app.log.gz", gz_bytes(a, "app.log")), ("b.zip", zip_bytes(plain))]))
    c.add(gz_bytes(tar_bytes([("x.zip", zip_bytes([("y.tar", tar_bytes(plain))]))])))
    # Deeper than the target's max_depth of 3.
    deep = a
    for level in range(5):
        deep = zip_bytes([("level%d" % level, deep)], zipfile.ZIP_STORED)
    c.add(deep)
    # Past max_bytes and the ratio guard: zeros compress ~1000:1.
    c.add(gz_bytes(b"\0" * (1 << 20), "zeros"))
    c.add(zip_bytes([("z%d" % i, b"\0" * (64 << 10)) for i in range(8)]))
    # Damaged: truncated gzip and zip, a zip with its directory cut off,
    # a tar with a bad checksum.
    full = gz_bytes(a * 4, "t.log")
    c.add(full[: len(full) // 2])
    z = zip_bytes(plain, zipfile.ZIP_STORED)
    c.add(z[: len(z) - 30])
    c.add(z[: z.rfind(b"PK\x01\x02")])
    t = bytearray(tar_bytes(plain))
    t[148:156] = b"0000000\0"
    c.add(bytes(t))
    # Names with the walk's own separator and odd bytes.
    c.add(zip_bytes([("a!b.txt", a), ("caf\u00e9/\u00fc.txt", b), ("dir/", b"")]))
    c.add(tar_bytes([("x!y", a), ("./././z", b)]))
    # Structured mode (see fuzz_targets/archive.rs): 0xA5, mode, members.
    for mode in range(5):
        body = bytearray()
        for i in range(3):
            name = bytes(RNG.randrange(256) for _ in range(6))
            content = RNG.choice(pieces)[:200]
            body += bytes([len(name) - 1]) + name + bytes([len(content)]) + content
        c.add(bytes([0xA5, mode]) + bytes(body))


def seed_hook(c, pieces):
    c.add_files(os.path.join(FUZZ, "seeds", "hook"))
    for i in range(24):
        chosen = RNG.sample(pieces, min(3, len(pieces)))
        texts = [p.decode("utf-8", "replace") for p in chosen]
        field = "tool_response" if i % 2 == 0 else "tool_output"
        event = {
            "session_id": "seed-%d" % i,
            "hook_event_name": "PostToolUse",
            "tool_name": "mcp__fs__read" if i % 3 == 0 else "Bash",
            "tool_input": {"command": "cat file"},
            field: {
                "stdout": "\n".join(texts),
                "stderr": "",
                "lines": texts,
                "meta": {"n": i, "ok": True, "deep": [[texts[0]]]},
            },
        }
        c.add(json.dumps(event))
    # 0x7F i markers (see fuzz_targets/hook.rs): real keys at run time.
    for i in range(0, 128, 4):
        c.add('{"tool_response":"x=\x7f%s; y=\x7f%s"}' % (chr(i), chr(i + 1)))


def seed_baseline(c):
    c.add_files(os.path.join(FUZZ, "seeds", "baseline"))
    for n in (1, 5, 20):
        salt = "".join(RNG.choice("0123456789abcdef") for _ in range(64))
        findings = []
        for i in range(n):
            key = "".join(RNG.choice("0123456789abcdefABCDEF") for _ in range(64))
            findings.append({"rule_id": "rule-%d" % (i % 3), "path": "src/f%d.py" % i, "key": key})
        doc = {"secretscan_baseline": 1, "hash": "hmac-sha256", "salt": salt, "findings": findings}
        c.add(json.dumps(doc, indent=2) + "\n")
        c.add(json.dumps(doc, separators=(",", ":")))


def seed_config(c):
    c.add_files(os.path.join(FUZZ, "seeds", "config"))
    for fp in ("0123456789abcdef", "ABCDEF0123456789"):
        c.add(b'min_confidence = "medium"\nexclude = ["target/"]\n\0' + fp.encode() + b"\n*.tmp\n")


def seed_rules(c):
    c.add_files(os.path.join(FUZZ, "seeds", "rules"))
    c.add_files(os.path.join(ROOT, "tests", "support"), max_size=8192)
    # The pack's small rule files (4 KiB at most: each run of this target
    # builds a scanner and an oracle, and loading the corpus is the slow part).
    patterns = os.path.join(ROOT, "patterns")
    for name in sorted(os.listdir(patterns)):
        p = os.path.join(patterns, name)
        if name.endswith(".toml") and os.path.isfile(p) and os.path.getsize(p) <= 4096:
            with open(p, "rb") as f:
                c.add(f.read())


def seed_oracle(c, pieces):
    for p in pieces:
        c.add(p)
    for i in range(256):
        c.add(bytes([0xFE, i]))
    for i in range(0, 256, 3):
        c.add(b"x = \xfe" + bytes([i]) + b"\n\xfe" + bytes([(i * 7) % 256]) + b" tail")


def seed_chunking(c, pieces):
    for i, p in enumerate(pieces):
        n = 1 + i % 3
        head = (n << 1) | (i & 1)
        size = 1 + (i * 7) % 64
        points = b"".join(RNG.randrange(len(p) + 1).to_bytes(2, "little") for _ in range(n))
        c.add(bytes([head, size]) + points + p)
    for i in range(0, 256, 2):
        c.add(bytes([0x02 | (i & 1), 5]) + (7).to_bytes(2, "little") + b"k=\xfe" + bytes([i]) + b";")


def main():
    target, corpus, mat = sys.argv[1:4]
    pieces = material(mat)
    if not pieces:
        sys.exit("no material in " + mat)
    c = Corpus(corpus)
    if target == "archive":
        seed_archive(c, pieces)
    elif target == "hook":
        seed_hook(c, pieces)
    elif target == "baseline":
        seed_baseline(c)
    elif target == "config":
        seed_config(c)
    elif target == "rules":
        seed_rules(c)
    elif target == "oracle":
        seed_oracle(c, pieces)
    elif target == "chunking":
        seed_chunking(c, pieces)
    else:
        # A target this file does not know yet: its own seeds, if any.
        c.add_files(os.path.join(FUZZ, "seeds", target))
    print("%d seeds" % c.count)


if __name__ == "__main__":
    main()
