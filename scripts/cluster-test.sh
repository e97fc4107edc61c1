#!/usr/bin/env bash
# End-to-end test of sharded runs on real batch engines, installed from the OS packages:
# GNU parallel, and a single-node Slurm cluster (munged, slurmctld and slurmd started in the
# foreground of this shell and stopped by pid). Each runs a sharded sweep, merges it, and
# compares the JSON, CSV and HTML byte for byte (apart from wall-clock time) with the same
# sweep run in one process. Needs root for Slurm (CI runs as root); without root, or with
# SKIP_SLURM=1, only the GNU parallel part runs.
# Usage: scripts/cluster-test.sh [SIMULATE_BINARY]
# SLICES (default 8), REPS (replications per point, default 2) and DURATION (default 30s)
# size the work: 8 points x REPS runs; SLICES=64 REPS=8 DURATION=5m is the README's measure.
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=$(realpath "${1:-target/release/simulate}")
SLICES=${SLICES:-8}; REPS=${REPS:-2}; DURATION=${DURATION:-30s}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
t0=$(date +%s%N); el() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }

need=()
command -v parallel >/dev/null || need+=(parallel)
if [ "$(id -u)" = 0 ] && [ "${SKIP_SLURM:-0}" != 1 ]; then
  command -v slurmctld >/dev/null || need+=(slurmd slurmctld slurm-client munge)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The work: a 2-key sweep with replications, short runs.
SWEEP=(sweep scenarios/stage2.toml --set traffic.users=4000,8000,12000,16000 --set components.monolith.cores=8,16
       --replications "$REPS" --set run.duration="$DURATION" --set run.warmup=5s)
ts=$(date +%s%N)
"$SIM" "${SWEEP[@]}" --json "$WORK/one.json" --csv "$WORK/one.csv" --html "$WORK/one.html" >"$WORK/one.txt" 2>/dev/null
echo "one process ($(nproc) threads): $((8 * REPS)) runs in $(( ($(date +%s%N) - ts) / 1000000 )) ms"

# The wall-clock time is the only thing allowed to differ.
same() {
  local dir=$1 what=$2
  for x in json csv html txt; do
    if ! cmp -s <(sed -E '/"wall_s"/d; s/ events in [0-9.]+s/ events in (time)/' "$WORK/one.$x") \
                <(sed -E '/"wall_s"/d; s/ events in [0-9.]+s/ events in (time)/' "$dir/merged.$x"); then
      echo "FAIL: $what: merged $x differs from the one-process sweep"; diff "$WORK/one.$x" "$dir/merged.$x" | head -5; exit 1
    fi
  done
  echo "ok: $what: JSON, CSV, HTML and summary identical to one process"
}

# GNU parallel: one task per slice, two at a time, one thread each.
P="$WORK/parallel"; mkdir -p "$P/parts"
ts=$(date +%s%N)
RAYON_NUM_THREADS=1 parallel -j"$(nproc)" --halt now,fail=1 \
  "$SIM" "${SWEEP[@]}" --shard {}/"$SLICES" --partial "$P/parts" ::: $(seq 0 $((SLICES - 1))) 2>/dev/null
"$SIM" merge "$P/parts" --json "$P/merged.json" --csv "$P/merged.csv" --html "$P/merged.html" >"$P/merged.txt"
echo "GNU parallel: $SLICES slices and the merge in $(( ($(date +%s%N) - ts) / 1000000 )) ms"
same "$P" "GNU parallel, $SLICES slices"
# A re-run does only what is missing.
rm "$P/parts/$(ls "$P/parts" | head -1)"
out=$(RAYON_NUM_THREADS=1 parallel -j"$(nproc)" "$SIM" "${SWEEP[@]}" --shard {}/"$SLICES" --partial "$P/parts" ::: $(seq 0 $((SLICES - 1))) 2>&1)
skipped=$(grep -c 'already done; skipped' <<<"$out" || true)
[ "$skipped" = $((SLICES - 1)) ] || { echo "FAIL: a re-run skipped $skipped of $((SLICES - 1)) done slices"; exit 1; }
echo "ok: GNU parallel re-run skipped the $skipped slices already done"

