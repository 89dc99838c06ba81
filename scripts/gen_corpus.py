#!/usr/bin/env python3
"""Seeded generator of a labelled recall / false-positive evaluation corpus.

    python3 scripts/gen_corpus.py [--seed N] [--out DIR] [--per-provider K]
    python3 scripts/gen_corpus.py --seed 1 --out target/recall/corpus   # as recall.sh does

Writes, under DIR (default target/recall/corpus; the old contents are removed):

    pos/<family>/<n>.<ext>   one file per positive: one complete, token-shaped
                             secret embedded in a realistic context
    neg/<kind>/<n>.<ext>     one file per negative: text that holds no secret
    labels.jsonl             one JSON object per file:
                             {"type":"pos","path","provider","rule","family",
                              "start","end","context","source"}  (byte span)
                             {"type":"neg","path","kind"}
    meta.json                counts, the seed, and the templates skipped

Positives come from every row of patterns/providers/*.toml (values of the
documented shape, with the documented prefix) and from the positive
`examples` of every dedicated rule in patterns/*.toml except `generic-*`
(templates expanded as src/rules/template.rs does: classes, lit, nl,
crc32b62, bech32/BECH32, jwt, b64digits; the secret span is the rule's
`secret` group or whole match, located with Python's `re`).

Contexts: Python, JavaScript, Go, Java, Rust, .env, YAML (flat and nested),
JSON (plain and escaped inside a log line), log key=value / HTTP header / URL
query, Python stack traces, shell export / curl / CLI flags, GitHub Actions,
Makefile, Dockerfile and LLM chat answers; PEM-like values also raw, as YAML
blocks, JSON-escaped and quoted in .env. Negatives (--negatives, default
6000) are identifiers, file hashes and lockfile checksums, UUIDs used as ids,
base64 blobs (data URIs, certificates, public keys), test placeholders, docs
examples, version strings, paths, URLs, git SHAs, CSS colours, prose,
environment reads, "near misses" (a provider row's own key name and context
holding a value of its shape defaced as docs and dashboards do: EXAMPLE
inside, xxxx/**** masking, counting sequences) and secret references
(${VAR}, vault:/op:// paths, secret-manager ARNs) in the positives' contexts.

The tokens are complete and well-formed: the corpus must only ever be
written under target/ or a temporary directory, never committed. Nothing
is printed but counts. Standard library only (Python >= 3.11 for tomllib).
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import random
import re
import shutil
import string
import sys
import tomllib
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------
# Template expansion (mirrors src/rules/template.rs; random source differs)

CLASSES = {
    "alnum": string.ascii_uppercase + string.ascii_lowercase + string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digit": string.digits,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "hexany": "0123456789abcdefABCDEF",
    "upperdigit": string.ascii_uppercase + string.digits,
    "lowerdigit": string.ascii_lowercase + string.digits,
    "base64": string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/",
    "base64url": string.ascii_uppercase + string.ascii_lowercase + string.digits + "_-",
    "token": string.ascii_uppercase + string.ascii_lowercase + string.digits + "_.-",
}
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base62(n, width):
    """`n` in base62 (0-9A-Za-z), left-padded with '0' (validators.rs)."""
    digits = ["0"] * width
    i = width
    while n > 0 and i > 0:
        i -= 1
        digits[i] = BASE62[n % 62]
        n //= 62
    return "".join(digits)


def crc32(data):
    """CRC-32/ISO-HDLC, the same as validators.rs `crc32` and zlib."""
    return zlib.crc32(data) & 0xFFFFFFFF


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def bech32_checksum(hrp, data):
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [BECH32.index(c) for c in data] + [0] * 6
    m = bech32_polymod(values) ^ 1
    return "".join(BECH32[(m >> (5 * (5 - i))) & 31] for i in range(6))


def b64url(s):
    return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")


class Unsupported(Exception):
    pass


def draw(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def expand(template, rng):
    out = []
    rest = template
    while True:
        i = rest.find("{{")
        if i < 0:
            break
        out.append(rest[:i])
        j = rest.find("}}", i + 2)
        if j < 0:
            raise Unsupported("unclosed placeholder")
        body = rest[i + 2:j]
        rest = rest[j + 2:]
        if body == "nl":
            out.append("\n")
            continue
        if ":" not in body:
            raise Unsupported(body)
        cls, arg = body.split(":", 1)
        if cls == "lit":
            out.append(arg)
        elif cls == "crc32b62":
            ent = draw(rng, BASE62, int(arg))
            out.append(ent + base62(crc32(ent.encode()), 6))
        elif cls in ("bech32", "BECH32"):
            hrp, n = arg.rsplit(":", 1)
            hrp = hrp.lower()
            data = draw(rng, BECH32, int(n))
            s = f"{hrp}1{data}{bech32_checksum(hrp, data)}"
            out.append(s.upper() if cls == "BECH32" else s)
        elif cls == "jwt":
            header = '{"alg":"%s","typ":"JWT"}' % arg
            claims = '{"sub":"user-%s","iat":1700000000,"exp":1900000000}' % draw(
                rng, string.digits, 8)
            sig = draw(rng, CLASSES["base64url"], 43)
            out.append(f"{b64url(header)}.{b64url(claims)}.{sig}")
        elif cls == "b64digits":
            digits = draw(rng, string.digits, int(arg))
            out.append(base64.b64encode(digits.encode()).decode().rstrip("="))
        elif cls in CLASSES:
            out.append(draw(rng, CLASSES[cls], int(arg)))
        else:
            raise Unsupported(cls)
    out.append(rest)
    return "".join(out)


def context_macros(root):
    """The pattern macros of src/rules/context.rs ({{assign}}, {{end}}, {{linebreak}}),
    read from its constants so the generator and the engine share them."""
    src = open(os.path.join(root, "src", "rules", "context.rs"), encoding="utf-8").read()

    def const(name):
        m = re.search(r"pub const " + name + r": &str = (concat!\((.*?)\);|(r#?\".*?\"#?);)", src, re.S)
        body = m.group(2) if m.group(2) is not None else m.group(3)
        return "".join(a or b for a, b in re.findall(r'r#"(.*?)"#|r"(.*?)"', body, re.S))

    return {
        "{{assign}}": "(?i:" + const("ASSIGN") + ")",
        "{{end}}": const("END"),
        "{{linebreak}}": "(?:" + const("LINE_BREAK") + ")",
    }


MACROS = {}


def rust_to_py_regex(p):
    for name, piece in MACROS.items():
        p = p.replace(name, piece)
    return p.replace(r"\z", r"\Z")


# --------------------------------------------------------------------------
# Families

FILE_FAMILY = {
    "llm": "ai", "database": "connection-string", "password-hash": "password-hash",
    "private-key": "private-key", "pgp": "private-key", "pkcs12": "private-key",
    "age": "private-key", "http": "generic", "jwt": "generic",
}
FAMILY_PROVIDERS = {
    "cloud": "aws azure alibaba google gcp gcs firebase ibm oracle oci digitalocean "
             "linode cloudflare heroku flyio vercel netlify supabase neon planetscale "
             "turso upstash snowflake databricks mongodb-atlas hashicorp vault terraform "
             "consul nomad hcp tailscale",
    "ai": "openai anthropic huggingface",
    "payments": "adyen checkout stripe paypal braintree paystack razorpay flutterwave "
                "mollie paddle plaid square coinbase",
    "vcs": "github gitlab bitbucket",
    "messaging": "slack discord telegram twilio microsoft-teams teams power mailgun sendgrid "
                 "mailchimp postmark intercom",
    "monitoring": "datadog newrelic sentry grafana honeycomb dynatrace lightstep logzio "
                  "rollbar bugsnag splunk pagerduty elastic",
    "devtools": "npm npmrc pypi rubygems nuget docker dockerhub jfrog circleci travis buildkite snyk "
                "sonarqube postman launchdarkly onepassword doppler pulumi",
    "identity": "okta auth0 clerk",
    "saas": "linear figma notion asana atlassian opsgenie trello clickup airtable box "
            "dropbox calendly contentful typeform zendesk hubspot salesforce algolia "
            "mapbox shopify facebook twitter linkedin twitch",
}
PROVIDER_FAMILY = {p: fam for fam, ps in FAMILY_PROVIDERS.items() for p in ps.split()}
RULE_FAMILY = {"jwk-private-key": "private-key"}

KIND_WORDS = {
    "api-key": [["api", "key"], ["key"], ["apikey"], ["token"], ["secret"], ["api", "key"]],
    "token": [["token"], ["api", "token"], ["auth", "token"], ["access", "token"], ["key"]],
    "access-token": [["access", "token"], ["token"], ["api", "token"], ["key"]],
    "secret": [["secret"], ["api", "secret"], ["secret", "key"], ["key"]],
    "client-secret": [["client", "secret"], ["secret"], ["oauth", "secret"]],
    "secret-key": [["secret", "key"], ["secret"], ["api", "secret"], ["private", "key"]],
    "password": [["password"], ["pass"], ["api", "password"]],
    "webhook-secret": [["webhook", "secret"], ["signing", "secret"], ["secret"]],
    "app-key": [["app", "key"], ["application", "key"], ["key"]],
    "license-key": [["license", "key"], ["license"], ["key"]],
}

# --------------------------------------------------------------------------
# Variable names


def words_of(s):
    return [w for w in re.split(r"[^A-Za-z0-9]+", s) if w]


def merge_words(stem, suffix):
    """stem + suffix with the overlap of stem's tail and suffix's head dropped."""
    for k in range(min(len(stem), len(suffix)), 0, -1):
        if [w.lower() for w in stem[-k:]] == [w.lower() for w in suffix[:k]]:
            return stem + suffix[k:]
    if stem and suffix and stem[-1].lower().endswith(suffix[0].lower()):
        return stem + suffix[1:]
    return stem + suffix


def style(words, how):
    ws = [w.lower() for w in words]
    if how == "SCREAMING":
        return "_".join(ws).upper()
    if how == "snake":
        return "_".join(ws)
    if how == "camel":
        return ws[0] + "".join(w.capitalize() for w in ws[1:])
    if how == "pascal":
        return "".join(w.capitalize() for w in ws)
    if how == "kebab":
        return "-".join(ws)
    if how == "header":
        return "X-" + "-".join(w.capitalize() for w in ws)
    if how == "dotted":
        return ".".join(ws)
    raise ValueError(how)


class Names:
    """The ways code names one provider's credential."""

    def __init__(self, stems, suffixes, host):
        self.stems = stems          # list of word lists
        self.suffixes = suffixes    # list of word lists
        self.host = host

    def words(self, rng):
        return merge_words(rng.choice(self.stems), rng.choice(self.suffixes))

    def get(self, rng, how):
        return style(self.words(rng), how)


