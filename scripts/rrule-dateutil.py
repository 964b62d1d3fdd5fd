#!/usr/bin/python3
"""python-dateutil's occurrences of RRULEs: the independent reference for confgate's RRULE windows.

Used by test/windows/rrule-dateutil.test.ts (Debian's python3-dateutil, installed by scripts/pretest.sh), and by
hand: echo '[{"id": "a", "dtstart": "20240229T090000", "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
"from": "20240101T000000", "to": "20330101T000000"}]' | /usr/bin/python3 scripts/rrule-dateutil.py

Input on stdin: a JSON list of cases with floating local times (YYYYMMDDTHHMMSS): `dtstart`, `rrule` (the RRULE
value), `from`, `to` and optional `limit` (default 100). Output on stdout: {id: {"first": ..., "occurrences": [...]}}
where `first` is the rule's first occurrence at or after `dtstart` (null when it never fires) and `occurrences` are
those in [from, to] of the same rule started at `first` (at most `limit`), or {id: {"error": "..."}}.
"""
import json
import sys
from datetime import datetime

from dateutil.rrule import rrulestr

FMT = "%Y%m%dT%H%M%S"


def expand(case):
    dtstart = datetime.strptime(case["dtstart"], FMT)
    first = rrulestr("RRULE:" + case["rrule"], dtstart=dtstart).after(dtstart, inc=True)
    if first is None:
        return {"first": None, "occurrences": []}
    rule = rrulestr("RRULE:" + case["rrule"], dtstart=first)
    start = datetime.strptime(case["from"], FMT)
    end = datetime.strptime(case["to"], FMT)
    out = []
    for occ in rule.xafter(start, inc=True):
        if occ > end or len(out) >= case.get("limit", 100):
            break
        out.append(occ.strftime(FMT))
    return {"first": first.strftime(FMT), "occurrences": out}


def main():
    result = {}
    for case in json.load(sys.stdin):
        try:
            result[case["id"]] = expand(case)
        except Exception as err:  # a rule dateutil rejects
            result[case["id"]] = {"error": str(err)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
