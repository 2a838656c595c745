#!/usr/bin/env python3
"""otlp_check.py — checks of the OTLP/HTTP JSON bodies the collector sent (stored by receiver.c as DIR/*.json).

  otlp_check.py structure DIR [MAX_SHAPES]     every body follows the OTLP JSON mapping
  otlp_check.py resource DIR SYSID             resource attributes; SYSID: the server's system identifier
  otlp_check.py value DIR METRIC NEEDLE        sum over the points whose db.query.text contains NEEDLE
                                               (asInt of a sum, count of a histogram)
  otlp_check.py text DIR NEEDLE HEX            every db.query.text containing NEEDLE is the statement
                                               text HEX (UTF-8, hex) cut to 1024 bytes between characters
  otlp_check.py findings DIR KIND=N...         the last body's findings gauge: exactly these open
                                               counts (every detector kind, 0 unless given)
  otlp_check.py match DIR SNAPDIR PBDUMP MAX   per interval, the OTLP totals equal the snapshot's, and the
                                               points are the MAX shapes with the most time, plus "other"
Prints what it found; exit 1 with the reason on the first mismatch.
"""
import glob
import json
import os
import re
import subprocess
import sys

PREFIX = "db.client.pg_insights."
SUMS = {"calls": "{call}", "rows": "{row}", "shared_blocks_read": "{block}", "shared_blocks_hit": "{block}"}
UNITS = dict({PREFIX + k: v for k, v in SUMS.items()}, **{PREFIX + "duration": "ms", PREFIX + "findings": "{finding}"})
KINDS = ["n_plus_one", "missing_index", "offset_pagination", "repeated_query", "over_fetching", "large_nested_read", "frequent_errors"]
DIGITS = re.compile(r"^-?[0-9]+$")


