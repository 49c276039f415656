// A node:cluster primary for the scale benchmark (bench/two-processes.ts), started by
// bench/server-process.ts's startServerCluster: told {workers: N}, it forks N workers running
// bench/federation-process.ts (each a federation server; their listen() on one port makes the
// primary hand connections out in turn, as `npm run start:cluster` does) and relays messages
// between the bench and them, each wrapped as {worker, message}. It exits once every worker has.
import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope, FromChild, ToChild } from './server-process.ts';

const self = fileURLToPath(import.meta.url);
// The worker file beside this one, compiled or not like it.
cluster.setupPrimary({
  exec: self.replace(/federation-cluster(\.[a-z]+)$/, `federation-process${extname(self)}`),
});

const workers: Worker[] = [];
process.once('message', ({ workers: count }: { workers: number }) => {
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork();
    worker.on('message', (message: FromChild) =>
      process.send?.({ worker: i, message } satisfies Envelope<FromChild>),
    );
    workers.push(worker);
  }
  let running = count;
  cluster.on('exit', () => {
    if (--running === 0) process.exit(0);
  });
  process.on('message', (m: Envelope<ToChild> | { workers: number }) => {
    if ('worker' in m) workers[m.worker]?.send(m.message);
  });
});
// The bench gone: so are the workers.
process.on('disconnect', () => {
  for (const worker of workers) worker.kill();
  process.exit(1);
});
