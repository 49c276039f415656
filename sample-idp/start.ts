// `npm start`: the federation server, the partner IdP and the demo SaaS app on localhost; the
// URLs it prints are http://localhost:<port> (passkeys need a host name) while it listens on
// 127.0.0.1. Settings (environment):
//   FED_CONFIG        config file (default sample-idp/federation.example.yaml)
//   HOST              listen address (default 127.0.0.1)
//   PUBLIC_HOST       the host name in the printed URLs and the issuer (default localhost: browsers
//                     refuse passkeys on an IP address such as 127.0.0.1)
//   FED_PORT / PARTNER_PORT / DEMO_RP_PORT   default 3000 / 3001 / 3002 (0: any free port)
//   FED_DATA_FILE     SQLite file used by the example config (default data/federation.sqlite)
//   DATABASE_URL, FED_DATABASE_SCHEMA, REDIS_URL, FED_REDIS_PREFIX   PostgreSQL and Redis instead
//                     of the SQLite file (see federation/stores.ts)
//   WORKERS           federation-server processes on the one port (node:cluster); default 1, or
//                     2 with --cluster (npm run start:cluster)
//   FED_SEALING_KEYS (or FED_SEALING_KEY), FED_COOKIE_KEYS, FED_SIGNING_JWK   secrets (see
//                     federation/secrets.ts); generated and kept in federation-secrets.json
//                     beside the data file when unset; every worker gets the same ones from the
//                     primary, and the same development phone key (its link printed at start)
// The URLs are handed to the config as FED_URL, PARTNER_URL and DEMO_RP_URL.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pinoAuditSink } from 'mfakit';
import { formatSealingKeys } from 'mfakit/cli';
import pino from 'pino';
import { forkWorkers, runAsWorker, type WorkerReady } from './cluster.ts';
import { type FederationConfig, loadFederationConfig } from './federation/config.ts';
import { devPhoneLink, newDevPhoneKey } from './federation/dev-phone-key.ts';
import { loadOrCreateSecrets } from './federation/secrets.ts';
import { chooseStores, openStores } from './federation/stores.ts';
import { type ServerFacts, startGuide } from './start-guide.ts';

const env = process.env;
const host = env.HOST || '127.0.0.1';
const publicHost = env.PUBLIC_HOST || 'localhost';
const configFile = env.FED_CONFIG ?? 'sample-idp/federation.example.yaml';
const MAX_WORKERS = 64;
/** How the primary hands the workers its development phone key (not a setting). */
const DEV_PHONE_KEY_ENV = 'FED_DEV_PHONE_KEY';
// Each process imports what it runs (below, with import()): a worker never loads the partner IdP
// or the demo app, the primary of several workers never loads the federation server.

function port(name: string, fallback: number): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new Error(`${name}: must be a port number`);
  return value;
}

function workerCount(): number {
  const fallback = process.argv.includes('--cluster') ? 2 : 1;
  const value = env.WORKERS === undefined || env.WORKERS === '' ? fallback : Number(env.WORKERS);
  if (!Number.isInteger(value) || value < 1 || value > MAX_WORKERS)
    throw new Error(`WORKERS: must be a whole number from 1 to ${MAX_WORKERS}`);
  return value;
}

/** Listens on the port of the setting `name` (e.g. FED_PORT); a port in use is an error naming it. */
async function listen(
  name: string,
  fallback: number,
  handler?: RequestListener,
): Promise<{ server: Server; url: string }> {
  const wanted = port(name, fallback);
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `${name}: ${host}:${wanted} is already in use (set another port, or 0 for any free one)`,
            )
          : err,
      ),
    );
    server.listen(wanted, host, resolve);
  });
  return { server, url: `http://${publicHost}:${(server.address() as AddressInfo).port}` };
}

/** The federation port for the workers: FED_PORT, or with 0 one that is free now. */
async function fedPortForWorkers(): Promise<number> {
  const wanted = port('FED_PORT', 3000);
  if (wanted !== 0) return wanted;
  const probe = await listen('FED_PORT', 0);
  const { port: found } = probe.server.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.server.close(() => resolve()));
  return found;
}

const loadConfig = (urls: { fed: string; partner: string; rp: string }) =>
  loadFederationConfig(configFile, {
    ...env,
    FED_URL: urls.fed,
    PARTNER_URL: urls.partner,
    DEMO_RP_URL: urls.rp,
  });

/** Audit events as JSON lines in a file beside the data file, so the console keeps the URLs readable. */
function auditFileSink(config: FederationConfig) {
  mkdirSync(dirname(config.dataFile), { recursive: true });
  const auditFile = join(dirname(config.dataFile), 'federation-audit.log');
  return pinoAuditSink(pino.destination({ dest: auditFile, append: true, sync: false }));
}

/** The partner IdP and the demo app, on their listeners, for the federation server at `config.issuer`. */
async function startCompanions(
  config: FederationConfig,
  urls: { fed: string; partner: string; rp: string },
  partnerServer: Server,
  rpServer: Server,
) {
  const { createPartnerIdp } = await import('./partner-idp/server.ts');
  const { createDemoRp } = await import('./demo-rp/rp-app.ts');
  const partnerOrigin = new URL(urls.partner).origin;
  const partner = createPartnerIdp({
    issuer: urls.partner,
    clients: config.claimsProviders
      .filter((p) => new URL(p.issuer).origin === partnerOrigin)
      .map((p) => ({
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        redirectUris: [new URL(`/federation/${p.id}/callback`, config.issuer).href],
      })),
  });
  partnerServer.on('request', partner.app);

  const rpClientId = env.DEMO_RP_CLIENT_ID ?? 'demo-rp';
  const trust = config.relyingParties.find((rp) => rp.clientId === rpClientId);
  if (!trust) throw new Error(`${configFile}: no relying party ${rpClientId} for the demo app`);
  const { app: rpApp } = await createDemoRp({
    issuer: config.issuer,
    clientId: trust.clientId,
    clientSecret: trust.clientSecret,
    tokenEndpointAuthMethod: trust.tokenEndpointAuthMethod,
    redirectUri: `${urls.rp}/callback`,
    postLogoutRedirectUri: `${urls.rp}/signed-out`,
    baseUrl: urls.rp,
    sessionSecret: randomBytes(32).toString('hex'),
    allowInsecureHttp: new URL(config.issuer).protocol === 'http:',
  });
  rpServer.on('request', rpApp);
}

