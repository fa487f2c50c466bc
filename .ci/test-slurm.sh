#!/usr/bin/env bash
# make test-slurm: avial2c run inside a real Slurm allocation.
#
# Starts a one-node Slurm on this machine from Debian's slurm-wlm (its own
# munged, slurmctld and slurmd, with every file in a temporary folder and
# the ports on this machine only), runs `avial2c run examples/seed.mlir`
# inside `salloc -n 2` and `salloc -n 1`, where avial2c launches with srun
# (--mpi=pmix when srun offers it) on SLURM_NTASKS ranks, checks the outputs
# against the reference interpreter, that each run was one job step and that
# its --trace shows that many ranks, and stops everything it started.
#
# Installs slurm-wlm and munge when they are missing (as root, or through
# sudo).  When Slurm cannot be installed or started it says why and exits 0
# as SKIPPED; SLURM_REQUIRED=1 makes that a failure (status 1).
#
#     PY=.venv/bin/python bash .ci/test-slurm.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-.venv/bin/python}
[[ "$PY" = /* ]] || PY="$ROOT/$PY"  # absolute, links kept: a venv's python stays its own
SEED="$ROOT/examples/seed.mlir"
TMP=$(mktemp -d /tmp/avial2c-slurm.XXXXXX)
PIDS=()

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$TMP"
}
trap stop_all EXIT

logs() {
  local f
  for f in "$TMP"/*.log; do
    [ -s "$f" ] && { echo "--- last lines of $(basename "$f"):"; tail -n 15 "$f"; }
  done
}

skip() {
  echo "test-slurm: SKIPPED: $*"
  logs
  [ "${SLURM_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
}

fail() {
  echo "test-slurm: FAILED: $*"
  logs
  exit 1
}

# --- the packages -----------------------------------------------------------

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
need_install=""
for tool in slurmctld slurmd salloc srun sinfo munged mungekey; do
  command -v "$tool" >/dev/null || need_install=1
done
if [ -n "$need_install" ]; then
  echo "test-slurm: installing slurm-wlm and munge"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge; } \
         >"$TMP/apt.log" 2>&1; then
    skip "cannot install slurm-wlm and munge: $(tail -n 1 "$TMP/apt.log")"
  fi
fi
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start job steps; run as root"
[ -x "$PY" ] || skip "no Python at $PY (make venv, or PY=...)"

# --- munge: a key of our own and a daemon on a socket of our own ------------

mkdir -p "$TMP/munge" && chmod 700 "$TMP/munge"
mungekey --create --keyfile="$TMP/munge/munge.key" >/dev/null 2>&1 ||
  skip "mungekey could not create a key"
munged --force --foreground --socket="$TMP/munge/munge.sock" \
  --key-file="$TMP/munge/munge.key" --pid-file="$TMP/munge/munged.pid" \
  --seed-file="$TMP/munge/munged.seed" --log-file="$TMP/munged.log" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$TMP/munge/munge.sock" ] && break; sleep 0.1; done
munge -n --socket="$TMP/munge/munge.sock" | unmunge --socket="$TMP/munge/munge.sock" \
  >/dev/null 2>&1 || skip "munged did not start"

# --- slurmctld and slurmd on this node ----------------------------------------

NODE=$(hostname -s)
HW=$(slurmd -C 2>/dev/null | head -n 1)
[ -n "$HW" ] || skip "slurmd -C cannot describe this node"
CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$HW")
mkdir -p "$TMP/state" "$TMP/spool"
export SLURM_CONF="$TMP/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=avial2c-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURM_TEST_PORT:-6817}
SlurmdPort=$(( ${SLURM_TEST_PORT:-6817} + 1 ))
AuthType=auth/munge
AuthInfo=socket=$TMP/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
$HW NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -c -f "$SLURM_CONF" >"$TMP/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" -f "$SLURM_CONF" >"$TMP/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || skip "the node did not become idle (state: '${state:-none}')"
echo "test-slurm: Slurm $(sinfo -V | awk '{print $2}') up on $NODE ($CPUS CPUs); srun --mpi=list: $(srun --mpi=list 2>&1 | tr -s ' \n' ' ')"

# --- the runs -------------------------------------------------------------------

mkdir -p "$TMP/work"
cd "$TMP/work" || fail "no work folder"
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
"$PY" -m avial2c run "$SEED" --interpret >"$TMP/want.out" 2>"$TMP/want.err" ||
  fail "avial2c run --interpret: $(cat "$TMP/want.err")"
grep -v '^wall time:' "$TMP/want.out" >"$TMP/want"
[ -s "$TMP/want" ] || fail "the interpreter printed nothing"

status=0
for n in 2 1; do
  [ "$n" -le "$CPUS" ] || { echo "test-slurm: salloc -n $n: only $CPUS CPUs, not run"; continue; }
  before=$(grep -c 'launch task StepId=' "$TMP/slurmd.log")
  timeout 300 salloc -n "$n" -t 5 "$PY" -m avial2c run "$SEED" -q --gpu emulate \
    -- --trace "$TMP/trace$n.json" >"$TMP/run$n.out" 2>"$TMP/run$n.err"
  rc=$?
  grep -v '^wall time:' "$TMP/run$n.out" >"$TMP/got$n"
  steps=$(( $(grep -c 'launch task StepId=' "$TMP/slurmd.log") - before ))
  ranks=$(grep -c '"thread_name"' "$TMP/trace$n.json" 2>/dev/null)
  if [ "$rc" != 0 ]; then
    echo "test-slurm: salloc -n $n avial2c run: FAILED with status $rc"
    cat "$TMP/run$n.out" "$TMP/run$n.err"
    status=1
  elif ! diff -u "$TMP/want" "$TMP/got$n"; then
    echo "test-slurm: salloc -n $n avial2c run: FAILED: the outputs differ from the interpreter's"
    status=1
  elif [ "$steps" != 1 ]; then
    echo "test-slurm: salloc -n $n avial2c run: FAILED: $steps job steps, not 1: srun was not used"
    status=1
  elif [ "$ranks" != "$n" ]; then
    echo "test-slurm: salloc -n $n avial2c run: FAILED: the trace shows ${ranks:-no} ranks, not $n"
    status=1
  else
    echo "test-slurm: salloc -n $n avial2c run examples/seed.mlir: ok (one job step, $n rank(s) in its trace, outputs as the interpreter's)"
  fi
done
[ "$status" = 0 ] || fail "see above"
echo "test-slurm: passed"
