// Every example a new project can start from (web/src/examples.json) runs on the real
// server with each runtime of its language, and prints what it promises.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repo, startServer } from './harness.mjs';

let server;
let token;
before(async () => {
  server = await startServer();
  const call = (path, body) =>
    fetch(server.url + '/api/v1' + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const user = { username: 'examples', password: 'examples-password-1' };
  assert.equal((await call('/auth/signup', user)).status, 201);
  token = (await (await call('/auth/login', user)).json()).token;
});
after(async () => server?.stop());

const examples = JSON.parse(await readFile(join(repo, 'web/src/examples.json'), 'utf8'));

test('every example of every language runs and prints what it promises', async (t) => {
  const runtimes = await (await fetch(server.url + '/api/v1/runtimes')).json();
  for (const [language, list] of Object.entries(examples)) {
    const mine = runtimes.filter((r) => r.language === language && r.available !== false);
    assert.ok(mine.length, `a runtime for ${language}`);
    for (const rt of mine) {
      for (const ex of list) {
        await t.test(`${rt.id}: ${ex.title}`, async () => {
          const files = Object.entries(ex.files).map(([name, content]) => ({ name, content }));
          const r = await fetch(server.url + '/api/v1/execute', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({ runtime: rt.id, files, stdin: ex.stdin }),
          });
          const result = await r.json();
          assert.equal(r.status, 200, JSON.stringify(result));
          assert.equal(result.status, 'ok', JSON.stringify(result));
          assert.ok(result.stdout.includes(ex.expect), `stdout has ${JSON.stringify(ex.expect)}: ${JSON.stringify(result)}`);
        });
      }
    }
  }
});
