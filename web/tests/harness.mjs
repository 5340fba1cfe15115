// What the browser tests share: a real `runlet serve` on a free port with a fresh data
// directory, Debian's Chromium driven by playwright-core, screenshots, and TOTP codes.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const artifacts = process.env.RUNLET_E2E_ARTIFACTS ?? join(repo, 'web/test-results');

function runletBinary() {
  const candidates = [process.env.RUNLET_BIN, join(repo, 'build/asan/src/cli/runlet'), join(repo, 'build/release/src/cli/runlet')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error('no runlet binary: build it (make build-test) or set RUNLET_BIN');
}

// Starts the server; resolves once it listens, with its address and the admin password
// it prints on a first start.
// `extra`: more flags for `runlet serve` (e.g. a preview origin).
export async function startServer(extra = []) {
  // Against a server that is already up (e.g. `npm run dev` in front of one):
  // RUNLET_E2E_URL and RUNLET_E2E_ADMIN_PASSWORD. Its data is not cleaned.
  if (process.env.RUNLET_E2E_URL)
    return { url: process.env.RUNLET_E2E_URL, adminPassword: process.env.RUNLET_E2E_ADMIN_PASSWORD ?? null, log: () => '', stop: async () => {} };
  const bin = runletBinary();
  const web = join(repo, 'web/dist');
  if (!existsSync(join(web, 'index.html'))) throw new Error('the web UI is not built: run make web');
  const data = mkdtempSync(join(tmpdir(), 'runlet-e2e-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', data, '--web', web, '--capacity', '2', '--rate', '1000', ...extra];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  let out = '';
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
    if (log.length > 200000) log = log.slice(-100000);
  });
  const ready = new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('runlet serve did not start in 120 s:\n' + log.slice(-4000))), 120000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (http:\/\/[\d.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        const pw = out.match(/user "admin", password "([^"]+)"/);
        resolvePromise({ url: m[1], adminPassword: pw ? pw[1] : null });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runlet serve exited with ${code}:\n${log.slice(-4000)}`));
    });
  });
  const info = await ready;
  child.removeAllListeners('exit');
  return {
    ...info,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 15000);
          child.on('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: scripts/setup installs Debian's chromium`);
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

// A screenshot for the documentation: docs/screenshots/<name>.png (kept in the repo).
export async function docScreenshot(page, name) {
  const dir = join(repo, 'docs/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, for time step `step`.
export function totp(secretBase32, step = Math.floor(Date.now() / 30000)) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) continue;
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1] & 0xf;
  const n = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(n % 1000000).padStart(6, '0');
}

// The sign-up page: a new account, then its projects page.
export async function signup(page, url, username, password) {
  await page.goto(url + '/signup');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/projects');
}

// The login page, filled and sent (what follows is the caller's to wait for: the projects
// page, a two-factor prompt or an error).
export async function login(page, url, username, password) {
  await page.goto(url + '/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
