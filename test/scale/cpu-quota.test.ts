// The scale benchmark's CPU quotas (bench/cpu-quota.ts): a process put under one runs in a
// cgroup of its own with the quota asked for, and `remove()` gives the machine back its cgroups
// (the process moved out, the group gone). Where cgroups cannot be written (not root, no cpu
// controller) the quotas say why and the cgroup cases are skipped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpuCgroupOf, cpuQuotas } from '../../bench/cpu-quota.ts';

describe('bench CPU quotas', () => {
  it('refuses a share that is not a positive fraction of a core, saying so', () => {
    for (const share of [0, -1, Number.NaN]) {
      const quotas = cpuQuotas(share);
      assert.ok('unavailable' in quotas);
      assert.match(quotas.unavailable, /BENCH_CPU_QUOTA/);
    }
  });

  it('holds a process to its share in a cgroup of its own, and removes the cgroup after', async function () {
    const quotas = cpuQuotas(0.4);
    if ('unavailable' in quotas) {
      console.log(`      (cgroups unavailable here: ${quotas.unavailable})`);
      this.skip();
    }
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const v1 = quotas.version === 'v1';
      const before = cpuCgroupOf(pid, v1);
      const group = quotas.hold(pid);
      const inside = cpuCgroupOf(pid, v1);
      assert.notEqual(inside, before);
      assert.match(inside, new RegExp(`mfakit-bench-${process.pid}-0$`));
      const dir = v1 ? `/sys/fs/cgroup/cpu${inside}` : `/sys/fs/cgroup${inside}`;
      if (v1) {
        assert.equal(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim(), '40000');
        assert.equal(readFileSync(`${dir}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
      } else {
        assert.equal(readFileSync(`${dir}/cpu.max`, 'utf8').trim(), '40000 100000');
      }
      assert.deepEqual(Object.keys(group.stat()).sort(), ['periods', 'throttled']);

      quotas.remove();
      assert.equal(existsSync(dir), false);
      assert.equal(cpuCgroupOf(pid, v1), before);
      quotas.remove(); // again: nothing left to do
    } finally {
      quotas.remove();
      child.kill();
      await exited;
    }
  });
});
