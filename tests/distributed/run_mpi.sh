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
# Under ASan, LeakSanitizer is off: OpenMPI keeps allocations until exit by design, and it
# unloads its components at MPI_Finalize, so their stacks end in "<unknown module>" and no
# suppression can name them. ASan's checks of memory accesses (and UBSan) stay on.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
exec mpirun "${flags[@]}" -x ASAN_OPTIONS -np "$np" "$@"