# capacity: each probe's replications as tasks through a launcher, merged per probe.
CAP=(capacity scenarios/stage2.toml --slo 'p99<200ms' --replications 4 --set run.duration=30s --set run.warmup=5s --tolerance 0.05)
"$SIM" "${CAP[@]}" --json "$WORK/cap-one.json" >"$WORK/cap-one.txt" 2>/dev/null
cap_same() {
  cmp -s <(sed '/"wall_s"/d' "$WORK/cap-one.json") <(sed '/"wall_s"/d' "$1.json") && cmp -s "$WORK/cap-one.txt" "$1.txt" \
    || { echo "FAIL: $2: capacity differs from one process"; diff "$WORK/cap-one.txt" "$1.txt" | head; exit 1; }
  echo "ok: $2: capacity search identical to one process"
}
"$SIM" "${CAP[@]}" --launcher "parallel -j$(nproc) :::" --partial "$WORK" --json "$WORK/cap-par.json" >"$WORK/cap-par.txt" 2>/dev/null
cap_same "$WORK/cap-par" "capacity --launcher 'parallel :::'"

if [ "$(id -u)" != 0 ] || [ "${SKIP_SLURM:-0}" = 1 ]; then
  echo "slurm: skipped (needs root to run the daemons)"; exit 0
fi

# Slurm: a job array of the slices with a dependent merge job.
HOST=$(hostname -s); CPUS=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
rm -rf /var/spool/slurmctld/* /var/spool/slurmd/*
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=300
KillWait=5
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
PIDS=()
stop() {
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[$i]}" 2>/dev/null || true; wait "${PIDS[$i]}" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap stop EXIT
[ -s /etc/munge/munge.key ] || { mungekey --create --force; chown munge:munge /etc/munge/munge.key; }
install -d -o munge -g munge -m 0755 /run/munge
setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F >>/var/log/slurm/munged.out 2>&1 & PIDS+=($!)
for i in $(seq 1 40); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
/usr/sbin/slurmctld -D >>/var/log/slurm/slurmctld.out 2>&1 & PIDS+=($!)
/usr/sbin/slurmd -D >>/var/log/slurm/slurmd.out 2>&1 & PIDS+=($!)
for i in $(seq 1 120); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.25; done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || { echo "FAIL: slurm did not come up"; tail -20 /var/log/slurm/*.log; exit 1; }
echo "slurm idle after $(el)"
S="$WORK/slurm"; mkdir -p "$S/parts" "$S/logs"
# task/none binds no CPUs: one rayon thread per task (-c1).
q() { printf '%q ' "$@"; }
ts=$(date +%s%N)
ARR=$(sbatch --parsable --array=0-$((SLICES - 1)) -c1 -o "$S/logs/task-%a.log" \
  --export=ALL,RAYON_NUM_THREADS=1 --wrap "exec $(q "$SIM" "${SWEEP[@]}") --shard-from-env --partial $(q "$S/parts")")
MERGE=$(sbatch --parsable --dependency=afterok:$ARR -o "$S/logs/merge.log" \
  --wrap "exec $(q "$SIM") merge $(q "$S/parts") --json $(q "$S/merged.json") --csv $(q "$S/merged.csv") --html $(q "$S/merged.html") > $(q "$S/merged.txt")")
while squeue -h -j "$ARR,$MERGE" 2>/dev/null | grep -q .; do sleep 0.25; done
echo "slurm: $SLICES-task array and merge job done in $(( ($(date +%s%N) - ts) / 1000000 )) ms"
state=$(scontrol show job "$MERGE" | grep -o 'JobState=[A-Z]*' | head -1)
[ "$state" = JobState=COMPLETED ] || { echo "FAIL: merge job $state"; cat "$S/logs/"*.log | tail -20; exit 1; }
same "$S" "Slurm job array of $SLICES tasks + dependent merge job"
ts=$(date +%s%N)
"$SIM" "${CAP[@]}" --launcher "srun -n1 -c1 --exact" --partial "$S" --json "$WORK/cap-srun.json" >"$WORK/cap-srun.txt" 2>/dev/null
echo "slurm: capacity with srun as the launcher in $(( ($(date +%s%N) - ts) / 1000000 )) ms"
cap_same "$WORK/cap-srun" "capacity --launcher 'srun -n1 -c1 --exact'"
echo "cluster tests passed after $(el)"
