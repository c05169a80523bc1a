#!/usr/bin/env bash
# What a bucket policy costs on the hot path: 4 KiB GET c32 against two buckets of one server,
# one without a policy and one with a 20-statement policy (10 Deny s3:* unless from a network,
# 5 Allow by user agent, 5 Deny PutObject by header and transport; the same policy as
# benches/micro.rs "authorize"), alternating, three rounds. Figures: docs/performance.md
# "Authorization cost". Needs boto3 (pip) to put the policy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-6s}
PORT=${PORT:-9311}
python3 -c 'import boto3' 2>/dev/null || { echo "policy_cost.sh: boto3 is required (pip install boto3)" >&2; exit 1; }

cd "$ROOT"
cargo build --release --quiet
LOADGEN=$(cargo bench --bench loadgen --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "loadgen" and m.get("executable"):
        print(m["executable"])')
[[ -x "$LOADGEN" ]] || { echo "policy_cost.sh: could not build the load generator" >&2; exit 1; }

WORK=$(mktemp -d)
export AWS_ACCESS_KEY_ID=BENCHROOTKEY AWS_SECRET_ACCESS_KEY=bench-root-secret-0123456789
STRATA_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID STRATA_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
    "$ROOT/target/release/strata" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do grep -q "listening" "$WORK/server.log" && break; sleep 0.1; done
ENDPOINT=http://127.0.0.1:$PORT

ENDPOINT=$ENDPOINT python3 - <<'PY'
import json, os
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
for bucket in ("nopol", "pol"):
    s3.create_bucket(Bucket=bucket)
statements = []
for i in range(10):
    statements.append({"Sid": f"net{i}", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": ["arn:aws:s3:::pol", "arn:aws:s3:::pol/*"],
                       "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", f"10.{i}.0.0/16", "::1/128"]}}})
for i in range(5):
    statements.append({"Sid": f"agent{i}", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::pol/*",
                       "Condition": {"StringLike": {"aws:UserAgent": f"*agent-{i}*"}}})
for i in range(5):
    statements.append({"Sid": f"put{i}", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": "arn:aws:s3:::pol/*",
                       "Condition": {"StringEquals": {"s3:x-amz-acl": f"public-read-{i}"},
                                     "Bool": {"aws:SecureTransport": "false"}}})
s3.put_bucket_policy(Bucket="pol", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
PY

for round in $(seq "$ROUNDS"); do
    for bucket in nopol pol; do
        "$LOADGEN" get --endpoint "$ENDPOINT" --bucket "$bucket" --size 4KiB --concurrency 32 \
            --duration "$SECONDS_PER_RUN" --no-ceilings --json --dir "$WORK" 2>/dev/null |
            python3 -c "import json, sys; print('$bucket', 'round $round', round(json.load(sys.stdin)['total']['ops_per_s']), 'ops/s')"
    done
done