def names_for_row(row):
    kws = row["keywords"]
    plain = [k for k in kws if "." not in k]
    dotted = [k for k in kws if "." in k]
    stems = [words_of(k) for k in plain]
    if not stems:
        stems = [[max(words_of(dotted[0]), key=len)]]
    stems = [s for s in stems if s] or [words_of(row["id"])]
    host = dotted[0] if dotted else "api.%s.com" % "".join(words_of(plain[0] if plain else row["id"])).lower()
    return Names(stems, KIND_WORDS.get(row.get("kind", "api-key"), [["key"]]), host)


def names_for_rule(rule_id, provider):
    pw = words_of(provider)
    tail = words_of(rule_id)
    tail = tail[len(pw):] if [w.lower() for w in tail[:len(pw)]] == pw else tail
    if not tail:
        tail = ["key"]
    sufs = [tail]
    if tail[-1] in ("key", "token", "secret"):
        sufs.append([tail[-1]])
    host = "api.%s.com" % "".join(pw).lower()
    return Names([pw], sufs, host)


# --------------------------------------------------------------------------
# Filler

PY_FILL = ["import os", "import logging", "import requests", "", "log = logging.getLogger(__name__)",
           "TIMEOUT = 30", "RETRIES = 3", "BASE_URL = \"https://api.internal.example/v2\"",
           "def ping():\n    return requests.get(BASE_URL + \"/health\", timeout=TIMEOUT).ok"]
