#!/usr/bin/env bash
# The multi-host path on one machine: two network namespaces joined by a veth pair stand for two
# machines, each with its own address (10.231.0.1 and 10.231.0.2), its own hostname and no other
# route. mpirun runs in the first, reads a hostfile naming both addresses, and starts the second
# rank's daemon through a launch agent that enters the second namespace (where a real cluster
# would use ssh). OpenMPI may use TCP over the veth only (no shared memory, no loopback), so the
# collectives cross the "network"; the veth's byte counters show they did. The namespaces are
# removed on every exit. Needs root (ip netns), as in CI.
#   tests/distributed/multihost_test.sh build/tests/test_distributed
set -euo pipefail
program="$(realpath "$1")"
[ "$(id -u)" -eq 0 ] || { echo "multihost_test.sh needs root (ip netns)" >&2; exit 1; }
tag="nabla$$"
ns0="${tag}a" ns1="${tag}b"
if0="${tag}a" if1="${tag}b"
tmp=$(mktemp -d /tmp/nabla_multihost_XXXXXX)
cleanup() {
  for ns in "$ns0" "$ns1"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
# Namespaces a killed earlier run left behind (its script's process id is in the name).
for ns in $(ip netns list | grep -oE '^nabla[0-9]+[ab]' || true); do
  pid="${ns#nabla}"
  kill -0 "${pid%?}" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
done

ip netns add "$ns0"
ip netns add "$ns1"
ip link add "$if0" type veth peer name "$if1"
ip link set "$if0" netns "$ns0"
ip link set "$if1" netns "$ns1"
ip -n "$ns0" addr add 10.231.0.1/24 dev "$if0"
ip -n "$ns1" addr add 10.231.0.2/24 dev "$if1"
for ns in "$ns0" "$ns1"; do ip -n "$ns" link set lo up; done
ip -n "$ns0" link set "$if0" up
ip -n "$ns1" link set "$if1" up

printf '10.231.0.1 slots=1\n10.231.0.2 slots=1\n' > "$tmp/hostfile"
# The launch agent: OpenMPI calls it as `agent HOST COMMAND...` (as it would call ssh); it runs
# the daemon's command in the second namespace under a hostname of its own.
cat > "$tmp/agent.sh" <<AGENT
#!/bin/sh
shift
exec ip netns exec $ns1 unshare --uts sh -c 'hostname nabla-host-b && exec sh -c "\$0"' "\$*"
AGENT
chmod +x "$tmp/agent.sh"

# As tests/distributed/run_mpi.sh: no LeakSanitizer under ASan (OpenMPI's allocations).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
bytes() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
before=$(bytes "$ns1" "$if1" rx_bytes)
# 10.231.0.0/24 names the veth in both namespaces (the interfaces' names differ).
ip netns exec "$ns0" unshare --uts sh -c 'hostname nabla-host-a && exec "$@"' sh \
  timeout 100 mpirun --allow-run-as-root --timeout 90 -np 2 --hostfile "$tmp/hostfile" --map-by node --bind-to none \
  --mca plm_rsh_agent "$tmp/agent.sh" --mca btl tcp,self \
  --mca btl_tcp_if_include 10.231.0.0/24 --mca oob_tcp_if_include 10.231.0.0/24 \
  -x OMP_NUM_THREADS=1 -x ASAN_OPTIONS -x PATH -x LD_LIBRARY_PATH \
  "$program" --gtest_filter='Collectives.AllReduceEveryDtypeAndLayout:Collectives.BroadcastAndAllGather:DDP.MlpMatchesSingleProcess:DDP.CnnWithBatchNormMatchesSimulatedRanks:C10d.*' \
  | tee "$tmp/log"
grep -q "rank 0 of 2 on nabla-host-a" "$tmp/log" && grep -q "rank 1 of 2 on nabla-host-b" "$tmp/log" || {
  echo "FAIL: the ranks did not report the two hosts" >&2
  exit 1
}
received=$(($(bytes "$ns1" "$if1" rx_bytes) - before))
echo "the second namespace received $received bytes over its veth"
# The second rank can reach the first only through the veth; its counter must show at least the
# tests' payload (about 90 kB: the DDP models' broadcasts and gradients, the collectives).
[ "$received" -gt 50000 ] || { echo "FAIL: too little traffic crossed the veth" >&2; exit 1; }
echo "PASS"
