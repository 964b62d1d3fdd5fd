"""Reference p-values for confgate's canary judge (test/analysis/scipy.test.ts).

Reads JSON cases from stdin: [{"x": [...], "y": [...], "alternative": "greater", "method": "exact"}, ...]
Writes JSON: [{"u": U1, "p": p}, ...] computed by scipy.stats.mannwhitneyu (use_continuity=True).
Run with Debian's python3 and python3-scipy: /usr/bin/python3 scripts/scipy-mannwhitney.py < cases.json
"""
import json
import sys

from scipy.stats import mannwhitneyu

cases = json.load(sys.stdin)
out = []
for c in cases:
    r = mannwhitneyu(c["x"], c["y"], alternative=c["alternative"], method=c["method"], use_continuity=True)
    out.append({"u": float(r.statistic), "p": float(r.pvalue)})
json.dump(out, sys.stdout)