JS_FILL = ["'use strict';", "const axios = require('axios');", "const TIMEOUT_MS = 5000;",
           "import { createClient } from './client';", "export const region = 'eu-west-1';",
           "function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }"]
GO_FILL = ["package config", "import (\n\t\"net/http\"\n\t\"time\"\n)",
           "var client = &http.Client{Timeout: 10 * time.Second}", "const region = \"us-east-1\""]
JAVA_FILL = ["package com.example.billing;", "import java.net.http.HttpClient;",
             "import java.time.Duration;"]
RS_FILL = ["use std::time::Duration;", "const TIMEOUT: Duration = Duration::from_secs(10);",
           "#[allow(dead_code)]"]
ENV_FILL = ["NODE_ENV=production", "PORT=8080", "LOG_LEVEL=info", "DATABASE_POOL=10",
            "REDIS_HOST=cache.internal", "FEATURE_FLAGS=beta,search"]
YAML_FILL = ["replicas: 3", "log_level: info", "region: eu-central-1", "timeout: 30s"]
LOG_FILL = ["INFO  server started on :8080", "DEBUG loading config from /etc/app/config.yaml",
            "INFO  connected to db in 42ms", "WARN  slow request path=/api/v1/orders took=1204ms",
            "INFO  GET /healthz 200 1ms"]
SH_FILL = ["ls -la", "cd ~/src/app", "git status", "git pull --rebase", "make test",
           "docker ps", "kubectl get pods -n staging", "vim .env", "npm ci"]
MAKE_FILL = ["SHELL := /bin/bash", "GO ?= go", "BIN := bin/app", ".PHONY: build test",
             "build:\n\t$(GO) build -o $(BIN) ./cmd/app", "test:\n\t$(GO) test ./..."]
DOCKER_FILL = ["FROM python:3.12-slim", "WORKDIR /app", "COPY requirements.txt .",
               "RUN pip install --no-cache-dir -r requirements.txt", "COPY . .",
               "EXPOSE 8000", 'CMD ["gunicorn", "app:app", "-b", "0.0.0.0:8000"]']


def fill(rng, pool, k=None):
    k = rng.randint(1, 4) if k is None else k
    return [rng.choice(pool) for _ in range(k)]


def ts(rng):
    return "2024-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
        rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))


def assemble(before, pre, value, post, after):
    """Joins lines; returns (text, start, end) of `value` in bytes."""
    head = "\n".join(before + [""]) if before else ""
    head += pre
    start = len(head.encode())
    end = start + len(value.encode())
    tail = post + ("\n" + "\n".join(after) if after else "") + "\n"
    return head + value + tail, start, end


# --------------------------------------------------------------------------
# Contexts for single-line values: (kind, ext, fn(rng, names, value) -> text, start, end)


def c_python(rng, n, v):
    form = rng.randrange(4)
    q = rng.choice(['"', "'"])
    if form == 0:
        pre, post = f"{n.get(rng, 'SCREAMING')} = {q}", q
    elif form == 1:
        pre, post = "CONFIG = {\n    " + f"{q}{n.get(rng, 'snake')}{q}: {q}", q + ",\n    \"timeout\": 30,\n}"
    elif form == 2:
        pre, post = f"{n.get(rng, 'snake')} = {q}", q
    else:
        pre = f"client = Client({n.get(rng, 'snake')}={q}"
        post = q + ", timeout=10)"
    return assemble(fill(rng, PY_FILL), pre, v, post, fill(rng, PY_FILL))


def c_js(rng, n, v):
    form = rng.randrange(3)
    q = rng.choice(['"', "'", "`"])
    if form == 0:
        pre, post = f"const {n.get(rng, 'camel')} = {q}", q + ";"
    elif form == 1:
        pre, post = "module.exports = {\n  " + f"{n.get(rng, 'camel')}: {q}", q + ",\n  retries: 3,\n};"
    else:
        pre, post = f"process.env.{n.get(rng, 'SCREAMING')} = process.env.{n.get(rng, 'SCREAMING')} || {q}", q + ";"
    return assemble(fill(rng, JS_FILL), pre, v, post, fill(rng, JS_FILL))


def c_go(rng, n, v):
    form = rng.randrange(3)
    if form == 0:
        pre, post = f"const {n.get(rng, 'camel')} = \"", "\""
    elif form == 1:
        pre, post = f"os.Setenv(\"{n.get(rng, 'SCREAMING')}\", \"", "\")"
    else:
        pre, post = "cfg := Config{\n\t" + n.get(rng, "pascal") + ": \"", "\",\n}"
    return assemble(fill(rng, GO_FILL), pre, v, post, [])


def c_java(rng, n, v):
    if rng.random() < 0.5:
        pre, post = f"    private static final String {n.get(rng, 'SCREAMING')} = \"", "\";"
    else:
        pre, post = f"    props.setProperty(\"{n.get(rng, 'dotted')}\", \"", "\");"
    return assemble(fill(rng, JAVA_FILL) + ["public class Settings {"], pre, v, post, ["}"])


def c_rust(rng, n, v):
    if rng.random() < 0.5:
        pre, post = f"const {n.get(rng, 'SCREAMING')}: &str = \"", "\";"
    else:
        pre, post = f"let {n.get(rng, 'snake')} = String::from(\"", "\");"
    return assemble(fill(rng, RS_FILL), pre, v, post, [])


def c_env(rng, n, v):
    q = rng.choice(["", "", '"', "'"])
    return assemble(fill(rng, ENV_FILL), f"{n.get(rng, 'SCREAMING')}={q}", v, q, fill(rng, ENV_FILL))


def c_yaml(rng, n, v):
    if rng.random() < 0.5:
        pre = f"{n.get(rng, 'snake')}: "
        return assemble(fill(rng, YAML_FILL), pre, v, "", fill(rng, YAML_FILL))
    w = n.words(rng)
    pre = f"{w[0].lower()}:\n  enabled: true\n  {'_'.join(x.lower() for x in w[1:]) or 'key'}: "
    q = rng.choice(["", '"'])
    return assemble(fill(rng, YAML_FILL), pre + q, v, q, [])


def c_json(rng, n, v):
    key = rng.choice([n.get(rng, "snake"), n.get(rng, "camel")])
    pre = '{\n  "name": "billing-service",\n  "' + key + '": "'
    return assemble([], pre, v, '",\n  "timeout": 30\n}', [])