class Bad(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Bad(what)


def bodies(d):
    files = sorted(glob.glob(os.path.join(d, "*.json")))
    out = []
    for f in files:
        with open(f, "rb") as fh:
            raw = fh.read()
        # strict: raw control characters in strings, NaN or bad UTF-8 fail here
        out.append((f, json.loads(raw.decode("utf-8"))))
    return out


def attrs(lst, where):
    need(isinstance(lst, list), where + ": attributes is not a list")
    out = {}
    for a in lst:
        need(set(a) == {"key", "value"}, where + ": attribute fields %s" % sorted(a))
        v = a["value"]
        need(isinstance(v, dict) and len(v) == 1, where + ": attribute value %r" % (v,))
        (t, x), = v.items()
        if t == "stringValue":
            need(isinstance(x, str), where + ": stringValue not a string")
        elif t == "intValue":
            need(isinstance(x, str) and DIGITS.match(x), where + ": intValue %r is not an int64 string" % (x,))
            x = int(x)
        else:
            raise Bad(where + ": attribute type " + t)
        need(a["key"] not in out, where + ": attribute %s twice" % a["key"])
        out[a["key"]] = x
    return out


def u64(s, where):
    need(isinstance(s, str) and re.match(r"^[0-9]+$", s), where + ": %r is not a uint64 string" % (s,))
    return int(s)


def metrics_of(body, where):
    rm = body["resourceMetrics"]
    need(isinstance(rm, list) and len(rm) == 1, where + ": one resourceMetrics")
    sm = rm[0]["scopeMetrics"]
    need(isinstance(sm, list) and len(sm) == 1, where + ": one scopeMetrics")
    return rm[0], sm[0]


def points(body):
    """(metric name, point, attributes) of every data point"""
    _, sm = metrics_of(body, "")
    for m in sm["metrics"]:
        for kind in ("sum", "histogram", "gauge"):
            if kind in m:
                for p in m[kind]["dataPoints"]:
                    yield m["name"], p, attrs(p["attributes"], m["name"])


def check_structure(d, max_shapes=None):
    bs = bodies(d)
    need(bs, "no body in " + d)
    npoints = 0
    for f, b in bs:
        w = os.path.basename(f)
        need(set(b) == {"resourceMetrics"}, w + ": top-level fields %s" % sorted(b))
        rm, sm = metrics_of(b, w)
        ra = attrs(rm["resource"]["attributes"], w + " resource")
        need(ra.get("service.name") == "pg_insights_collector", w + ": service.name")
        need(isinstance(ra.get("service.version"), str) and ra["service.version"], w + ": service.version")
        need(isinstance(ra.get("postgresql.system_identifier"), str), w + ": system identifier must be a string")
        need(sm["scope"].get("name") == "pg_insights_collector" and sm["scope"].get("version"), w + ": scope")
        names = [m["name"] for m in sm["metrics"]]
        need(len(names) == len(set(names)), w + ": a metric twice")
        need(names, w + ": no metric (empty envelope)")
        for m in sm["metrics"]:
            n = m["name"]
            need(n in UNITS, w + ": unknown metric " + n)
            need(m.get("unit") == UNITS[n], w + ": unit of %s: %r" % (n, m.get("unit")))
            need(isinstance(m.get("description"), str) and m["description"], w + ": description of " + n)
            types = [k for k in ("sum", "histogram", "gauge") if k in m]
            want = "histogram" if n.endswith(".duration") else "gauge" if n.endswith(".findings") else "sum"
            need(types == [want], w + ": %s is %s, want %s" % (n, types, want))
            data = m[want]
            if want != "gauge":
                need(data.get("aggregationTemporality") == 1, w + ": %s not DELTA (1)" % n)
            if want == "sum":
                need(data.get("isMonotonic") is True, w + ": %s isMonotonic not true" % n)
            pts = data["dataPoints"]
            need(pts, w + ": %s has no data point" % n)
            keys = set()
            for p in pts:
                a = attrs(p["attributes"], w + " " + n)
                need(a.get("db.system") == "postgresql", w + ": db.system")
                need(isinstance(a.get("db.namespace"), str) and a["db.namespace"], w + ": db.namespace")
                t = u64(p.get("timeUnixNano"), w + " timeUnixNano")
                need(t > 1e18, w + ": timeUnixNano %d is not in nanoseconds" % t)
                if want != "gauge":
                    s = u64(p.get("startTimeUnixNano"), w + " startTimeUnixNano")
                    need(0 < s <= t, w + ": start %d after time %d" % (s, t))
                if want == "gauge":
                    need(set(a) == {"db.system", "db.namespace", "pg_insights.finding.kind"}, w + ": gauge attributes %s" % sorted(a))
                    need(u64(p.get("asInt"), w + " gauge asInt") >= 0, w)
                    key = a["pg_insights.finding.kind"]
                else:
                    sid = a.get("pg_insights.shape_id")
                    need(isinstance(sid, str) and (sid == "other" or DIGITS.match(sid)), w + ": shape_id %r" % (sid,))
                    if sid == "other":
                        need(set(a) == {"db.system", "db.namespace", "pg_insights.shape_id"}, w + ": other's attributes %s" % sorted(a))
                    else:
                        need(isinstance(a.get("db.user"), int), w + ": db.user (the role's oid) missing")
                        txt = a.get("db.query.text")
                        need(txt is None or len(txt.encode("utf-8")) <= 1024, w + ": db.query.text over 1024 bytes")
                    key = (sid, a.get("db.user"))
                if want == "sum":
                    need(u64(p.get("asInt"), w + " asInt") >= 0, w)
                    need("asDouble" not in p, w + ": asDouble in an int sum")
                if want == "histogram":
                    c = u64(p.get("count"), w + " count")
                    need(isinstance(p.get("sum"), (int, float)) and p["sum"] >= 0, w + ": histogram sum")
                    bc, eb = p.get("bucketCounts"), p.get("explicitBounds")
                    need(isinstance(bc, list) and isinstance(eb, list), w + ": bucketCounts/explicitBounds missing")
                    need(len(bc) == len(eb) + 1, w + ": %d buckets for %d bounds" % (len(bc), len(eb)))
                    need(sum(u64(x, w + " bucketCounts") for x in bc) == c, w + ": buckets do not add up to count")
                    need(all(isinstance(x, (int, float)) for x in eb) and eb == sorted(set(eb)), w + ": explicitBounds")
                need(key not in keys, w + ": two points of %s for %s" % (n, key))
                keys.add(key)
                npoints += 1
            if max_shapes is not None and want != "gauge":
                ind = [k for k in keys if k[0] != "other"]
                need(len(ind) <= max_shapes, w + ": %d shapes in %s, --otlp-max-shapes %d" % (len(ind), n, max_shapes))
    print("%d bodies, %d data points" % (len(bs), npoints))


def check_resource(d, sysid):
    for f, b in bodies(d):
        rm, _ = metrics_of(b, f)
        ra = attrs(rm["resource"]["attributes"], f)
        need(ra["postgresql.system_identifier"] == sysid, f + ": system identifier %r, want %r" % (ra["postgresql.system_identifier"], sysid))
        need(ra.get("service.version") == "1.0", f + ": service.version %r" % ra.get("service.version"))
        need(isinstance(ra.get("server.address"), str) and ra["server.address"], f + ": server.address")
        need(isinstance(ra.get("server.port"), int) and 0 < ra["server.port"] < 65536, f + ": server.port")
    print("ok")


def value(d, metric, needle):
    total = 0
    for _, b in bodies(d):
        for n, p, a in points(b):
            if n == PREFIX + metric and needle in (a.get("db.query.text") or ""):
                total += int(p["count"] if "count" in p else p["asInt"])
    print(total)


def check_text(d, needle, hexed):
    full = bytes.fromhex(hexed)
    want = full[:1024].decode("utf-8", "ignore")
    need(len(full) > 1024, "the statement text is only %d bytes: nothing to cut" % len(full))
    need(full[1024] & 0xC0 == 0x80, "the statement text should have a character across byte 1024")
    seen = 0
    for f, b in bodies(d):
        for n, p, a in points(b):
            t = a.get("db.query.text")
            if t is not None and needle in t:
                need(t == want, "%s %s: text %r..., want %r..." % (f, n, t[-40:], want[-40:]))
                need(a.get("db.operation.name") == "SELECT", f + ": db.operation.name %r" % a.get("db.operation.name"))
                seen += 1
    need(seen > 0, "no point with " + needle)
    print("%d points, %d bytes of %d" % (seen, len(want.encode("utf-8")), len(full)))


def check_findings(d, specs):
    want = {k: 0 for k in KINDS}
    for s in specs:
        k, v = s.split("=")
        want[k] = int(v)
    f, b = bodies(d)[-1]
    got = {a["pg_insights.finding.kind"]: int(p["asInt"]) for m, p, a in points(b) if m == PREFIX + "findings"}
    need(got == want, "%s: findings gauge %s, want %s" % (f, got, want))
    print("ok")


def snapshots(snapdir, pbdump):
    out = {}
    for f in sorted(glob.glob(os.path.join(snapdir, "*.pb"))):
        s = json.loads(subprocess.run([pbdump, "--json", f], check=True, capture_output=True).stdout)
        out[(int(s["interval_start_us"]), int(s["interval_end_us"]))] = s
    return out


def check_match(d, snapdir, pbdump, max_shapes):
    snaps = snapshots(snapdir, pbdump)
    matched = others = 0
    used = set()
    for f, b in bodies(d):
        w = os.path.basename(f)
        got = {}
        ind = {}
        interval = None
        for n, p, a in points(b):
            if n.endswith(".findings"):
                continue
            iv = (int(p["startTimeUnixNano"]) // 1000, int(p["timeUnixNano"]) // 1000)
            need(interval in (None, iv), w + ": points of different intervals")
            interval = iv
            short = n[len(PREFIX):]
            if short == "duration":
                got["count"] = got.get("count", 0) + int(p["count"])
                got["ms"] = got.get("ms", 0.0) + p["sum"]
            else:
                got[short] = got.get(short, 0) + int(p["asInt"])
            sid = a["pg_insights.shape_id"]
            if sid == "other":
                others += short == "calls"
            elif short == "calls":
                ind[(int(sid), a["db.user"])] = True
        if interval is None:
            continue  # findings only: an interval without statements
        need(interval in snaps, w + ": no snapshot of the interval %s" % (interval,))
        used.add(interval)
        s = snaps[interval]
        merged = {}
        for sh in s.get("shapes", []):
            k = (int(sh["shape_id"]), int(sh.get("userid", 0)))
            t = merged.setdefault(k, {"calls": 0, "rows": 0, "shared_blocks_read": 0, "shared_blocks_hit": 0, "ms": 0.0})
            t["calls"] += int(sh.get("calls", 0))
            t["rows"] += int(sh.get("rows", 0))
            t["shared_blocks_read"] += int(sh.get("shared_blks_read", 0))
            t["shared_blocks_hit"] += int(sh.get("shared_blks_hit", 0))
            t["ms"] += float(sh.get("total_time_ms", 0))
        for key in ("calls", "rows", "shared_blocks_read", "shared_blocks_hit"):
            want = sum(t[key] for t in merged.values())
            need(got.get(key, 0) == want, "%s: %s %d, the snapshot says %d" % (w, key, got.get(key, 0), want))
        want_ms = sum(t["ms"] for t in merged.values())
        need(got.get("count") == got.get("calls"), w + ": duration count %s != calls %s" % (got.get("count"), got.get("calls")))
        need(abs(got.get("ms", 0.0) - want_ms) <= 1e-6 * max(1.0, want_ms), "%s: duration sum %r, the snapshot says %r" % (w, got.get("ms"), want_ms))
        # the points are the max_shapes with the most time (when no tie at the cut), then "other"
        order = sorted(merged, key=lambda k: -merged[k]["ms"])
        need(len(ind) == min(max_shapes, len(merged)), "%s: %d individual shapes of %d, max %d" % (w, len(ind), len(merged), max_shapes))
        if len(order) > max_shapes and (max_shapes == 0 or merged[order[max_shapes - 1]]["ms"] != merged[order[max_shapes]]["ms"]):
            need(set(ind) == set(order[:max_shapes]), "%s: exported %s, the most time: %s" % (w, sorted(ind), order[:max_shapes]))
        matched += 1
    # and every interval with statements was exported
    for iv, s in snaps.items():
        if s.get("shapes") and iv not in used:
            raise Bad("interval %s of a snapshot with %d shapes has no OTLP body" % (iv, len(s["shapes"])))
    need(matched > 0, "no OTLP body with statements")
    print("%d intervals match, %d with an \"other\" point" % (matched, others))


def main(argv):
    try:
        cmd = argv[1]
        if cmd == "structure":
            check_structure(argv[2], int(argv[3]) if len(argv) > 3 else None)
        elif cmd == "resource":
            check_resource(argv[2], argv[3])
        elif cmd == "value":
            value(argv[2], argv[3], argv[4])
        elif cmd == "text":
            check_text(argv[2], argv[3], argv[4])
        elif cmd == "findings":
            check_findings(argv[2], argv[3:])
        elif cmd == "match":
            check_match(argv[2], argv[3], argv[4], int(argv[5]))
        else:
            raise Bad("unknown command " + cmd)
    except (Bad, KeyError, ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as e:
        print("otlp_check %s: %s: %s" % (argv[1] if len(argv) > 1 else "", type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
