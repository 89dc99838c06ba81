#!/usr/bin/env python3
"""Scores secretscan (and peers) on a corpus from scripts/gen_corpus.py.

    python3 scripts/recall_score.py --corpus DIR \
        --ours low=LOW.json --ours medium=MEDIUM.json --ours high=HIGH.json \
        [--gitleaks REPORT.json | --gitleaks-na REASON] \
        [--detect-secrets REPORT.json | --detect-secrets-na REASON] \
        [--timings FILE] [--out table.md]

--ours LEVEL=FILE is secretscan's report (`--format json`, an array, or
jsonl) of a run with `--min-confidence LEVEL`; a bare FILE is one run at
`low`, split by each finding's confidence. A positive counts as found at
level L when a finding of the level-L run overlaps its byte span (same path). gitleaks reports lines and columns (of
its whole match), converted here to byte offsets (1 byte of slack each side);
detect-secrets reports lines only, so it is scored by line. False positives:
the share of negative files with any finding, and, separately, the number
of findings on positive files that overlap no labelled span (plus the share
of positive files holding one). Also printed: recall per family and per
context kind, the 20 worst families/providers and each one's misses by
context, and the providers with zero detections.

Prints a markdown table (also written to --out). Only counts, rule and
provider ids, paths and offsets are ever printed: no secret values, and the
secret fields of the peers' reports are never read into the output.
"""

import argparse
import bisect
import collections
import json
import os
import sys

LEVELS = ["low", "medium", "high"]
RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


def load_labels(corpus):
    pos, neg = [], []
    with open(os.path.join(corpus, "labels.jsonl")) as fh:
        for line in fh:
            lab = json.loads(line)
            (pos if lab["type"] == "pos" else neg).append(lab)
    return pos, neg


def rel(corpus, path):
    return os.path.relpath(os.path.abspath(path), corpus).replace(os.sep, "/")


class LineIndex:
    """Line start offsets of corpus files, loaded on demand."""

    def __init__(self, corpus):
        self.corpus = corpus
        self.cache = {}

    def starts(self, path):
        if path not in self.cache:
            try:
                with open(os.path.join(self.corpus, path), "rb") as fh:
                    data = fh.read()
            except OSError:
                data = b""
            st = [0]
            i = data.find(b"\n")
            while i >= 0:
                st.append(i + 1)
                i = data.find(b"\n", i + 1)
            self.cache[path] = st
        return self.cache[path]

    def offset(self, path, line, col):
        st = self.starts(path)
        line = max(1, min(line, len(st)))
        return st[line - 1] + max(col, 1) - 1

    def line_of(self, path, off):
        return bisect.bisect_right(self.starts(path), off)


def read_findings(path):
    with open(path) as fh:
        text = fh.read()
    t = text.lstrip()
    if t.startswith("["):
        return json.loads(t)
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def load_ours(corpus, path, floor=0):
    """(path -> list of (start, end, rank, rule_id)); findings below `floor` dropped."""
    out = collections.defaultdict(list)
    for f in read_findings(path):
        if "offset" not in f:
            continue
        r = RANK.get(f.get("confidence", "medium"), 1)
        if r < floor:
            continue
        out[rel(corpus, f["path"])].append((f["offset"], f["end"], r, f.get("rule_id", "")))
    return out


def load_gitleaks(corpus, path, idx):
    out = collections.defaultdict(list)
    with open(path) as fh:
        data = json.load(fh) or []
    for f in data:
        p = rel(corpus, f["File"])
        s = idx.offset(p, f["StartLine"], f["StartColumn"]) - 1
        e = idx.offset(p, f.get("EndLine", f["StartLine"]), f["EndColumn"]) + 2
        out[p].append((s, e, 0, f.get("RuleID", "")))
    return out


def load_detect_secrets(corpus, path):
    """(path -> list of line numbers)."""
    out = collections.defaultdict(list)
    with open(path) as fh:
        data = json.load(fh)
    base = data.get("_corpus_base", corpus)
    for fname, results in data.get("results", {}).items():
        p = rel(corpus, os.path.join(base, fname))
        for r in results:
            out[p].append((r["line_number"], r.get("type", "")))
    return out