def c_json_escaped(rng, n, v):
    key = n.get(rng, "snake")
    pre = '{"ts":"%s","level":"debug","msg":"config","body":"{\\"%s\\":\\"' % (ts(rng), key)
    return assemble([], pre, v, '\\",\\"retries\\":3}"}', [])


def c_log_kv(rng, n, v):
    pre = f"{ts(rng)} INFO  client initialised {n.get(rng, 'snake')}="
    return assemble([f"{ts(rng)} {x}" for x in fill(rng, LOG_FILL)], pre, v,
                    f" region=eu-west-1", [f"{ts(rng)} {x}" for x in fill(rng, LOG_FILL)])


def c_log_header(rng, n, v):
    pre = (f"{ts(rng)} DEBUG > POST /v1/events HTTP/1.1\n> Host: {n.host}\n"
           f"> {n.get(rng, 'header')}: ")
    return assemble([], pre, v, "\n> Content-Type: application/json\n< HTTP/1.1 200 OK", [])


def c_log_url(rng, n, v):
    pre = f"{ts(rng)} INFO  GET https://{n.host}/v1/items?page=2&{n.get(rng, 'snake')}="
    return assemble([f"{ts(rng)} {x}" for x in fill(rng, LOG_FILL)], pre, v, " 200 183ms", [])


def c_stacktrace(rng, n, v):
    var = n.get(rng, "snake")
    pre = ("Traceback (most recent call last):\n"
           '  File "/srv/app/jobs/sync.py", line 88, in run\n'
           "    client = connect()\n"
           '  File "/srv/app/clients.py", line 23, in connect\n'
           f"    return Client({var}=settings.{var})\n"
           f"Locals: {var} = '")
    return assemble([], pre, v, "'\nclients.AuthError: 401 Unauthorized", [])


def c_shell_export(rng, n, v):
    q = rng.choice(["", '"', "'"])
    return assemble(fill(rng, SH_FILL), f"export {n.get(rng, 'SCREAMING')}={q}", v, q,
                    fill(rng, SH_FILL))


def c_shell_curl(rng, n, v):
    pre = f"curl -sS -H \"{n.get(rng, 'header')}: "
    return assemble(fill(rng, SH_FILL), pre, v, f"\" https://{n.host}/v1/status", fill(rng, SH_FILL))


def c_cli_flag(rng, n, v):
    stem = "-".join(w.lower() for w in n.stems[0])
    flag = n.get(rng, "kebab")
    sep = rng.choice([" ", "="])
    return assemble(fill(rng, SH_FILL), f"{stem} login --{flag}{sep}", v, " --region eu", [])


def c_gh_actions(rng, n, v):
    pre = ("name: deploy\non: [push]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
           f"    env:\n      {n.get(rng, 'SCREAMING')}: ")
    return assemble([], pre, v, "\n    steps:\n      - uses: actions/checkout@v4\n      - run: make deploy", [])


def c_makefile(rng, n, v):
    op = rng.choice(["?=", ":=", "="])
    return assemble(fill(rng, MAKE_FILL, 2), f"{n.get(rng, 'SCREAMING')} {op} ", v, "",
                    fill(rng, MAKE_FILL, 2))


def c_dockerfile(rng, n, v):
    sep = rng.choice(["=", " "])
    return assemble(fill(rng, DOCKER_FILL, 3), f"ENV {n.get(rng, 'SCREAMING')}{sep}", v, "",
                    fill(rng, DOCKER_FILL, 2))


def c_llm(rng, n, v):
    form = rng.randrange(3)
    if form == 0:
        pre = ("Sure! To call the API, set your key in the environment and run the script:\n\n"
               f"```bash\nexport {n.get(rng, 'SCREAMING')}=")
        post = "\npython main.py\n```\n\nLet me know if you get a 401."
    elif form == 1:
        pre = (f"I tested it with the key you pasted earlier ({n.get(rng, 'snake')} = `")
        post = "`) and the request now succeeds. You should rotate it since it was shared here."
    else:
        pre = ("Here is the corrected config:\n\n```python\n"
               f"{n.get(rng, 'snake')} = \"")
        post = "\"\nclient = Client(key=" + n.get(rng, "snake") + ")\n```"
    return assemble([], pre, v, post, [])


SINGLE_CONTEXTS = [
    ("python", "py", c_python), ("javascript", "js", c_js), ("go", "go", c_go),
    ("java", "java", c_java), ("rust", "rs", c_rust), ("dotenv", "env", c_env),
    ("yaml", "yaml", c_yaml), ("json", "json", c_json), ("json-escaped", "log", c_json_escaped),
    ("log-kv", "log", c_log_kv), ("log-header", "log", c_log_header), ("log-url", "log", c_log_url),
    ("stacktrace", "txt", c_stacktrace), ("shell-export", "sh", c_shell_export),
    ("shell-curl", "sh", c_shell_curl), ("cli-flag", "sh", c_cli_flag),
    ("github-actions", "yml", c_gh_actions), ("makefile", "mk", c_makefile),
    ("dockerfile", "Dockerfile", c_dockerfile), ("llm-answer", "md", c_llm),
]


# Contexts for multi-line values (PEM blocks and the like).

def m_raw(rng, n, v):
    return assemble([], "", v, "", [])


def m_yaml_block(rng, n, v):
    lines = v.split("\n")
    pre = f"tls:\n  {n.get(rng, 'snake')}: |\n    "
    body = "\n    ".join(lines)
    return assemble([], pre, body, "", ["  enabled: true"])


def m_json_escaped(rng, n, v):
    pre = '{\n  "type": "service_account",\n  "' + n.get(rng, "snake") + '": "'
    return assemble([], pre, v.replace("\n", "\\n"), '",\n  "project": "acme-prod"\n}', [])


def m_env_quoted(rng, n, v):
    return assemble(fill(rng, ENV_FILL), f'{n.get(rng, "SCREAMING")}="', v, '"', [])


MULTI_CONTEXTS = [("raw-file", "pem", m_raw), ("yaml-block", "yaml", m_yaml_block),
                  ("json-escaped", "json", m_json_escaped), ("dotenv", "env", m_env_quoted)]


