// Several federation-server processes behind one address with node:cluster (`WORKERS=2 npm
// start`): the primary forks the workers, each of which builds the server and listens on the
// same port (the primary accepts the connections and hands them out in turn). A worker tells
// the primary when it is ready, or why it could not start; the first such failure at start stops
// everything with that one message. A worker that dies later is replaced. Every worker is given
// the same environment, secrets included, by the primary.
import cluster, { type Worker } from 'node:cluster';

/** What a worker reports once it serves: the lines the console shows about its stores and policies. */
export interface WorkerReady {
  storesLine: string;
  policiesLine: string;
  /** Whether it serves the development phone (the outbox, outside production). */
  devPhoneServed: boolean;
}

type WorkerMessage = ({ type: 'ready' } & WorkerReady) | { type: 'failed'; message: string };

const isMessage = (m: unknown): m is WorkerMessage =>
  typeof m === 'object' &&
  m !== null &&
  ((m as { type?: unknown }).type === 'ready' || (m as { type?: unknown }).type === 'failed');

export interface WorkerPool {
  /** The first worker's report. */
  ready: WorkerReady;
  pids(): number[];
  /** Stops every worker (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  stop(graceMs?: number): Promise<void>;
}

/** How long before a worker that failed after the start is tried again. */
const RESPAWN_DELAY_MS = 1000;

/**
 * Forks `count` workers with `env` and resolves once every one is ready; rejects with the first
 * worker's failure (the others are stopped). `log` gets a line for each later replacement.
 */
export function forkWorkers(
  count: number,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<WorkerPool> {
  const live = new Set<Worker>();
  let stopping = false;
  let started = false;

  return new Promise<WorkerPool>((resolve, reject) => {
    let readyCount = 0;
    let firstReady: WorkerReady | null = null;
    const failAtStart = async (message: string) => {
      if (started || stopping) return;
      stopping = true;
      await stopAll(live, 5000);
      reject(new Error(message));
    };
    const spawn = () => {
      const worker = cluster.fork(env);
      live.add(worker);
      let ready = false;
      let failure: string | null = null;
      worker.on('message', (m: unknown) => {
        if (!isMessage(m)) return;
        if (m.type === 'failed') {
          failure = m.message;
          void failAtStart(m.message);
          return;
        }
        ready = true;
        if (!started) {
          firstReady ??= {
            storesLine: m.storesLine,
            policiesLine: m.policiesLine,
            devPhoneServed: m.devPhoneServed,
          };
          if (++readyCount === count && firstReady) {
            started = true;
            resolve(pool(firstReady));
          }
        } else log(`worker ${worker.process.pid} ready`);
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!started) {
          void failAtStart(failure ?? `a worker process exited (${how}) before it was ready`);
          return;
        }
        log(`worker ${worker.process.pid} exited (${how})${failure ? `: ${failure}` : ''}; starting another`);
        setTimeout(() => stopping || spawn(), ready ? 0 : RESPAWN_DELAY_MS);
      });
    };
    const pool = (first: WorkerReady): WorkerPool => ({
      ready: first,
      pids: () => [...live].map((w) => w.process.pid ?? 0),
      async stop(graceMs = 5000) {
        stopping = true;
        await stopAll(live, graceMs);
      },
    });
    for (let i = 0; i < count; i++) spawn();
  });
}

async function stopAll(workers: Set<Worker>, graceMs: number): Promise<void> {
  const exits = [...workers].map(
    (w) =>
      new Promise<void>((resolve) => {
        if (w.isDead()) return resolve();
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
        setTimeout(() => w.isDead() || w.process.kill('SIGKILL'), graceMs).unref();
      }),
  );
  await Promise.all(exits);
}

/**
 * The worker's side: runs `start` (build the server and listen), tells the primary it is ready
 * or why it failed (and exits 1), and stops cleanly on SIGINT, SIGTERM or when the primary goes.
 */
export async function runAsWorker(
  start: () => Promise<WorkerReady & { stop(): Promise<void> }>,
): Promise<void> {
  const send = (message: WorkerMessage) =>
    new Promise<void>((resolve) => {
      if (!process.send) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  await send({
    type: 'ready',
    storesLine: running.storesLine,
    policiesLine: running.policiesLine,
    devPhoneServed: running.devPhoneServed,
  });
}
