# SPDX-License-Identifier: MIT
# The OTLP/JSON trace ocifs writes (--trace FILE, /.ocifs/trace.json),
# for the tests (cli t25, mount t17):
#   otlp.py check TRACE [SPAN-NAME...]  the OTLP/JSON encoding rules; prints
#       "ok" or the first problem; every SPAN-NAME must be some span's name
#   otlp.py attr TRACE SPAN KEY         the values of attribute KEY on spans SPAN
#   otlp.py skips TRACE                 path<TAB>by<TAB>reason of every skip event
#   otlp.py status TRACE SPAN           the status code of spans SPAN (0: unset)
import json, re, sys


class Bad(Exception):
    pass


def bad(m):
    raise Bad(m)


DEC = re.compile(r"^(0|[1-9][0-9]*)$")


def vals(al, where):
    for a in al:
        v = a["value"]
        if len(v) != 1:
            bad("%s: value %r" % (where, v))
        k, x = list(v.items())[0]
        if k == "intValue" and not (isinstance(x, str) and DEC.match(x.lstrip("-"))):
            bad("%s: intValue %r is not a decimal string" % (where, x))
        if k == "stringValue" and not isinstance(x, str):
            bad("%s: stringValue %r" % (where, x))
        if k not in ("intValue", "stringValue"):
            bad("%s: kind %s" % (where, k))


def check(raw, want):
    try:
        d = json.loads(raw.decode("utf-8"))  # strict: valid UTF-8 only
    except Exception as e:
        bad("not UTF-8 JSON: %s" % e)
    rs = d["resourceSpans"]
    if len(rs) != 1:
        bad("resourceSpans: %d" % len(rs))
    attrs = {a["key"]: a["value"] for a in rs[0]["resource"]["attributes"]}
    if attrs.get("service.name") != {"stringValue": "ocifs"}:
        bad("service.name")
    ss = rs[0]["scopeSpans"]
    if ss[0]["scope"]["name"] != "ocifs":
        bad("scope name")
    spans = ss[0]["spans"]
    if not spans:
        bad("no spans")
    ids = set()
    tid = spans[0]["traceId"]
    for s in spans:
        if not re.match(r"^[0-9a-f]{32}$", s["traceId"]) or s["traceId"] == "0" * 32:
            bad("traceId %r" % s["traceId"])
        if s["traceId"] != tid:
            bad("two trace ids")
        if not re.match(r"^[0-9a-f]{16}$", s["spanId"]) or s["spanId"] == "0" * 16:
            bad("spanId %r" % s["spanId"])
        if s["spanId"] in ids:
            bad("spanId twice: %s" % s["spanId"])
        ids.add(s["spanId"])
        for k in ("startTimeUnixNano", "endTimeUnixNano"):
            if not (isinstance(s[k], str) and DEC.match(s[k])):
                bad("%s %r" % (k, s[k]))
        if int(s["startTimeUnixNano"]) > int(s["endTimeUnixNano"]):
            bad("%s ends before it starts" % s["name"])
        if int(s["startTimeUnixNano"]) < 1500000000 * 10**9:
            bad("%s: not unix nanoseconds" % s["name"])
        if s["kind"] != 1:
            bad("kind")
        vals(s["attributes"], s["name"])
        for e in s["events"]:
            if not DEC.match(e["timeUnixNano"]):
                bad("event time")
            vals(e["attributes"], s["name"] + " event")
        st = s["status"]
        if st and st.get("code") not in (1, 2):
            bad("status %r" % st)
    for s in spans:
        p = s["parentSpanId"]
        if p != "" and p not in ids:
            bad("%s: parent %s is no span" % (s["name"], p))
    names = {s["name"] for s in spans}
    for n in want:
        if n not in names:
            bad("no span %r (have %s)" % (n, sorted(names)))


def av(a):
    return list(a["value"].values())[0]


def main():
    what, path = sys.argv[1], sys.argv[2]
    raw = open(path, "rb").read()
    if what == "check":
        try:
            check(raw, sys.argv[3:])
            print("ok")
        except (Bad, KeyError, TypeError, ValueError) as e:
            print(e)
        return
    spans = json.loads(raw.decode("utf-8"))["resourceSpans"][0]["scopeSpans"][0]["spans"]
    if what == "attr":
        for s in spans:
            if s["name"] == sys.argv[3]:
                for a in s["attributes"]:
                    if a["key"] == sys.argv[4]:
                        print(av(a))
    elif what == "skips":
        for s in spans:
            for e in s["events"]:
                if e["name"] == "skip":
                    a = {x["key"]: av(x) for x in e["attributes"]}
                    print("%s\t%s\t%s" % (a["ocifs.path"], a["ocifs.by"], a["ocifs.reason"]))
    elif what == "status":
        for s in spans:
            if s["name"] == sys.argv[3]:
                print(s["status"].get("code", 0))


main()
