#!/usr/bin/env bash
# Runs a program under mpirun with N processes on this machine, as CI does (root: it needs
# --allow-run-as-root; 2 cores: --oversubscribe), one thread per process, and ends the job after
# 100 s whatever happens (a hang must not eat CI's time).
#   tests/distributed/run_mpi.sh N program [args...]
set -euo pipefail
np="$1"
shift
flags=(--oversubscribe --timeout 100 --bind-to none -x OMP_NUM_THREADS=1)
if [ "$(id -u)" -eq 0 ]; then flags+=(--allow-run-as-root); fi
# Under ASan, LeakSanitizer reports what OpenMPI's libraries keep until exit by design
# (their component registries, PMIx buffers); lsan.supp names only those libraries.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec mpirun "${flags[@]}" -x LSAN_OPTIONS -np "$np" "$@"
