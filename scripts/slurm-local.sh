#!/usr/bin/env bash
# A throw-away one-node Slurm cluster on localhost, without systemd, for the
# tests of `smd sweep slurm` (Debian packages slurm-wlm and munge).
#
#   scripts/slurm-local.sh start DIR   # munged, slurmctld, slurmd; all state in DIR
#   export SLURM_CONF=DIR/slurm.conf   # then sbatch, squeue, sinfo talk to it
#   scripts/slurm-local.sh stop DIR    # stops the three daemons by PID
#
# Ports: SLURM_LOCAL_PORT (slurmctld, default 6817) and the next one (slurmd).
# Runs as root (slurmd must). Facts this relies on (slurm-wlm 22.05, munge
# 0.5.15): munged refuses a socket whose directory is not world-executable
# and there is no /run/munge, so it gets --socket and --key-file and
# slurm.conf AuthInfo=socket=…; no cgroups (proctrack/linuxproc, task/none,
# jobacct_gather/none); the CPU layout comes from `slurmd -C`, RealMemory is
# left out and SlurmdParameters=config_overrides, or the node may drain.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
if [[ -z $cmd || -z $dir ]]; then
  echo "usage: $0 start|stop DIR" >&2; exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  local f pid
  for f in slurmd slurmctld munged; do
    [[ -f $dir/$f.pid ]] || continue
    pid=$(cat "$dir/$f.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$f.pid"
  done
}

case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

for b in munged mungekey slurmctld slurmd sinfo; do
  command -v "$b" >/dev/null || { echo "$0: $b not found: apt-get install slurm-wlm munge" >&2; exit 3; }
done
[[ $(id -u) == 0 ]] || { echo "$0: must run as root (slurmd)" >&2; exit 3; }
trap 'stop' ERR

port=${SLURM_LOCAL_PORT:-6817}
mkdir -p "$dir/munge" "$dir/spool" "$dir/state" "$dir/log"
chmod 0755 "$dir" "$dir/munge"   # munged: socket directory world-executable
chmod 0700 "$dir/spool" "$dir/state"
[[ -f $dir/munge/munge.key ]] || mungekey --create --keyfile="$dir/munge/munge.key" --force
chmod 0600 "$dir/munge/munge.key"
sock=$dir/munge/munge.socket.2
munged --socket="$sock" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" --force

node=$(slurmd -C | head -1 | sed -e 's/ RealMemory=[0-9]*//')   # NodeName=… CPUs=… layout
cat >"$dir/slurm.conf" <<CONF
ClusterName=smdlocal
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 300); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  [[ $state == idle ]] && { echo "slurm-local: up (SLURM_CONF=$SLURM_CONF)"; exit 0; }
  sleep 0.1
done
echo "$0: node not idle after 30 s (state '${state:-}'); logs in $dir/log" >&2
stop
exit 1
