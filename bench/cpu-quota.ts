// CPU quotas for the scale benchmark's server processes (bench/two-processes.ts): each process
// gets a cgroup of its own whose CFS quota holds it to a fixed share of one core, so that the
// processes, not the machine, are what limits throughput. cgroup v1 (a writable cpu controller at
// /sys/fs/cgroup/cpu: cpu.cfs_period_us, cpu.cfs_quota_us) or v2 (/sys/fs/cgroup/cgroup.controllers
// listing cpu: cpu.max "quota period"), with a weight that lets each group reach its quota on a
// busy machine; needs root. Writing a pid to cgroup.procs moves all its
// threads (libuv's thread pool, where scrypt runs, included). The groups are removed by
// `remove()`, and by exit and SIGINT/SIGTERM hooks if the bench ends another way (all synchronous for that).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 100_000;
const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';

export interface QuotaGroup {
  /** Enforcement periods (100 ms) in which the group ran, and those it was throttled in, so far. */
  stat(): { periods: number; throttled: number };
}

export interface CpuQuotas {
  version: 'v1' | 'v2';
  /** Puts process `pid` into a cgroup of its own held to `share` of one core. */
  hold(pid: number): QuotaGroup;
  /** Moves the processes back to the groups they came from and removes the cgroups (idempotent). */
  remove(): void;
}

/** The line `key value` of a cgroup stat file. */
function statValue(text: string, key: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return Number(line?.split(' ')[1] ?? 0);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * CPU quotas of `share` (fraction of one core) per process, or why there can be none here: no
 * cpu controller, or one this process may not write to (not root, a read-only /sys/fs/cgroup).
 */
export function cpuQuotas(share: number): CpuQuotas | { unavailable: string } {
  if (!(share > 0 && share <= 64))
    return { unavailable: `BENCH_CPU_QUOTA=${share} is not a share of a core (more than 0, at most 64)` };
  const quotaUs = Math.round(share * PERIOD_US);
  const v1 = existsSync(join(V1, 'cpu.cfs_quota_us'));
  const v2 = !v1 && readText(join(V2, 'cgroup.controllers'))?.split(/\s+/).includes('cpu') === true;
  if (!v1 && !v2)
    return { unavailable: 'no cgroup cpu controller (neither v1 at /sys/fs/cgroup/cpu nor v2)' };
  const root = v1 ? V1 : V2;
  const made: Array<{ dir: string; pid: number; from: string }> = [];
  const base = `mfakit-bench-${process.pid}`;

  const remove = () => {
    process.off('exit', remove);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const { dir, pid, from } of made.splice(0)) {
      try {
        if (existsSync(`/proc/${pid}`)) writeFileSync(join(root, from, 'cgroup.procs'), String(pid));
      } catch {
        // Gone meanwhile: nothing to move.
      }
      try {
        rmdirSync(dir);
      } catch (error) {
        console.error(`  could not remove cgroup ${dir}: ${reason(error)}`);
      }
    }
  };

  try {
    if (v2) {
      // The root's children get the cpu controller (the root may hold processes itself).
      writeFileSync(join(V2, 'cgroup.subtree_control'), '+cpu');
    }
    // A probe: create, set and remove a group before any server is in one.
    const probe = join(root, `${base}-probe`);
    mkdirSync(probe);
    try {
      limit(probe, v1, quotaUs);
    } finally {
      rmdirSync(probe);
    }
  } catch (error) {
    return { unavailable: `cannot create a cgroup with a CPU quota under ${root}: ${reason(error)}` };
  }
  // Ended otherwise: on exit, or interrupted (the signal raised again once the groups are gone).
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  process.once('exit', remove);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  return {
    version: v1 ? 'v1' : 'v2',
    hold(pid) {
      const dir = join(root, `${base}-${made.length}`);
      const from = cpuCgroupOf(pid, v1);
      mkdirSync(dir);
      made.push({ dir, pid, from });
      limit(dir, v1, quotaUs);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return {
        stat() {
          const text = readFileSync(join(dir, 'cpu.stat'), 'utf8');
          const periods = statValue(text, 'nr_periods');
          const throttled = statValue(text, 'nr_throttled');
          return { periods, throttled };
        },
      };
    },
    remove,
  };
}

/**
 * The quota caps the group; a weight 10× the default lets it reach the quota on a machine busy
 * with other work (else a group weighs as much as one process outside it, and gets less).
 */
function limit(dir: string, v1: boolean, quotaUs: number) {
  if (v1) {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    writeFileSync(join(dir, 'cpu.shares'), '10240');
  } else {
    writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
    writeFileSync(join(dir, 'cpu.weight'), '1000');
  }
}

/** The cgroup (path under the hierarchy's root) that holds `pid` for the cpu controller. */
export function cpuCgroupOf(pid: number, v1: boolean): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  // v1: `N:cpu,cpuacct:/path` (the cpu controller, maybe joint with others); v2: `0::/path`.
  const line = v1
    ? lines.find((l) => l.split(':')[1]?.split(',').includes('cpu'))
    : lines.find((l) => l.startsWith('0::'));
  return line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1) ?? '/';
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