# --------------------------------------------------------------------------
# Values for provider rows

SPEC = re.compile(r"^([A-Za-z0-9]+):(\d+)(?:-(\d+))?$")


def provider_value(rng, row):
    spec = rng.choice(row["values"])
    if spec == "uuid":
        h = draw(rng, CLASSES["hex"], 32)
        v = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        v = v.upper() if rng.random() < 0.1 else v
    else:
        m = SPEC.match(spec)
        if not m or m.group(1) not in CLASSES:
            raise Unsupported(spec)
        cls, lo = m.group(1), int(m.group(2))
        hi = int(m.group(3) or lo)
        k = rng.randint(lo, hi)
        if cls == "hexany":
            alpha = rng.choice([CLASSES["hex"], CLASSES["HEX"], CLASSES["hexany"]])
            v = draw(rng, alpha, k)
        elif cls == "token" and k >= 3:
            core = CLASSES["alnum"]
            v = rng.choice(core) + draw(rng, CLASSES["token"], k - 2) + rng.choice(core)
        else:
            v = draw(rng, CLASSES[cls], k)
    return row.get("prefix", "") + v


# --------------------------------------------------------------------------
# Negatives

WORDS = ("alpha beta gamma delta order invoice user account session cache config client "
         "server request response handler manager service provider factory builder token "
         "parser reader writer buffer stream event queue worker payment billing report").split()
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
         "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
         "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.")


def rand_name(rng, k=2):
    return [rng.choice(WORDS) for _ in range(k)]


def fname(rng):
    base = "-".join(rand_name(rng, rng.randint(1, 3)))
    return base + rng.choice(["-1.4.2.tar.gz", ".zip", "_linux_amd64.tar.gz", ".whl", ".deb",
                              "-v2.0.1.jar", ".iso", ".exe"])


def uuid4(rng):
    h = draw(rng, CLASSES["hex"], 32)
    h = h[:12] + "4" + h[13:16] + rng.choice("89ab") + h[17:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def n_identifiers(rng, names):
    out = []
    for _ in range(rng.randint(4, 12)):
        w = rand_name(rng, rng.randint(2, 5))
        form = rng.randrange(4)
        if form == 0:
            out.append(f"def {style(w, 'snake')}(self, {style(rand_name(rng), 'snake')}):")
        elif form == 1:
            out.append(f"const {style(w, 'camel')} = get{style(rand_name(rng, 3), 'pascal')}FromConfig();")
        elif form == 2:
            out.append(f"{style(w, 'SCREAMING')} = \"{style(rand_name(rng, 3), 'snake')}\"")
        else:
            out.append(f"api_key_name = \"{names.get(rng, 'SCREAMING')}\"")
    return "\n".join(out) + "\n", "py"


def n_file_hashes(rng, names):
    form = rng.randrange(6)
    lines = []
    for _ in range(rng.randint(3, 12)):
        f = fname(rng)
        if form == 0:
            lines.append(f"{hashlib.sha256(f.encode()).hexdigest()}  {f}")
        elif form == 1:
            lines.append(f"{hashlib.md5(f.encode()).hexdigest()}  {f}")
        elif form == 2:
            lines.append(f"{hashlib.sha1(f.encode()).hexdigest()} *{f}")
        elif form == 3:
            pkg = style(rand_name(rng), "kebab")
            lines.append(f'[[package]]\nname = "{pkg}"\nversion = "{rng.randint(0,3)}.{rng.randint(0,20)}.{rng.randint(0,9)}"\n'
                         f'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
                         f'checksum = "{hashlib.sha256(f.encode()).hexdigest()}"\n')
        elif form == 4:
            pkg = style(rand_name(rng), "kebab")
            integ = base64.b64encode(hashlib.sha512(f.encode()).digest()).decode()
            lines.append(f'    "node_modules/{pkg}": {{\n      "version": "1.{rng.randint(0,9)}.{rng.randint(0,9)}",\n'
                         f'      "resolved": "https://registry.npmjs.org/{pkg}/-/{pkg}-1.0.0.tgz",\n'
                         f'      "integrity": "sha512-{integ}"\n    }},')
        else:
            pkg = "github.com/" + "/".join(rand_name(rng))
            h1 = base64.b64encode(hashlib.sha256(f.encode()).digest()).decode()
            lines.append(f"{pkg} v1.{rng.randint(0,9)}.{rng.randint(0,9)} h1:{h1}")
    ext = ["sha256", "md5", "sha1", "lock", "json", "sum"][form]
    return "\n".join(lines) + "\n", ext


def n_uuid_ids(rng, names):
    lines = []
    for _ in range(rng.randint(3, 10)):
        key = rng.choice(["request_id", "user_id", "trace_id", "order_id", "session_id",
                          "correlationId", "X-Request-Id", "tenant_id"])
        form = rng.randrange(3)
        if form == 0:
            lines.append(f"{ts(rng)} INFO  handled {key}={uuid4(rng)} status=200")
        elif form == 1:
            lines.append(f'{{"{key}": "{uuid4(rng)}", "event": "checkout"}}')
        else:
            lines.append(f"{key}: {uuid4(rng)}")
    return "\n".join(lines) + "\n", "log"


def wrap(s, n=64):
    return "\n".join(s[i:i + n] for i in range(0, len(s), n))


def n_base64_blob(rng, names):
    raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(200, 900)))
    form = rng.randrange(4)
    if form == 0:
        b = base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode()
        return f'.logo {{\n  background-image: url("data:image/png;base64,{b}");\n}}\n', "css"
    if form == 1:
        b = base64.b64encode(b"\x30\x82" + raw).decode()
        return f"-----BEGIN CERTIFICATE-----\n{wrap(b)}\n-----END CERTIFICATE-----\n", "crt"
    if form == 2:
        b = base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + raw).decode()
        return f"ssh-rsa {b} {rng.choice(WORDS)}@build-{rng.randint(1,99)}\n", "pub"
    b = base64.b64encode(b"\x30\x82\x01\x22" + raw[:290]).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{wrap(b)}\n-----END PUBLIC KEY-----\n", "pem"


