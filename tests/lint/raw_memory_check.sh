#!/usr/bin/env bash
# The kernel boundary (GUIDE §2): only src/kernels/ touches raw memory. Fails when a file of
# src/ops, src/optim, src/nn, src/autograd or src/vision uses data_ptr, intrinsics, SLEEF, BLAS calls,
# OpenMP or parallel_for more often than tests/lint/raw_memory_allowlist.txt allows (a
# ratchet: files still being moved into kernels are listed with their current count, which
# may only go down; a file not listed may have none).
#   tests/lint/raw_memory_check.sh <repo root>
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
allow="$root/tests/lint/raw_memory_allowlist.txt"
pattern='data_ptr|_mm[0-9]*_|immintrin|emmintrin|Sleef_|cblas_|dnnl_|#pragma omp|omp_|parallel_for'
status=0
declare -A allowed=()
while read -r file count; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  allowed["$file"]=$count
done < "$allow"
while IFS= read -r path; do
  rel="${path#"$root"/}"
  count=$(grep -cE "$pattern" "$path" || true)
  limit=${allowed["$rel"]:-0}
  if (( count > limit )); then
    echo "FAIL: $rel has $count lines touching raw memory (allowed: $limit); move them into src/kernels/:"
    grep -nE "$pattern" "$path" | sed 's/^/    /'
    status=1
  elif (( count < limit )); then
    echo "note: $rel is down to $count (allowlist says $limit): lower it in $(basename "$allow")"
  fi
done < <(find "$root/src/ops" "$root/src/optim" "$root/src/nn" "$root/src/autograd" "$root/src/vision" -name '*.cpp' -o -name '*.h' | sort)
# The vector layer is one: no intrinsics, SLEEF or BLAS in the other folders of src/ at all.
if grep -rnE 'immintrin|emmintrin|Sleef_|_mm[0-9]*_|cblas_|dnnl_|#pragma omp' "$root/src/core" "$root/src/io" \
    "$root/src/data" "$root/src/viz" --include='*.cpp' --include='*.h'; then
  echo "FAIL: intrinsics, SLEEF, BLAS or OpenMP outside src/kernels/"
  status=1
fi
if (( status == 0 )); then echo "raw memory check: passed"; fi
exit $status