/** Ctrl-C (or SIGTERM) closes the listeners, then `more`, and exits 0. */
function stopOnSignals(servers: Server[], more: () => Promise<void>) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await more();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** One process: the federation server beside the partner IdP and the demo app. */
async function startOneProcess() {
  const fedListener = await listen('FED_PORT', 3000);
  const partnerListener = await listen('PARTNER_PORT', 3001);
  const rpListener = await listen('DEMO_RP_PORT', 3002);
  const urls = { fed: fedListener.url, partner: partnerListener.url, rp: rpListener.url };
  const config = await loadConfig(urls);
  const { startFederationProcess } = await import('./federation-process.ts');
  const fed = await startFederationProcess(config, env, auditFileSink(config));
  // Requests are answered from here on: the server is ready (subscribed, policies loaded).
  fedListener.server.on('request', fed.fed.app);
  await startCompanions(config, urls, partnerListener.server, rpListener.server);
  const facts: ServerFacts = {
    workersLine: null,
    storesLine: fed.storesLine,
    policiesLine: fed.policiesLine,
    devPhoneUrl: fed.fed.devPhoneUrl,
  };
  console.log(startGuide(config, urls, configFile, facts));
  if (fed.fed.radius && config.radius) {
    const { port } = await fed.fed.radius.listen(config.radius.port, config.radius.host);
    console.log(`RADIUS (VPNs, PAP + Message-Authenticator): udp ${config.radius.host}:${port}\n`);
  }
  stopOnSignals([fedListener.server, partnerListener.server, rpListener.server], fed.close);
}

/** The primary of several workers: the secrets once, the workers on one port, then the companions. */
async function startPrimary(workers: number) {
  const partnerListener = await listen('PARTNER_PORT', 3001);
  const rpListener = await listen('DEMO_RP_PORT', 3002);
  const fedPort = await fedPortForWorkers();
  const urls = { fed: `http://${publicHost}:${fedPort}`, partner: partnerListener.url, rp: rpListener.url };
  const config = await loadConfig(urls);
  mkdirSync(dirname(config.dataFile), { recursive: true });
  const secrets = loadOrCreateSecrets(config.dataFile, env);
  // Once here before forking: an unreachable server fails at once with its one line, and the
  // schema is migrated before the workers open it.
  await (await openStores(chooseStores(config.dataFile, env))).close();
  // One key for every worker: a browser that opened the link is let in by whichever answers.
  const devPhoneKey = newDevPhoneKey();
  const pool = await forkWorkers(
    workers,
    {
      FED_PORT: String(fedPort),
      FED_URL: urls.fed,
      PARTNER_URL: urls.partner,
      DEMO_RP_URL: urls.rp,
      // Every key, current first; FED_SEALING_KEY emptied, or the worker would find both.
      FED_SEALING_KEYS: formatSealingKeys(secrets.sealingKeys),
      FED_SEALING_KEY: '',
      FED_COOKIE_KEYS: secrets.cookieKeys.join(','),
      FED_SIGNING_JWK: JSON.stringify(secrets.signingJwk),
      [DEV_PHONE_KEY_ENV]: devPhoneKey,
    },
    (line) => console.log(`federation server: ${line}`),
  );
  await startCompanions(config, urls, partnerListener.server, rpListener.server);
  const facts: ServerFacts = {
    workersLine: `${workers} worker processes on ${urls.fed} (pids ${pool.pids().join(', ')})`,
    ...pool.ready,
    devPhoneUrl: pool.ready.devPhoneServed ? devPhoneLink(config.issuer, devPhoneKey) : null,
  };
  console.log(startGuide(config, urls, configFile, facts));
  // One UDP listener answers for a deployment; here, with several workers, run it beside them.
  if (config.radius) console.log('RADIUS: not started with several workers (run it in one process).\n');
  stopOnSignals([partnerListener.server, rpListener.server], () => pool.stop());
}

/** A worker: the federation server alone, listening on the port the primary chose. */
async function startWorker(): Promise<WorkerReady & { stop(): Promise<void> }> {
  const config = await loadFederationConfig(configFile, env);
  const { startFederationProcess } = await import('./federation-process.ts');
  const fed = await startFederationProcess(config, env, auditFileSink(config), env[DEV_PHONE_KEY_ENV]);
  try {
    const listener = await listen('FED_PORT', 3000, fed.fed.app);
    return {
      storesLine: fed.storesLine,
      policiesLine: fed.policiesLine,
      devPhoneServed: fed.fed.devPhoneUrl !== null,
      stop: async () => {
        listener.server.closeAllConnections();
        await new Promise<void>((resolve) => listener.server.close(() => resolve()));
        await fed.close();
      },
    };
  } catch (error) {
    await fed.close();
    throw error;
  }
}

async function main() {
  if (cluster.isWorker) return runAsWorker(startWorker);
  const workers = workerCount();
  if (workers === 1) return startOneProcess();
  return startPrimary(workers);
}

main().catch((err: unknown) => {
  // One line naming what is wrong (e.g. `postgres: cannot connect to … (DATABASE_URL): …`), no stack.
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