def placeholder_value(rng, names):
    n = rng.randint(16, 40)
    return rng.choice([
        "x" * n, "X" * n, "1" * n, "0" * n, "your_api_key_here", "<API_KEY>", "${API_KEY}",
        "changeme", "CHANGEME", "EXAMPLE", "YOUR_KEY_HERE", "<your-token>", "REPLACE_ME",
        "${{ secrets.%s }}" % names.get(rng, "SCREAMING"), "$" + names.get(rng, "SCREAMING"),
        "{{ .Values.apiKey }}", "<redacted>", "***", "********", "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_" + "x" * 36, "TODO", "dummy", "test", "abc123", "0123456789abcdef" * 2,
        "your-%s-here" % names.get(rng, "kebab"), "%s_PLACEHOLDER" % names.get(rng, "SCREAMING"),
    ])


def n_placeholders(rng, names):
    form = rng.randrange(5)
    v = placeholder_value(rng, names)
    if form == 0:
        return f"{names.get(rng, 'SCREAMING')}={v}\n", "env"
    if form == 1:
        return f'{names.get(rng, "snake")} = "{v}"\n', "py"
    if form == 2:
        return f"{names.get(rng, 'snake')}: \"{v}\"\n", "yaml"
    if form == 3:
        return f'{{"{names.get(rng, "camel")}": "{v}"}}\n', "json"
    return f"export {names.get(rng, 'SCREAMING')}=\"{v}\"\n", "sh"


def n_doc_examples(rng, names):
    var = names.get(rng, "SCREAMING")
    forms = [
        f"## Configuration\n\nSet `{var}` to the key shown in your dashboard under **Settings > API**.\n"
        f"Never commit it; read it from the environment instead.\n",
        f"```bash\nexport {var}=<your-key>\ncurl -H \"Authorization: Bearer ${var}\" https://{names.host}/v1/me\n```\n",
        f"| Variable | Description |\n|---|---|\n| `{var}` | Your API key (required) |\n| `LOG_LEVEL` | default `info` |\n",
        f"Usage: tool --{names.get(rng, 'kebab')} KEY [--region REGION]\n\n  --{names.get(rng, 'kebab')} KEY   the API key (or set {var})\n",
    ]
    return rng.choice(forms), "md"


def n_versions(rng, names):
    lines = []
    for _ in range(rng.randint(3, 10)):
        a, b, c = rng.randint(0, 30), rng.randint(0, 99), rng.randint(0, 999)
        form = rng.randrange(4)
        if form == 0:
            lines.append(f'"{style(rand_name(rng), "kebab")}": "^{a}.{b}.{c}",')
        elif form == 1:
            lines.append(f"version = \"{a}.{b}.{c}-rc.{rng.randint(1,9)}+build.{rng.randint(20200101, 20251231)}\"")
        elif form == 2:
            lines.append(f"{style(rand_name(rng), 'snake')}=={a}.{b}.{c}")
        else:
            lines.append(f"Go version go1.{rng.randint(18,23)}.{rng.randint(0,9)} linux/amd64")
    return "\n".join(lines) + "\n", "txt"


def n_paths(rng, names):
    lines = []
    for _ in range(rng.randint(3, 10)):
        w = rand_name(rng, rng.randint(2, 5))
        form = rng.randrange(4)
        if form == 0:
            lines.append("/usr/local/lib/python3.11/site-packages/" + "/".join(w) + ".py")
        elif form == 1:
            lines.append("C:\\Users\\build\\AppData\\Local\\" + "\\".join(w) + ".dll")
        elif form == 2:
            lines.append(f"node_modules/.pnpm/{w[0]}@{rng.randint(1,9)}.{rng.randint(0,9)}.0/node_modules/" + "/".join(w) + ".js")
        else:
            lines.append(f"/home/runner/.cache/{w[0]}/" + hashlib.sha1("/".join(w).encode()).hexdigest()[:16] + "/" + "/".join(w[1:]))
    return "\n".join(lines) + "\n", "txt"


def n_urls(rng, names):
    lines = []
    for _ in range(rng.randint(3, 8)):
        w = rand_name(rng, 3)
        lines.append(rng.choice([
            f"https://{names.host}/v1/{w[0]}s?page={rng.randint(1,50)}&sort=desc",
            f"https://cdn.jsdelivr.net/npm/{w[1]}@{rng.randint(1,9)}.{rng.randint(0,9)}.0/dist/{w[2]}.min.js",
            f"https://docs.{w[0]}.io/{w[1]}/{w[2]}#authentication",
            f"https://github.com/{w[0]}/{w[1]}/blob/main/{w[2]}.md",
        ]))
    return "\n".join(lines) + "\n", "txt"


def n_git_shas(rng, names):
    lines = []
    for _ in range(rng.randint(3, 10)):
        sha = hashlib.sha1(str(rng.random()).encode()).hexdigest()
        form = rng.randrange(3)
        if form == 0:
            lines.append(f"commit {sha}\nAuthor: Dev <dev@example.com>\nDate:   Mon Mar 4 10:0{rng.randint(0,9)}:00 2024 +0000\n\n    fix {' '.join(rand_name(rng, 3))}\n")
        elif form == 1:
            lines.append(f"{sha[:rng.choice([7, 8, 12])]} {' '.join(rand_name(rng, 4))}")
        else:
            lines.append(f"{ts(rng)} Checking out {sha} (refs/heads/main)")
    return "\n".join(lines) + "\n", "log"


def n_css(rng, names):
    lines = []
    for _ in range(rng.randint(3, 10)):
        lines.append(f".{style(rand_name(rng), 'kebab')} {{ color: #{draw(rng, CLASSES['hex'], 6)}; "
                     f"background: #{draw(rng, CLASSES['hex'], rng.choice([3, 6, 8]))}; }}")
    return "\n".join(lines) + "\n", "css"


def n_lorem(rng, names):
    ws = LOREM.split()
    text = " ".join(rng.choice(ws) for _ in range(rng.randint(30, 150)))
    return text + "\n", "txt"