def pct(k, n):
    return "—" if n == 0 else f"{100.0 * k / n:.1f}%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--ours", action="append", required=True,
                    help="LEVEL=FILE (one per --min-confidence run) or FILE (one run at low)")
    ap.add_argument("--gitleaks")
    ap.add_argument("--gitleaks-na")
    ap.add_argument("--detect-secrets")
    ap.add_argument("--detect-secrets-na")
    ap.add_argument("--timings")
    ap.add_argument("--out")
    args = ap.parse_args()

    corpus = os.path.abspath(args.corpus)
    pos, neg = load_labels(corpus)
    idx = LineIndex(corpus)
    runs = {}
    for spec in args.ours:
        lvl, sep, path = spec.partition("=")
        if sep and lvl in RANK:
            runs[lvl] = load_ours(corpus, path, RANK[lvl])
        else:
            for lvl in LEVELS:
                runs[lvl] = load_ours(corpus, spec, RANK[lvl])
    for lvl in LEVELS:
        if lvl not in runs:
            sys.exit(f"recall_score: no secretscan run for level {lvl}")
    ours = runs["low"]
    pos_spans = collections.defaultdict(list)
    for lab in pos:
        pos_spans[lab["path"]].append((lab["start"], lab["end"]))

    # Columns: (name, predicate(label) -> bool, fp predicate(path) -> bool)
    cols = []

    def ours_found(level):
        fs = runs[level]

        def found(lab):
            return any(s < lab["end"] and e > lab["start"] for s, e, _, _ in fs.get(lab["path"], ()))

        def fp(path):
            return bool(fs.get(path))
        return found, fp, fs

    spans_of = {}
    for lvl in LEVELS:
        f, p, fs = ours_found(lvl)
        cols.append((f"secretscan ≥{lvl}", f, p))
        spans_of[f"secretscan ≥{lvl}"] = fs

    peers_na = {}
    if args.gitleaks:
        gl = load_gitleaks(corpus, args.gitleaks, idx)
        spans_of["gitleaks"] = gl
        cols.append(("gitleaks",
                     lambda lab: any(s < lab["end"] and e > lab["start"] for s, e, _, _ in gl.get(lab["path"], ())),
                     lambda path: bool(gl.get(path))))
    else:
        peers_na["gitleaks"] = args.gitleaks_na or "not run"
    if args.detect_secrets:
        ds = load_detect_secrets(corpus, args.detect_secrets)

        def ds_found(lab):
            lo = idx.line_of(lab["path"], lab["start"])
            hi = idx.line_of(lab["path"], max(lab["start"], lab["end"] - 1))
            return any(lo <= ln <= hi for ln, _ in ds.get(lab["path"], ()))
        cols.append(("detect-secrets", ds_found, lambda path: bool(ds.get(path))))
    else:
        peers_na["detect-secrets"] = args.detect_secrets_na or "not run"

    names = [c[0] for c in cols] + list(peers_na)

    def stray(name):
        """(findings on positive files overlapping no labelled span, files with one)."""
        k, files = 0, 0
        for path, spans in pos_spans.items():
            if name == "detect-secrets":
                lab_lines = set()
                for a, b in spans:
                    lab_lines.update(range(idx.line_of(path, a), idx.line_of(path, max(a, b - 1)) + 1))
                bad = [ln for ln, _ in ds.get(path, ()) if ln not in lab_lines]
            else:
                bad = [1 for s, e, *_ in spans_of[name].get(path, ())
                       if not any(s < b and e > a for a, b in spans)]
            k += len(bad)
            files += bool(bad)
        return k, files
    found = {c[0]: [c[1](lab) for lab in pos] for c in cols}
    fps = {c[0]: [c[2](lab["path"]) for lab in neg] for c in cols}

    lines = []
    w = lines.append
    providers = {lab["provider"] for lab in pos}
    w("# Recall on the generated corpus\n")
    w(f"Corpus: {len(pos)} positives over {len(providers)} providers "
      f"({sum(1 for lab in pos if lab['source'] == 'provider-table')} from "
      f"{len({lab['provider'] for lab in pos if lab['source'] == 'provider-table'})} provider-table rows, "
      f"{sum(1 for lab in pos if lab['source'] == 'rule')} from "
      f"{len({lab['rule'] for lab in pos if lab['source'] == 'rule'})} dedicated rules); "
      f"{len(neg)} negative files.\n")
    meta_path = os.path.join(corpus, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as fh:
            meta = json.load(fh)
        w(f"Seed {meta.get('seed')}; example templates skipped: {meta.get('skipped')}.\n")
    if args.timings and os.path.exists(args.timings):
        with open(args.timings) as fh:
            w("Timings: " + "; ".join(x.strip() for x in fh if x.strip()) + ".\n")
    for name, reason in peers_na.items():
        w(f"{name}: n/a ({reason}).\n")

    def header(first):
        w(f"| {first} | n | " + " | ".join(names) + " |")
        w("|---|---:|" + "---:|" * len(names))

    def row(label, sel):
        n = sum(sel)
        cells = []
        for nm in names:
            if nm in peers_na:
                cells.append("n/a")
            else:
                cells.append(pct(sum(1 for x, s in zip(found[nm], sel) if x and s), n))
        w(f"| {label} | {n} | " + " | ".join(cells) + " |")

    w("## Summary\n")
    w("| tool | recall | FP: negative files flagged | FP: off-span findings on positive files |")
    w("|---|---:|---:|---:|")
    for nm in names:
        if nm in peers_na:
            w(f"| {nm} | n/a | n/a | n/a |")
            continue
        k, files = stray(nm)
        w(f"| {nm} | {pct(sum(found[nm]), len(pos))} | {pct(sum(fps[nm]), len(neg))} "
          f"({sum(fps[nm])}/{len(neg)}) | {k} ({files} files) |")
    w("")

    w("## Recall\n")
    header("subset")
    row("**all positives**", [True] * len(pos))
    for src in ("rule", "provider-table"):
        row(f"source: {src}", [lab["source"] == src for lab in pos])
    w("")
    w("## Recall per family\n")
    header("family")
    for fam in sorted({lab["family"] for lab in pos}):
        row(fam, [lab["family"] == fam for lab in pos])
    w("")
    w("## Recall per context kind\n")
    header("context")
    for ctx in sorted({lab["context"] for lab in pos}):
        row(ctx, [lab["context"] == ctx for lab in pos])
    w("")

    w("## Recall per context kind, dedicated-rule positives only\n")
    header("context")
    for ctx in sorted({lab["context"] for lab in pos if lab["source"] == "rule"}):
        row(ctx, [lab["context"] == ctx and lab["source"] == "rule" for lab in pos])
    w("")

    w("## False positives (share of negative files with any finding)\n")
    w("| negatives | n | " + " | ".join(names) + " |")
    w("|---|---:|" + "---:|" * len(names))

    def fprow(label, sel):
        n = sum(sel)
        cells = ["n/a" if nm in peers_na else
                 pct(sum(1 for x, s in zip(fps[nm], sel) if x and s), n) for nm in names]
        w(f"| {label} | {n} | " + " | ".join(cells) + " |")
    fprow("**all negatives**", [True] * len(neg))
    for kind in sorted({lab["kind"] for lab in neg}):
        fprow(kind, [lab["kind"] == kind for lab in neg])
    strays = {nm: stray(nm) for nm in names if nm not in peers_na}
    npf = len(pos_spans)
    w(f"| findings on positive files off the labelled span (files) | {npf} | " + " | ".join(
        "n/a" if nm in peers_na else f"{strays[nm][0]} ({pct(strays[nm][1], npf)})" for nm in names) + " |")
    w("")

    # Rules firing on negatives (ids only), at low and medium.
    for lvl in ("medium", "low"):
        r = RANK[lvl]
        cnt = collections.Counter()
        for lab in neg:
            for _, _, c, rid in ours.get(lab["path"], ()):
                if c >= r:
                    cnt[rid] += 1
        if cnt:
            w(f"secretscan rules on negatives at ≥{lvl} (findings): " +
              ", ".join(f"`{k}` {v}" for k, v in cnt.most_common(12)) + "\n")

    # Expected rule vs any rule, at medium.
    med = RANK["medium"]
    by_expected = sum(1 for lab in pos if any(
        c >= med and s < lab["end"] and e > lab["start"] and rid == lab["rule"]
        for s, e, c, rid in ours.get(lab["path"], ())))
    w(f"Positives found at ≥medium by the expected rule id (`<id>-<kind>` or the dedicated rule): "
      f"{by_expected} of {len(pos)} ({pct(by_expected, len(pos))}).\n")

    # Worst recall at >=medium: the dedicated-rule families, and the providers.
    med_found = found["secretscan ≥medium"]

    def misses_by_context(sel):
        c = collections.Counter(lab["context"] for lab, x in zip(pos, med_found) if sel(lab) and not x)
        return ", ".join(f"{k} {v}" for k, v in c.most_common(6)) or "—"

    groups = collections.defaultdict(lambda: [0, 0])
    for lab, x in zip(pos, med_found):
        key = ("provider", lab["provider"]) if lab["source"] == "provider-table" else ("rule", lab["rule"])
        groups[key][0] += int(x)
        groups[key][1] += 1
    worst = sorted(groups.items(), key=lambda kv: (kv[1][0] / kv[1][1], -kv[1][1], kv[0]))[:20]
    w("## The 20 worst providers / dedicated rules at ≥medium\n")
    w("| provider or rule | source | found | recall | misses by context |")
    w("|---|---|---:|---:|---|")
    for (src, key), (k, n) in worst:
        sel = (lambda lab, key=key: lab["provider"] == key and lab["source"] == "provider-table") \
            if src == "provider" else (lambda lab, key=key: lab["rule"] == key and lab["source"] == "rule")
        w(f"| {key} | {src} | {k}/{n} | {pct(k, n)} | {misses_by_context(sel)} |")
    w("")
    worst_rules = sorted(((key, kn) for (src, key), kn in groups.items() if src == "rule"),
                         key=lambda kv: (kv[1][0] / kv[1][1], -kv[1][1], kv[0]))[:20]
    w("## The 20 worst dedicated rules at ≥medium\n")
    w("| rule | family | found | recall | misses by context |")
    w("|---|---|---:|---:|---|")
    fam_of = {lab["rule"]: lab["family"] for lab in pos if lab["source"] == "rule"}
    for key, (k, n) in worst_rules:
        w(f"| {key} | {fam_of.get(key, '')} | {k}/{n} | {pct(k, n)} | "
          f"{misses_by_context(lambda lab, key=key: lab['rule'] == key and lab['source'] == 'rule')} |")
    w("")
    fam_rank = collections.defaultdict(lambda: [0, 0])
    for lab, x in zip(pos, med_found):
        fam_rank[lab["family"]][0] += int(x)
        fam_rank[lab["family"]][1] += 1
    w("Families by recall at ≥medium, worst first: " + ", ".join(
        f"{f} {pct(k, n)}" for f, (k, n) in sorted(fam_rank.items(), key=lambda kv: kv[1][0] / kv[1][1])) + "\n")
    w("Misses at ≥medium by context, all positives: " + misses_by_context(lambda lab: True) + "\n")

    prov_hits = collections.defaultdict(int)
    for lab, x in zip(pos, found["secretscan ≥medium"]):
        prov_hits[lab["provider"]] += int(x)
    zero = sorted(p for p, k in prov_hits.items() if k == 0)
    zero_rule = sorted(p for p in zero if any(lab["provider"] == p and lab["source"] == "rule" for lab in pos))
    w(f"## Providers with zero detections at ≥medium: {len(zero)} of {len(prov_hits)}\n")
    if zero_rule:
        w(f"Of these, with a dedicated rule ({len(zero_rule)}): " + ", ".join(zero_rule[:50]) + "\n")
    w("First 50: " + ", ".join(zero[:50]) + ("" if len(zero) <= 50 else ", …") + "\n")

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
