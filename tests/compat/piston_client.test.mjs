// A third-party Piston client from the npm registry (piston-client) against Runlet's
// Piston v2 endpoints, with only its server URL changed. That client sends no token and
// posts its JSON as text/plain, so the server runs with --compat-anonymous: what a
// public Piston-style service of Runlet looks like.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import piston from 'piston-client';

let server;
let url;
let dataDir;
let log = '';

before(async () => {
  const bin = process.env.RUNLET_BIN;
  assert.ok(bin, 'RUNLET_BIN names the runlet binary');
  dataDir = mkdtempSync(join(tmpdir(), 'runlet-compat-'));
  server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--compat', 'piston', '--compat-anonymous',
                       '--rate', '1000'],
                 { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  server.stderr.on('data', (d) => { log = (log + d).slice(-20000); });
  url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('runlet serve did not start:\n' + log)), 120000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (http:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`runlet serve exited with ${code}:\n${log}`)); });
  });
  server.removeAllListeners('exit');
});

after(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('runtimes come back as Piston lists them', async () => {
  const client = piston({ server: `${url}/piston` });
  const runtimes = await client.runtimes();
  assert.ok(Array.isArray(runtimes), JSON.stringify(runtimes));
  const python = runtimes.find((r) => r.language === 'python' && r.runtime === 'python-3.11');
  assert.ok(python, JSON.stringify(runtimes));
  assert.match(python.version, /^3\.11\.\d+$/);
  assert.ok(python.aliases.includes('py'));
});

test('execute runs code with stdin and the client\'s default arguments', async () => {
  const client = piston({ server: `${url}/piston` });
  const result = await client.execute('python', 'import sys\nprint(sys.argv[1:], repr(sys.stdin.read()))', { stdin: 'from the client' });
  assert.equal(result.language, 'python', JSON.stringify(result));
  assert.equal(result.run.code, 0, JSON.stringify(result));
  assert.equal(result.run.stdout, "['1', '2', '3'] 'from the client\\n'\n");
  assert.equal(result.run.status, null);
});

test('a compiled language reports its compile stage; a failed compile is the run stage', async () => {
  const client = piston({ server: `${url}/piston` });
  const ok = await client.execute('c++', '#include <iostream>\nint main(){std::cout << 6 * 7 << "\\n";}');
  assert.equal(ok.compile.code, 0, JSON.stringify(ok));
  assert.equal(ok.run.stdout, '42\n');
  // (The client looks the version up by language name, so it needs "c++", not an alias.)
  const broken = await client.execute({ language: 'c++', files: [{ name: 'main.cpp', content: 'int main( {' }] });
  assert.notEqual(broken.compile.code, 0, JSON.stringify(broken));
  assert.deepEqual(broken.run, broken.compile);
});

test('limits the client passes are applied and reported as Piston does', async () => {
  const client = piston({ server: `${url}/piston` });
  const result = await client.execute('python', 'while True: pass', { runTimeout: 500 });
  assert.equal(result.run.status, 'TO', JSON.stringify(result));
  assert.equal(result.run.signal, 'SIGKILL');
  const unknown = await client.execute({ language: 'python', version: '9.9.9', files: [{ content: 'print(1)' }] });
  assert.equal(unknown.message, 'python-9.9.9 runtime is unknown');
});