def n_env_read(rng, names):
    var = names.get(rng, "SCREAMING")
    forms = [
        (f'import os\n{names.get(rng, "snake")} = os.environ["{var}"]\n', "py"),
        (f'import os\n{names.get(rng, "snake")} = os.getenv("{var}", "")\n', "py"),
        (f"const {names.get(rng, 'camel')} = process.env.{var};\n", "js"),
        (f'{names.get(rng, "camel")} := os.Getenv("{var}")\n', "go"),
        (f'String {names.get(rng, "camel")} = System.getenv("{var}");\n', "java"),
        (f'let {names.get(rng, "snake")} = std::env::var("{var}")?;\n', "rs"),
        (f"    env:\n      {var}: ${{{{ secrets.{var} }}}}\n", "yml"),
        (f'{var} ?= $(shell cat /run/secrets/{names.get(rng, "snake")})\n', "mk"),
        (f"ARG {var}\nENV {var}=${var}\n", "Dockerfile"),
    ]
    return rng.choice(forms)


def deface(rng, v):
    """A value of a provider's documented shape made into an obvious
    documentation sample or a masked one: what docs, tests and redacted
    logs hold next to the same key names as real secrets."""
    n = len(v)
    form = rng.randrange(6)
    if form == 0:      # docs sample: EXAMPLE run inside the shape
        i = rng.randint(0, max(0, n - 7))
        out = v[:i] + "EXAMPLE" + v[i + 7:]
    elif form == 1:    # xxxx-masked tail, as dashboards show
        keep = rng.randint(4, 8)
        out = v[:keep] + rng.choice("x*X") * max(8, n - keep)
    elif form == 2:    # counting sequence of the same length
        seq = "1234567890abcdefghijklmnopqrstuvwxyz" * 4
        out = seq[:n]
    elif form == 3:    # one repeated character after the first few
        out = v[:3] + rng.choice("0xXa") * max(8, n - 3)
    elif form == 4:    # masked middle, as in a redacted log line
        out = v[:4] + "..." + v[-4:] if n > 10 else "****"
    else:              # the word "your" spelled into the value
        out = "your" + rng.choice(["_api_key_", "-token-", "_secret_", "-key-"]) + "here"
    return out


def n_near_miss(rng, names):
    """Defaced values of a real row's shape, in the same contexts as the positives."""
    row = rng.choice(ROWS) if ROWS else None
    if row is None:
        return n_placeholders(rng, names)
    try:
        v = deface(rng, provider_value(rng, row))
    except Unsupported:
        v = "EXAMPLE"
    n = names_for_row(row)
    kind, ext, fn = rng.choice(SINGLE_CONTEXTS)
    text, _, _ = fn(rng, n, v)
    return text, ext


def n_secret_ref(rng, names):
    """A provider's key name whose value is a reference, not a secret, in the positives' contexts."""
    row = rng.choice(ROWS) if ROWS else None
    n = names_for_row(row) if row else names
    var = n.get(rng, "SCREAMING")
    v = rng.choice([
        "${%s}" % var, "$" + var, "${{ secrets.%s }}" % var, "{{ .Values.%s }}" % n.get(rng, "camel"),
        "/run/secrets/" + n.get(rng, "snake"), "vault:secret/data/prod/" + n.get(rng, "kebab"),
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + n.get(rng, "kebab"),
        "projects/acme-prod/secrets/%s/versions/latest" % n.get(rng, "kebab"),
        "op://Engineering/%s/credential" % n.get(rng, "kebab"), "%(" + n.get(rng, "snake") + ")s",
        "env(" + var + ")", "<set in CI>", "None", "null", "false", "",
    ])
    kind, ext, fn = rng.choice(SINGLE_CONTEXTS)
    text, _, _ = fn(rng, n, v)
    return text, ext


ROWS = []

NEG_KINDS = [
    ("identifier", n_identifiers), ("file-hash", n_file_hashes), ("uuid-id", n_uuid_ids),
    ("base64-blob", n_base64_blob), ("placeholder", n_placeholders), ("doc-example", n_doc_examples),
    ("version", n_versions), ("path", n_paths), ("url", n_urls), ("git-sha", n_git_shas),
    ("css-color", n_css), ("lorem", n_lorem), ("env-read", n_env_read),
    ("near-miss", n_near_miss), ("near-miss", n_near_miss), ("secret-ref", n_secret_ref),
]


# --------------------------------------------------------------------------


SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|jdbc:|(?i:endpoint|server|driver|host|data source|accountname)=)")
ASSIGN = re.compile(r"\w[\"'`\]]?[ \t]*(?:=>|:=|=|:)[ \t]*[\"'`]?$|\w[ \t]+$")
NO_REEMBED = {"aws-credentials-pair", "razorpay-key-pair", "jwk-private-key"}


def reembed_value(rule, regex, m):
    """The value to put in other contexts, with the secret's span inside it;
    None when the secret only makes sense inside its example's structure."""
    if rule["id"] in NO_REEMBED or rule["_stem"] == "password-hash":
        return None
    whole = m.group(0)
    if "secret" not in regex.groupindex or m.group("secret") is None:
        return whole, 0, len(whole)
    a, b = m.start("secret") - m.start(), m.end("secret") - m.start()
    pre, post = whole[:a], whole[b:]
    if SCHEME.match(whole):
        # A URL or connection string: the whole of it is the value.
        end = len(whole)
        while end > b and whole[end - 1] in "\"'`;, \t\n)]}":
            end -= 1
        return whole[:end], a, b
    if pre and not ASSIGN.search(pre):
        return None
    if post.strip("\"'`;, \t\r\n)]}") :
        return None
    return m.group("secret"), 0, b - a


def load_inputs(root):
    MACROS.update(context_macros(root))
    rules, rows = [], []
    for f in sorted(glob.glob(os.path.join(root, "patterns", "*.toml"))):
        stem = os.path.splitext(os.path.basename(f))[0]
        with open(f, "rb") as fh:
            for r in tomllib.load(fh).get("rules", []):
                r["_stem"] = stem
                rules.append(r)
    for f in sorted(glob.glob(os.path.join(root, "patterns", "providers", "*.toml"))):
        with open(f, "rb") as fh:
            rows.extend(tomllib.load(fh).get("provider", []))
    return rules, rows


