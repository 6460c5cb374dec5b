#!/bin/sh
# ctest for train_fashion_mnist --distributed (Note [Distributed demo]): 2 processes under mpirun
# must give the single-process run's losses and final weights (to 1e-5; python3 with numpy compares
# the safetensors files), with only rank 0 printing and writing; then the distributed run resumes
# from its epoch-1 checkpoint on both ranks and reproduces epoch 2.
#   examples/train_fashion_mnist_distributed_test.sh build/examples/train_fashion_mnist tests/distributed/run_mpi.sh
set -eu
prog=$1
mpi=$2
tmp=$(mktemp -d /tmp/nabla_dist_train_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
args="--train-limit 1000 --epochs 2 --batch-size 50 --optimizer sgd"

"$prog" $args --out "$tmp/one" > "$tmp/one.log" || fail "single-process run failed"
"$mpi" 2 "$prog" $args --distributed --out "$tmp/two" > "$tmp/two.log" || fail "distributed run failed"
[ "$(grep -c '^epoch ' "$tmp/two.log")" -eq 2 ] || fail "expected rank 0 alone to print 2 epoch lines"
/usr/bin/python3 - "$tmp/one" "$tmp/two" <<'PY' || fail "distributed run differs from the single-process run"
import csv, json, struct, sys
import numpy as np
def load_file(path):  # the safetensors layout: header length, JSON header, raw little-endian data
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__": continue
        assert v["dtype"] == "F32", v["dtype"]
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4")
    return out
one, two = sys.argv[1], sys.argv[2]
a, b = load_file(one + "/model.safetensors"), load_file(two + "/model.safetensors")
assert a.keys() == b.keys()
worst = max(float(np.abs(a[k] - b[k]).max()) for k in a)
rows = lambda d: list(csv.DictReader(open(d + "/metrics.csv")))
for r1, r2 in zip(rows(one), rows(two)):
    for k in ("train_loss", "test_loss"):
        assert abs(float(r1[k]) - float(r2[k])) < 1e-5, (k, r1[k], r2[k])
assert worst < 1e-5, worst
print("largest weight difference", worst)
PY
"$mpi" 2 "$prog" $args --distributed --out "$tmp/resumed" --resume "$tmp/two/checkpoint_epoch1.safetensors" \
  > "$tmp/resumed.log" || fail "resumed distributed run failed"
cmp -s "$tmp/two/model.safetensors" "$tmp/resumed/model.safetensors" || fail "resumed final model differs"
echo "PASS"
