#!/usr/bin/env bash
# End-to-end test of `simulate --metrics` with the real Prometheus tools, installed from the OS
# packages (Debian's `prometheus` brings `prometheus` and `promtool`; the package's own service
# is not started: policy-rc.d denies it, and this test runs its own server).
#
# It runs a short stage-3 scenario with --metrics and --json, lints the last point of every
# series with `promtool check metrics`, backfills the file with
# `promtool tsdb create-blocks-from openmetrics`, starts a Prometheus server on 127.0.0.1 (a
# free port, the backfilled folder as its storage) in the background, waits until it is ready,
# queries it over the HTTP API at the end of the measured window, and compares the answers with
# the run's own JSON (per-instance series included), and runs every query and variable of
# docs/grafana-dashboard.json as Grafana would; the server is stopped by its pid on exit.
# Usage: scripts/prometheus-test.sh [SIMULATE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=$(realpath "${1:-target/release/simulate}")
WORK=$(mktemp -d)
PROM_PID=
cleanup() {
  if [ -n "$PROM_PID" ]; then
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
t0=$(date +%s%N); ms() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: prometheus is not installed and installing it needs root (apt-get install prometheus)"; exit 1; }
  echo "installing prometheus"
  # Keep the package from starting its own service where one could start.
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
  echo "installed in $(ms "$t0")"
fi
promtool --version 2>&1 | head -1

# The run: stage 3 (a cache, a database, several services), 60 s with 10 s of warm-up, 1 s
# series. The epoch is a recent whole hour, so Prometheus sees ordinary recent data.
WARMUP=10; DURATION=60
EPOCH=$(( ($(date +%s) - 86400) / 3600 * 3600 ))
ts=$(date +%s%N)
"$SIM" scenarios/stage3.toml --set run.duration=${DURATION}s --set run.warmup=${WARMUP}s \
  --set run.series_interval=1s --trace-epoch "$EPOCH" \
  --metrics "$WORK/run.om" --json "$WORK/run.json" >/dev/null
echo "run: $(wc -l <"$WORK/run.om") lines of OpenMetrics in $(ms "$ts")"

# 1. promtool check metrics reads the Prometheus text format (no timestamps, no # UNIT/# EOF):
# lint the last point of every series in that form.
python3 - "$WORK/run.om" >"$WORK/last.prom" <<'EOF'
import sys
fams, last, order = {}, {}, []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line == "# EOF" or line.startswith("# UNIT "):
        continue
    if line.startswith("# TYPE ") or line.startswith("# HELP "):
        _, kw, name, rest = line.split(" ", 3)
        cur = name
        fams.setdefault(name, {})[kw] = rest
        if name not in order:
            order.append(name)
        continue
    series, value, _ts = line.rsplit(" ", 2)
    last.setdefault(cur, {})[series] = value
for name in order:
    f = fams[name]
    shown = name + "_total" if f["TYPE"] == "counter" else name
    print(f"# HELP {shown} {f['HELP']}")
    print(f"# TYPE {shown} {f['TYPE']}")
    for series, value in last.get(name, {}).items():
        print(f"{series} {value}")
EOF
if ! lint=$(promtool check metrics <"$WORK/last.prom" 2>&1); then
  echo "FAIL: promtool check metrics:"; echo "$lint"; exit 1
fi
echo "ok: promtool check metrics: no problems ($(grep -vc '^#' "$WORK/last.prom") series)"

# 2. Backfill: promtool must accept the file as it is.
ts=$(date +%s%N)
if ! out=$(promtool tsdb create-blocks-from openmetrics "$WORK/run.om" "$WORK/tsdb" 2>&1); then
  echo "FAIL: promtool tsdb create-blocks-from openmetrics:"; echo "$out"; exit 1
fi
echo "ok: promtool tsdb create-blocks-from openmetrics accepted it ($(ms "$ts")):"
echo "$out" | sed 's/^/    /'

# 3. A Prometheus server over the backfilled blocks, on a free loopback port.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' >"$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$PORT" \
  --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
URL="http://127.0.0.1:$PORT"
ts=$(date +%s%N)
for _ in $(seq 1 150); do
  curl -sf --max-time 1 "$URL/-/ready" >/dev/null 2>&1 && break
  kill -0 "$PROM_PID" 2>/dev/null || { echo "FAIL: prometheus exited:"; tail -20 "$WORK/prometheus.log"; exit 1; }
  sleep 0.2
done
curl -sf --max-time 1 "$URL/-/ready" >/dev/null || { echo "FAIL: prometheus not ready after 30 s"; tail -20 "$WORK/prometheus.log"; exit 1; }
echo "ok: prometheus ready on 127.0.0.1:$PORT (pid $PROM_PID) in $(ms "$ts")"

# 4. Queries at the end of the measured window against the JSON. The window's series buckets
# end at EPOCH+WARMUP+1 ... EPOCH+DURATION: a range of (DURATION-WARMUP-0.5) s ending at T
# holds exactly their samples; `offset` differences of counters cover exactly those buckets.
python3 - "$URL" "$WORK/run.json" "$EPOCH" "$WARMUP" "$DURATION" <<'EOF'
import json, sys, urllib.error, urllib.parse, urllib.request
url, result, epoch, warmup, duration = sys.argv[1], json.load(open(sys.argv[2])), *map(int, sys.argv[3:])
T = epoch + duration
W = duration - warmup
R = f"{W * 1000 - 500}ms"
fails = []

def query(q, at=T):
    u = f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": at})
    try:
        body = json.load(urllib.request.urlopen(u, timeout=10))
    except urllib.error.HTTPError as e:
        sys.exit(f"FAIL: {q} at {at}: {e}: {e.read().decode()}")
    res = body["data"]["result"]
    if len(res) != 1:
        sys.exit(f"FAIL: {q} at {at}: {len(res)} series: {res}")
    return float(res[0]["value"][1])

def check(what, got, want, ok, why):
    print(f"{'ok' if ok else 'FAIL'}: {what}: prometheus {got:.6g}, json {want:.6g} ({why})")
    if not ok:
        fails.append(what)

# The histogram's bounds (seconds), as the exporter writes them.
les = sorted({float(l.split('le="')[1].split('"')[0]) for l in open(sys.argv[2].replace("run.json", "run.om"))
              if '_bucket{' in l and 'le="+Inf"' not in l})

def bucket_of(v):
    lo = 0.0
    for le in les:
        if v <= le:
            return lo, le
        lo = le
    return lo, float("inf")

def quantile_check(name, q, want_ms):
    got = query(q)
    want = want_ms / 1e3
    lo, hi = bucket_of(got)
    # The estimate interpolates inside one `le` bucket; the true p99 lies in the same bucket,
    # give or take the half-width of a series histogram bucket (1.5%) at its edges.
    ok = lo * 0.985 <= want <= hi * 1.015
    check(name, got, want, ok, f"same le bucket ({lo:g}, {hi:g}] s, {100 * (got - want) / want:+.1f}%")

p99 = result["latency_ms"]["p99"]
quantile_check("p99 over the window, rate()",
               f'histogram_quantile(0.99, sum by (le) (rate(archsim_request_duration_seconds_bucket{{class="all"}}[{R}])))', p99)
quantile_check("p99 over the window, counter difference",
               f'histogram_quantile(0.99, sum by (le) (archsim_request_duration_seconds_bucket{{class="all"}} - archsim_request_duration_seconds_bucket{{class="all"}} offset {W}s))', p99)
quantile_check("p50 over the window, rate()",
               f'histogram_quantile(0.5, sum by (le) (rate(archsim_request_duration_seconds_bucket{{class="all"}}[{R}])))', result["latency_ms"]["p50"])
# A class's own series (several classes: each has its histogram beside class="all").
quantile_check("read p99 over the window, rate()",
               f'histogram_quantile(0.99, sum by (le) (rate(archsim_request_duration_seconds_bucket{{class="read"}}[{R}])))',
               result["classes"]["read"]["latency_ms"]["p99"])

# Mean latency from _sum / _count: each value is taken at its series histogram bucket's
# midpoint (within 1.5%), and the window is by completion rather than arrival time.
A = '{class="all"}'
got = query(f'(archsim_request_duration_seconds_sum{A} - archsim_request_duration_seconds_sum{A} offset {W}s)'
            f' / (archsim_request_duration_seconds_count{A} - archsim_request_duration_seconds_count{A} offset {W}s)')
want = result["latency_ms"]["mean"] / 1e3
check("mean latency", got, want, abs(got - want) <= 0.02 * want, f"{100 * (got - want) / want:+.2f}%, within 2%")

# Requests completed in the window: by completion time here, by arrival time in the JSON;
# they differ by the requests in flight at the window's two edges.
got = query(f'archsim_requests_total{A} - archsim_requests_total{A} offset {W}s')
want = sum(c["succeeded"] + c["failed"] for c in result["classes"].values())
check("requests completed in the window", got, want, abs(got - want) <= 0.01 * want, f"{100 * (got - want) / want:+.3f}%, within 1%")

# Utilization: the mean of the window's per-interval gauges is the window's utilization
# (equal-width intervals), up to floating-point rounding.
for comp in ["app", "db"]:
    got = query(f'avg_over_time(archsim_component_utilization_ratio{{component="{comp}"}}[{R}])')
    want = result["components"][comp]["utilization"]
    check(f"{comp} utilization over the window", got, want, abs(got - want) <= 1e-9 + 1e-9 * want, "equal")

# Per instance (--metrics writes archsim_instance_* for components of 2 to 16 instances): an
# instance's mean over the window is its JSON per_instance utilization, and the mean of the
# instances' gauges is the component's (a fixed count: equal weights).
for comp, inst in [("orders", 1), ("app", 7)]:
    got = query(f'avg_over_time(archsim_instance_utilization_ratio{{component="{comp}",instance="{inst}"}}[{R}])')
    want = result["components"][comp]["per_instance"]["utilization"][inst]
    check(f"{comp}[{inst}] utilization over the window", got, want, abs(got - want) <= 1e-9 + 1e-9 * want, "equal")
got = query(f'avg_over_time(avg by (component) (archsim_instance_utilization_ratio{{component="orders"}})[{R}:1s])')
want = result["components"]["orders"]["utilization"]
check("orders utilization as the mean of its instances", got, want, abs(got - want) <= 1e-9 + 1e-9 * want, "equal")

# Per-interval gauges at a time inside the run: exactly the JSON series' value of that interval.
i = (warmup + duration) // 2
at = epoch + i + 1
got = query('archsim_request_rate_per_second{class="all"}', at)
check(f"request rate of interval {i}", got, result["series"]["rps"][i], got == result["series"]["rps"][i], "identical")
got = query('archsim_cache_hit_ratio{component="cache"}', at)
want = result["components"]["cache"]["series"]["hit_ratio"][i]
check(f"cache hit ratio of interval {i}", got, want, got == want, "identical")
got = query('archsim_component_queue_length{component="db"}', at)
want = result["components"]["db"]["series"]["queue"][i]
check(f"db queue length of interval {i}", got, want, got == want, "identical")

if fails:
    sys.exit(f"FAIL: {len(fails)} comparisons: {', '.join(fails)}")
EOF

# 5. The shipped Grafana dashboard is JSON, and every metric it queries is in the file.
python3 - docs/grafana-dashboard.json "$WORK/run.om" <<'EOF'
import json, re, sys
dash = json.load(open(sys.argv[1]))
names = {l.split("{")[0].split(" ")[0] for l in open(sys.argv[2]) if l.startswith("archsim_")}
exprs = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            exprs.append(x) if k == "expr" and isinstance(x, str) else walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(dash)
used = {m for e in exprs for m in re.findall(r"archsim_[a-z_]+", e)}
# Replication lag exists only for databases with replicas: not in this scenario.
missing = used - names - {"archsim_replication_lag_seconds", "archsim_consumer_lag_seconds"}
if missing:
    sys.exit(f"FAIL: the dashboard queries metrics the run did not write: {sorted(missing)}")
print(f"ok: docs/grafana-dashboard.json: {len(dash['panels'])} panels, {len(exprs)} queries over {len(used)} metrics, all exported")
EOF
# 6. Every query of the dashboard runs on the real server as Grafana would send it (its
# variables at "All", $__rate_interval at 4 scrape intervals, over the measured window): each
# must parse and, where the run exported its metrics, return series with points; each
# template variable's label_values() must list values.
python3 - docs/grafana-dashboard.json "$WORK/run.om" "$URL" "$EPOCH" "$WARMUP" "$DURATION" <<'EOF'
import json, re, sys, urllib.error, urllib.parse, urllib.request
dash = json.load(open(sys.argv[1]))
names = {l.split("{")[0].split(" ")[0] for l in open(sys.argv[2]) if l.startswith("archsim_")}
url, epoch, warmup, duration = sys.argv[3], *map(int, sys.argv[4:])
def get(path, **params):
    u = f"{url}{path}?" + urllib.parse.urlencode(params, doseq=True)
    try:
        return json.load(urllib.request.urlopen(u, timeout=10))
    except urllib.error.HTTPError as e:
        sys.exit(f"FAIL: {path} {params}: {e}: {e.read().decode()}")
fails, ran = [], 0
for v in dash["templating"]["list"]:
    m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", v["query"]["query"])
    if not m:
        fails.append(f"variable {v['name']}: not a label_values() query")
        continue
    vals = get(f"/api/v1/label/{m[2]}/values", **{"match[]": m[1]})["data"]
    if not vals:
        fails.append(f"variable {v['name']}: no values")
for panel in dash["panels"]:
    for t in panel.get("targets", []):
        expr = (t["expr"].replace("$__rate_interval", "4s")
                .replace("$class", ".+").replace("$component", ".+"))
        body = get("/api/v1/query_range", query=expr, start=epoch + warmup + 1,
                   end=epoch + duration, step="1s")
        ran += 1
        series = body["data"]["result"]
        exported = set(re.findall(r"archsim_[a-z_]+", expr)) <= names
        if body["status"] != "success":
            fails.append(f"{panel['title']}: {expr}: {body}")
        elif exported and not any(s["values"] for s in series):
            fails.append(f"{panel['title']}: {expr}: no points")
if fails:
    sys.exit("FAIL: the dashboard on the real server: " + "; ".join(fails))
print(f"ok: every dashboard query ({ran}) and variable ({len(dash['templating']['list'])}) answered by the server")
EOF
echo "prometheus test: all checks passed in $(ms "$t0")"
