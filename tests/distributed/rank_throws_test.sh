#!/usr/bin/env bash
# A rank that fails makes the whole job fail with its error, without the others hanging: rank 1
# of 2 fails with a nabla::Error while rank 0 waits in an all_reduce (the group's timeout: 2 s),
#  - throwing it out of main: mpirun ends the job at once;
#  - catching it and returning 1 from main: rank 0's all_reduce times out with a clear error.
# Neither may run into mpirun's 100 s limit.
#   tests/distributed/rank_throws_test.sh tests/distributed/run_mpi.sh build/tests/test_distributed
set -uo pipefail
run_mpi="$1"
program="$2"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
for mode in --throw-on-rank --exit-on-rank; do
  start=$SECONDS
  output=$("$run_mpi" 2 "$program" "$mode" 1 2>&1)
  rc=$?
  elapsed=$((SECONDS - start))
  echo "$output"
  [ "$rc" -ne 0 ] || fail "$mode: mpirun exited with 0"
  grep -q "cannot be multiplied" <<<"$output" || fail "$mode: rank 1's error is not in the output"
  if [ "$mode" = --exit-on-rank ]; then
    grep -q "\[Rank 0\] all_reduce timed out after 2000 ms" <<<"$output" || fail "$mode: rank 0 did not time out"
  fi
  grep -q "time limit" <<<"$output" && fail "$mode: the job ran into mpirun's time limit"
  [ "$elapsed" -lt 60 ] || fail "$mode: the job took ${elapsed} s to fail"
  echo "OK: $mode: the job failed with rank 1's error after ${elapsed} s"
done
