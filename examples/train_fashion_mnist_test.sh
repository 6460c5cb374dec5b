#!/bin/sh
# ctest for the training demo: a short run (2,000 training images, 2 epochs) must write two sane
# rows of metrics, the SVG, both checkpoints and the model; resuming from epoch 1's checkpoint
# must reproduce epoch 2's training loss exactly.
#   examples/train_fashion_mnist_test.sh build/examples/train_fashion_mnist
set -eu
prog=$1
tmp=$(mktemp -d /tmp/nabla_train_test_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$prog" --train-limit 2000 --epochs 2 --threads 2 --out "$tmp/run" > "$tmp/run.log" || fail "training run failed"
for f in metrics.csv metrics.svg checkpoint_epoch1.safetensors checkpoint_epoch2.safetensors model.safetensors; do
  [ -s "$tmp/run/$f" ] || fail "$f missing"
done
grep -q '<svg' "$tmp/run/metrics.svg" || fail "metrics.svg is not SVG"
[ "$(head -1 "$tmp/run/metrics.csv")" = "epoch,train_loss,test_loss,test_accuracy,lr,seconds" ] || fail "CSV header"
[ "$(wc -l < "$tmp/run/metrics.csv")" -eq 3 ] || fail "expected 2 rows in metrics.csv"
# Sane values: losses in (0, 2.31) (below chance), the loss falls, accuracy in (0.5, 1].
awk -F, 'NR > 1 {
  if ($1 != NR - 1) { print "bad epoch " $1; exit 1 }
  if (!($2 > 0 && $2 < 2.31 && $3 > 0 && $3 < 2.31)) { print "bad loss " $0; exit 1 }
  if (!($4 > 0.5 && $4 <= 1)) { print "bad accuracy " $0; exit 1 }
  if (!($5 > 0 && $6 > 0)) { print "bad lr or time " $0; exit 1 }
  if (NR == 3 && !($2 < prev)) { print "train loss did not fall " $0; exit 1 }
  prev = $2 }' "$tmp/run/metrics.csv" || fail "metrics.csv values"

"$prog" --train-limit 2000 --epochs 2 --threads 2 --out "$tmp/resumed" \
  --resume "$tmp/run/checkpoint_epoch1.safetensors" > "$tmp/resumed.log" || fail "resumed run failed"
[ "$(wc -l < "$tmp/resumed/metrics.csv")" -eq 3 ] || fail "expected 2 rows after resuming"
a=$(sed -n 3p "$tmp/run/metrics.csv" | cut -d, -f1-5)
b=$(sed -n 3p "$tmp/resumed/metrics.csv" | cut -d, -f1-5)
[ "$a" = "$b" ] || fail "resumed epoch 2 differs: '$b' vs '$a'"
[ -s "$tmp/resumed/model.safetensors" ] || fail "resumed model.safetensors missing"
cmp -s "$tmp/run/model.safetensors" "$tmp/resumed/model.safetensors" || fail "resumed final model differs"
echo "PASS: $a"