def rule_provider(rule):
    stem, rid = rule["_stem"], rule["id"]
    if rid.startswith(stem + "-") or rid == stem:
        return stem
    return rid.split("-")[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "recall", "corpus"))
    ap.add_argument("--per-provider", type=int, default=3,
                    help="positives per provider-table row (default 3)")
    ap.add_argument("--per-rule", type=int, default=3,
                    help="re-embedded positives per dedicated rule, besides its examples (default 3)")
    ap.add_argument("--negatives", type=int, default=6000)
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    rng = random.Random(args.seed)
    rules, rows = load_inputs(ROOT)
    labels = []
    counters = {}
    skipped = {"template": 0, "no-match": 0, "value-spec": 0}
    unmapped = set()

    def write(top, group, ext, text):
        d = os.path.join(out, top, group)
        os.makedirs(d, exist_ok=True)
        k = counters.get((top, group), 0)
        counters[(top, group)] = k + 1
        rel = f"{top}/{group}/{k}.{ext}"
        with open(os.path.join(out, rel), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return rel

    def add_pos(provider, rule, family, ctx, ext, text, start, end, source):
        rel = write("pos", family, ext, text)
        labels.append({"type": "pos", "path": rel, "provider": provider, "rule": rule,
                       "family": family, "start": start, "end": end, "context": ctx,
                       "source": source})

    def contexts_cycle(pool, k):
        picks = rng.sample(pool, min(k, len(pool)))
        while len(picks) < k:
            picks.append(rng.choice(pool))
        return picks

    # Provider-table rows.
    for row in rows:
        names = names_for_row(row)
        rid = f"{row['id']}-{row.get('kind', 'api-key')}"
        for ctx, ext, fn in contexts_cycle(SINGLE_CONTEXTS, args.per_provider):
            try:
                v = provider_value(rng, row)
            except Unsupported:
                skipped["value-spec"] += 1
                continue
            text, s, e = fn(rng, names, v)
            add_pos(row["id"], rid, "long-tail", ctx, ext, text, s, e, "provider-table")

    # Dedicated rules.
    for rule in rules:
        if rule["id"].startswith("generic-"):
            continue
        provider = rule_provider(rule)
        family = (RULE_FAMILY.get(rule["id"]) or FILE_FAMILY.get(rule["_stem"])
                  or PROVIDER_FAMILY.get(provider))
        if family is None:
            family = "other"
            unmapped.add(provider)
        regex = re.compile(rust_to_py_regex(rule["pattern"]))
        names = names_for_rule(rule["id"], provider)
        values = []
        for tmpl in rule.get("examples", []):
            try:
                text = expand(tmpl, rng)
            except (Unsupported, ValueError):
                skipped["template"] += 1
                continue
            m = regex.search(text)
            if not m:
                skipped["no-match"] += 1
                continue
            g = "secret" if "secret" in regex.groupindex and m.group("secret") is not None else 0
            s, e = m.span(g)
            bs, be = len(text[:s].encode()), len(text[:e].encode())
            body, fs, fe = assemble([], "", text, "", [])
            add_pos(provider, rule["id"], family, "rule-example", "txt", body, bs, be, "rule")
            values.append(m.group(g))
        # Re-embed fresh values (a new expansion of the examples) in other contexts.
        fresh = []
        for _ in range(args.per_rule * 2):
            if not rule.get("examples") or len(fresh) >= args.per_rule:
                break
            tmpl = rng.choice(rule["examples"])
            try:
                text = expand(tmpl, rng)
            except (Unsupported, ValueError):
                continue
            m = regex.search(text)
            if m:
                fresh.append((reembed_value(rule, regex, m), text, m))
        single_ctx = contexts_cycle(SINGLE_CONTEXTS, len(fresh))
        multi_ctx = contexts_cycle(MULTI_CONTEXTS, len(fresh))
        for i, (val, text, m) in enumerate(fresh):
            if val is None:
                # Part of a structure (a pair, a JWK, a shadow line): a fresh
                # expansion of the rule's own example instead.
                g = "secret" if "secret" in regex.groupindex and m.group("secret") is not None else 0
                bs, be = len(text[:m.start(g)].encode()), len(text[:m.end(g)].encode())
                add_pos(provider, rule["id"], family, "rule-example", "txt", text + "\n", bs, be, "rule")
                continue
            v, a, b = val
            ctx, ext, fn = (multi_ctx if "\n" in v else single_ctx)[i]
            body, s, e = fn(rng, names, v)
            if e - s == len(v.encode()):
                s, e = s + len(v[:a].encode()), s + len(v[:b].encode())
            add_pos(provider, rule["id"], family, ctx, ext, body, s, e, "rule")

    # Negatives: provider names drive the variable names next to non-secrets.
    ROWS.extend(rows)
    all_names = [names_for_row(r) for r in rows] or [Names([["acme"]], [["api", "key"]], "api.acme.com")]
    for i in range(args.negatives):
        kind, fn = NEG_KINDS[i % len(NEG_KINDS)]
        text, ext = fn(rng, rng.choice(all_names))
        rel = write("neg", kind, ext, text)
        labels.append({"type": "neg", "path": rel, "kind": kind})

    with open(os.path.join(out, "labels.jsonl"), "w") as fh:
        for lab in labels:
            fh.write(json.dumps(lab, sort_keys=True) + "\n")
    pos = [lab for lab in labels if lab["type"] == "pos"]
    meta = {
        "seed": args.seed,
        "positives": len(pos),
        "providers": len({lab["provider"] for lab in pos}),
        "provider_table_rows": len(rows),
        "dedicated_rules": len({lab["rule"] for lab in pos if lab["source"] == "rule"}),
        "negatives": len(labels) - len(pos),
        "skipped": skipped,
        "unmapped_providers": sorted(unmapped),
    }
    with open(os.path.join(out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
    print(f"corpus: {meta['positives']} positives over {meta['providers']} providers "
          f"({meta['provider_table_rows']} provider rows, {meta['dedicated_rules']} dedicated rules), "
          f"{meta['negatives']} negatives; skipped {skipped}", file=sys.stderr)
    if unmapped:
        print("providers without a family (counted as 'other'): " + " ".join(sorted(unmapped)),
              file=sys.stderr)


if __name__ == "__main__":
    main()
