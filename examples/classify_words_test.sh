#!/bin/sh
# ctest for examples/classify_words: a short run (1,500 words per language, 1 epoch) must reach an
# accuracy well above chance (1/6), save the model and the vocabulary, reload them with the same
# predictions and classify words given on the command line; then examples/classify_words.py
# (python3-torch: the same data, split, initialisation, batch order and model) must reach the
# same accuracy within one point.
#   examples/classify_words_test.sh build/examples/classify_words
set -eu
prog=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/nabla_words_test_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
config="--per-language 1500 --epochs 1 --threads 1"

# shellcheck disable=SC2086
"$prog" $config --out "$tmp/run" > "$tmp/run.log" 2> "$tmp/progress.log" || { cat "$tmp/run.log" "$tmp/progress.log"; fail "training run failed"; }
cat "$tmp/run.log"
grep -q "reloaded: same predictions" "$tmp/run.log" || fail "the reloaded model predicts differently"
for f in model.safetensors vocabulary.safetensors; do [ -s "$tmp/run/$f" ] || fail "$f missing"; done
grep -q "confusion matrix" "$tmp/run.log" || fail "no confusion matrix"
grep -q "epoch 1 \[##############################\]" "$tmp/progress.log" || fail "no progress bar"
acc=$(sed -n 's/^test accuracy \([0-9.]*\)%.*/\1/p' "$tmp/run.log")
[ -n "$acc" ] || fail "no test accuracy"
awk -v a="$acc" 'BEGIN { exit !(a > 50) }' || fail "accuracy $acc% is not well above chance (16.7%)"

"$prog" --load "$tmp/run" --predict Straße maison > "$tmp/predict.log" || fail "--predict failed"
[ "$(wc -l < "$tmp/predict.log")" -eq 2 ] || fail "--predict printed $(wc -l < "$tmp/predict.log") lines"
grep -q "^Straße	" "$tmp/predict.log" || fail "--predict output: $(cat "$tmp/predict.log")"

# shellcheck disable=SC2086
/usr/bin/python3 "$here/classify_words.py" $config > "$tmp/py.log" || fail "classify_words.py failed"
py=$(sed -n 's/^test accuracy \([0-9.]*\)%.*/\1/p' "$tmp/py.log")
[ -n "$py" ] || fail "no accuracy from classify_words.py"
awk -v a="$acc" -v b="$py" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1) }' ||
  fail "nabla's accuracy $acc% and PyTorch's $py% differ by more than one point"
echo "PASS: nabla $acc%, PyTorch $py%"
