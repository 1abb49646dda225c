#!/usr/bin/env python3
"""Scores a `koseki identify` TSV against bench truth: prints top-1 / top-10 accuracy (a
candidate is right when its UCS is the drawn character's code point, any IVS), and the
score distribution of right and wrong rank-1 candidates (used to calibrate the levels)."""
import csv, sys

def main(tsv, truth_path, label):
    truth = {}
    with open(truth_path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            truth[r["code"]] = r["ucs"]
    cands = {}
    with open(tsv, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            cands.setdefault(r["code"], []).append(r)
    n = len(truth)
    top1 = top10 = 0
    right, wrong, levels = [], [], {}
    for code, ucs in truth.items():
        rows = sorted(cands.get(code, []), key=lambda r: int(r["rank"]))
        if rows and rows[0]["ucs"] == ucs:
            top1 += 1
            right.append(float(rows[0]["score"]))
        elif rows:
            wrong.append(float(rows[0]["score"]))
        if any(r["ucs"] == ucs for r in rows[:10]):
            top10 += 1
        if rows:
            levels[rows[0]["level"]] = levels.get(rows[0]["level"], 0) + 1
    def q(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
    print(f"{label}: n={n} top-1 {top1 / n:.3f} top-10 {top10 / n:.3f} rank-1 levels {levels}")
    print(f"{label}: rank-1 score right p5 {q(right, .05):.3f} p50 {q(right, .5):.3f}; wrong p50 {q(wrong, .5):.3f} p95 {q(wrong, .95):.3f}")

if __name__ == "__main__":
    main(*sys.argv[1:4])
