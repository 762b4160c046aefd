// The container image cannot be built here (no Docker engine), so this test
// checks what the Dockerfile relies on: the files it copies exist, the
// entrypoint's V8 flags are npm start's, and the runtime stage works: a clean
// `npm ci --omit=dev` tree plus the bundles runs the node (healthy, admin
// reachable with a token through sbcctl, drains and exits on SIGTERM) and
// holds none of the build tools.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../harness/index.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((l) => /^[A-Z]+ /.test(l));
const stages = instructions.filter((l) => l.startsWith('FROM '));
const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]));
const entrypoint = JSON.parse(runtime.find((l) => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
const healthcheck = JSON.parse(runtime.find((l) => l.startsWith('HEALTHCHECK '))!.replace(/^.*?CMD /, '')) as string[];

describe('Dockerfile', () => {
  it('is multi-stage, runs as a non-root user under tini, with a HEALTHCHECK, SIP and HTTP ports and labels', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.find((l) => l.startsWith('USER '))).toMatch(/^USER (node|[1-9]\d*)$/);
    expect(entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(runtime.find((l) => l.startsWith('EXPOSE '))).toMatch(/5060\/udp.*5060\/tcp.*9060\/tcp/);
    expect(runtime.some((l) => l.startsWith('LABEL ') && l.includes('org.opencontainers.image.title'))).toBe(true);
    expect(runtime.some((l) => /npm ci/.test(l))).toBe(false);
    expect(instructions.some((l) => /npm ci --omit=dev/.test(l))).toBe(true);
  });

  it('copies only files that exist in the build context', () => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').filter(Boolean);
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const src of sources) {
        expect(existsSync(join(REPO, src)), `${line}: ${src}`).toBe(true);
        expect(ignored.some((i) => src.replace(/\/$/, '') === i || src.startsWith(`${i}/`)), `${src} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('gives node the V8 flags npm start gives it, and runs the bundle the build stage makes', () => {
    const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = entrypoint.slice(3).filter((a) => a.startsWith('--'));
    expect(start).toContain(`node ${flags.join(' ')} dist/sbc.mjs`);
    expect(entrypoint[entrypoint.length - 1]).toBe('dist/sbc.mjs');
    expect(readFileSync(join(REPO, 'scripts/build.mjs'), 'utf8')).toContain("outfile: 'dist/sbc.mjs'");
  });
});

describe('the runtime stage from a clean npm ci --omit=dev tree', () => {
  const app = mkdtempSync(join(tmpdir(), 'sbc-image-'));
  const etc = join(app, 'etc-sbc');
  let proc: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let httpPort = 0;
  let adminPort = 0;
  const TOKEN = 'image-test-token-0123456789';
  let log = '';

  beforeAll(async () => {
    // the deps stage
    cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
    cpSync(join(REPO, 'package-lock.json'), join(app, 'package-lock.json'));
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, timeout: 110_000 });
    // the runtime stage's COPY lines (dist/ was built by the test harness with scripts/build.mjs)
    cpSync(join(REPO, 'dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(REPO, 'bin'), join(app, 'bin'), { recursive: true });
    cpSync(join(REPO, 'deploy/container'), etc, { recursive: true });
    // the batched UDP addon the build stage compiles (npm ci built it here on Linux)
    const addon = 'libs/transport/native/build/Release';
    if (existsSync(join(REPO, addon))) cpSync(join(REPO, addon), join(app, addon), { recursive: true });
    mkdirSync(join(app, 'secrets'));
    writeFileSync(join(app, 'secrets/admin-tokens'), `ops admin ${TOKEN}\n`);
    const sipPort = await freePort();
    httpPort = await freePort();
    adminPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      SBC_CONFIG: join(etc, 'sbc.yaml'),
      // what the chart's pod spec would set
      SBC_SIP_LISTEN: `udp:127.0.0.1:${sipPort},tcp:127.0.0.1:${sipPort}`,
      SBC_HTTP_HOST: '127.0.0.1',
      SBC_HTTP_PORT: String(httpPort),
      SBC_ADMIN_HOST: '127.0.0.1',
      SBC_ADMIN_PORT: String(adminPort),
      SBC_ADMIN_TOKENS_FILE: join(app, 'secrets/admin-tokens'),
    };
    proc = spawn(process.execPath, entrypoint.slice(3), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    exited = new Promise((r) => proc!.once('exit', (code) => r(code)));
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.ok === true, 20_000, 100)
      .catch((err: Error) => { throw new Error(`${err.message}\n${log}`); });
  }, 150_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) { proc.kill('SIGKILL'); await exited; }
    rmSync(app, { recursive: true, force: true });
  });

  it('holds none of the build and test tools', () => {
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest', 'sip', 'testcontainers']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'node_modules/ioredis'))).toBe(true);
  });

  it('uses the batched UDP I/O with the addon copied from the build stage (Linux)', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(/sbc_transport_udp_io\{socket="udp:127\.0\.0\.1:\d+",io="(\w+)"/.exec(metrics)?.[1]).toBe(process.platform === 'linux' ? 'batched' : 'dgram');
  });

  it('passes its HEALTHCHECK command', async () => {
    const [cmd, ...args] = healthcheck.map((a) => a.replace('127.0.0.1:9060', `127.0.0.1:${httpPort}`));
    expect(cmd).toBe('node');
    await run(process.execPath, args, { cwd: app, timeout: 10_000 });
  });

  it('answers admin only with a token, and sbcctl from the image reaches it', async () => {
    expect((await fetch(`http://127.0.0.1:${adminPort}/admin/core.info`)).status).toBe(401);
    const { stdout } = await run(process.execPath, ['bin/sbcctl.mjs', '--json', 'core.info'], {
      cwd: app, env: { PATH: process.env.PATH, SBCCTL_URL: `http://127.0.0.1:${adminPort}`, SBCCTL_TOKEN: TOKEN }, timeout: 10_000,
    });
    expect((JSON.parse(stdout) as { state: string }).state).toBe('memory');
  });

  it('drains and exits 0 on SIGTERM (what tini forwards)', async () => {
    proc!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toContain('shutting down: draining transactions');
  }, 20_000);
});
