// End-to-end, the second pass of issue 18: the admin deletes an account, projects are
// shared by link (unlisted) or in the gallery (search, language, sort, run counts,
// descriptions, "forked from"), and file:line mentions in the console open the file
// there. Desktop and phone-sized; screenshots land in web/test-results/ (docs/screenshots
// for the main ones).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { docScreenshot, launchBrowser, screenshot, startServer, login as loginAs, signup as signupAs } from './harness.mjs';

let server;
let browser;
const password = 'correct horse battery';
const PHONE = { width: 390, height: 844 };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(30000);
  return page;
}

const signup = (page, username) => signupAs(page, server.url, username, password);

async function loginAdmin(page) {
  await loginAs(page, server.url, 'admin', server.adminPassword);
  await page.waitForURL('**/projects');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(100);
  }
}

// An API call from the page, in its session: [status, JSON body or null].
function call(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const csrf = (document.cookie.match(/runlet_csrf=([^;]*)/) ?? [])[1] ?? '';
      const r = await fetch('/api/v1' + path, {
        method,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return [r.status, json];
    },
    [method, path, body],
  );
}

// A project made through the API with its files; its id.
async function makeProject(page, fields, files) {
  const [status, p] = await call(page, 'POST', '/projects', fields);
  assert.equal(status, 201, JSON.stringify(p));
  for (const [path, content] of Object.entries(files)) {
    const [s] = await call(page, 'PUT', `/projects/${p.id}/files/${path}`, content);
    assert.ok(s === 201 || s === 200, `write ${path}: ${s}`);
  }
  return p.id;
}

// Runs a project through the API and waits for its end.
async function runToEnd(page, id) {
  const [status, run] = await call(page, 'POST', `/projects/${id}/runs`, {});
  assert.equal(status, 202, JSON.stringify(run));
  await until(async () => {
    const [, r] = await call(page, 'GET', `/runs/${run.id}`);
    return !['queued', 'building', 'running'].includes(r.status);
  }, `run ${run.id} to end`);
}

const editorOf = (page, path) => page.locator(`.cm-content[aria-label="Code of ${path}"]`);

async function waitForConsole(page, text, timeout = 60000) {
  await page.waitForFunction((t) => document.querySelector('[data-testid="console"]')?.textContent.includes(t), text, {
    timeout,
  });
}

// The editor's cursor: [line, column], both from 1 (CodeMirror's selection, read in the page).
async function cursorOf(page) {
  return page.evaluate(() => {
    const content = document.querySelector('.cm-content');
    const view = content?.cmView?.view ?? content?.closest('.cm-editor')?.cmView?.view;
    if (view) {
      const pos = view.state.selection.main.head;
      const line = view.state.doc.lineAt(pos);
      return [line.number, pos - line.from + 1];
    }
    // Without the view object: the active line's gutter number, and no column.
    const gutter = document.querySelector('.cm-activeLineGutter');
    return [Number(gutter?.textContent ?? 0), null];
  });
}

const viewports = [
  ['desktop', undefined],
  ['phone', PHONE],
];

describe('sharing, the gallery, deleting users, clickable errors', () => {
  test('the admin deletes a user after a confirmation; not themself', async () => {
    const dora = await newPage();
    await signup(dora, 'dora');
    const doras = await makeProject(dora, { name: 'doras', runtime: 'python-3.11', visibility: 'public' }, {
      'main.py': 'print("dora was here")\n',
    });
    await runToEnd(dora, doras);

    // The phone first (a look at the table's Delete buttons), then the deletion on a desktop.
    for (const [name, viewport] of [...viewports].reverse()) {
      const admin = await newPage(viewport);
      await loginAdmin(admin);
      await admin.goto(server.url + '/admin/users');
      await admin.locator('tr[data-user="admin"]').waitFor();
      assert.equal(await admin.locator('tr[data-user="admin"]').getByRole('button', { name: /^Delete/ }).count(), 0,
        'no Delete on one\'s own row');
      if (name === 'phone') {
        await admin.locator('tr[data-user="dora"]').getByRole('button', { name: 'Delete dora' }).scrollIntoViewIfNeeded();
        await screenshot(admin, 'admin-users-delete-phone');
        await admin.context().close();
        continue;
      }
      await docScreenshot(admin, 'admin-users-delete');
      // The confirmation names what goes; dismissing it keeps the account.
      let asked = '';
      admin.removeAllListeners('dialog');
      admin.once('dialog', (d) => {
        asked = d.message();
        d.dismiss();
      });
      await admin.getByRole('button', { name: 'Delete dora' }).click();
      await until(async () => asked !== '', 'the confirmation');
      assert.match(asked, /Delete the account dora\?.*projects/s);
      await sleep(300);
      assert.equal(await admin.locator('tr[data-user="dora"]').count(), 1);
      admin.once('dialog', (d) => d.accept());
      await admin.getByRole('button', { name: 'Delete dora' }).click();
      await admin.locator('.toast', { hasText: 'Deleted the account dora' }).waitFor();
      await admin.locator('tr[data-user="dora"]').waitFor({ state: 'detached' });
      await admin.context().close();
    }
    // Dora is logged out, her public project gone from the gallery and its link.
    const [me] = await call(dora, 'GET', '/me');
    assert.equal(me, 401);
    const visitor = await newPage();
    await visitor.goto(`${server.url}/p/${doras}`);
    await visitor.getByText('Cannot open the project').waitFor();
    await dora.context().close();
    await visitor.context().close();
  });

  test('an unlisted project: shared by its copied link, run by others, never in the gallery', async () => {
    const alice = await newPage();
    await signup(alice, 'alice');
    const id = await makeProject(alice, { name: 'by-link', runtime: 'python-3.11' }, { 'main.py': 'print("hi from alice")\n' });
    await alice.goto(`${server.url}/p/${id}`);
    await editorOf(alice, 'main.py').waitFor();
    await alice.getByTestId('share-button').click();
    const dialog = alice.getByRole('dialog');
    await dialog.getByText('Private: only you can see it').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Copy link' }).isDisabled(), true, 'nothing to share yet');
    await dialog.getByRole('radio', { name: /^Unlisted/ }).check();
    await dialog.getByTestId('visibility-state').filter({ hasText: 'anyone with the link' }).waitFor();
    await dialog.getByLabel('Description').fill('Says hi, to whoever has the link');
    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await dialog.getByText('Copied the link.').waitFor();
    const link = await alice.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, `${server.url}/p/${id}`);
    await docScreenshot(alice, 'share-dialog');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await until(async () => (await call(alice, 'GET', `/projects/${id}`))[1].description === 'Says hi, to whoever has the link',
      'the description saved on closing');
    await alice.getByTestId('share-button').filter({ hasText: 'unlisted' }).waitFor();

    // Bob opens the link (on a phone), reads and runs it; the gallery does not list it.
    const bob = await newPage(PHONE);
    await signup(bob, 'bob');
    await bob.goto(link);
    await editorOf(bob, 'main.py').waitFor();
    await bob.getByText('read-only, runs in your name').waitFor();
    await bob.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(bob, 'hi from alice');
    await bob.getByTestId('share-button').click();
    assert.equal(await bob.getByRole('radio').count(), 0, 'only the owner chooses who sees it');
    await screenshot(bob, 'share-dialog-viewer-phone');
    await bob.getByRole('button', { name: 'Done' }).click();
    await bob.goto(server.url + '/gallery');
    await bob.getByText('Nobody has shared a project yet.').waitFor();

    // Public: listed, with its description and the run count.
    await alice.getByTestId('share-button').click();
    await alice.getByRole('radio', { name: /^Public/ }).check();
    await alice.getByTestId('visibility-state').filter({ hasText: 'in the gallery' }).waitFor();
    await alice.getByRole('button', { name: 'Done' }).click();
    await bob.reload();
    const card = bob.locator('.project[data-project="by-link"]');
    await card.getByText('Says hi, to whoever has the link').waitFor();
    await card.getByTestId('run-count').filter({ hasText: '1 run' }).waitFor();
    await alice.context().close();
    await bob.context().close();
  });

  test('the gallery searches, filters by language, sorts by runs, and says what a fork came from', async () => {
    const carol = await newPage();
    await signup(carol, 'carol');
    const quiz = await makeProject(carol, {
      name: 'Capital quiz', runtime: 'python-3.11', visibility: 'public', description: 'Asks for capitals of countries',
    }, { 'main.py': 'print("Paris")\n' });
    const fib = await makeProject(carol, {
      name: 'Fibonacci', runtime: 'go-1.19', visibility: 'public', description: 'Numbers, fast',
    }, { 'main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(1, 1, 2, 3, 5) }\n' });
    for (let i = 0; i < 3; i++) await runToEnd(carol, fib);
    await runToEnd(carol, quiz);

    const dave = await newPage();
    await signup(dave, 'dave');
    await dave.goto(server.url + '/gallery');
    const names = () => dave.locator('.project .project-name').allInnerTexts();
    await until(async () => (await names()).includes('Fibonacci'), 'the gallery');
    await dave.getByLabel('Sort by').selectOption('runs');
    await until(async () => (await names())[0] === 'Fibonacci', 'most run first');
    await dave.locator('.project[data-project="Fibonacci"]').getByTestId('run-count').filter({ hasText: '3 runs' }).waitFor();
    await dave.getByLabel('Sort by').selectOption('name');
    await until(async () => (await names())[0] === 'by-link', 'A-Z');
    await dave.getByLabel('Search the gallery').fill('CAPITALS');
    await until(async () => JSON.stringify(await names()) === '["Capital quiz"]', 'the search in descriptions');
    await dave.getByLabel('Search the gallery').fill('');
    await dave.getByLabel('Language').selectOption('go');
    await until(async () => JSON.stringify(await names()) === '["Fibonacci"]', 'the Go projects');
    await dave.getByLabel('Search the gallery').fill('nothing like this');
    await dave.getByText('No public project matches.').waitFor();
    await dave.getByLabel('Search the gallery').fill('');
    await dave.getByLabel('Language').selectOption('');

    // A fork made public names its original, linked.
    await dave.getByRole('button', { name: 'Fork Capital quiz' }).click();
    await dave.waitForURL((u) => u.pathname.startsWith('/p/') && !u.pathname.endsWith(quiz));
    const forkId = new URL(dave.url()).pathname.split('/').pop();
    const [s] = await call(dave, 'PATCH', `/projects/${forkId}`, { visibility: 'public', name: 'My quiz' });
    assert.equal(s, 200);
    for (const [name, viewport] of viewports) {
      const page = viewport ? await newPage(viewport) : dave;
      await page.goto(server.url + '/gallery');
      const forked = page.locator('.project[data-project="My quiz"]').getByTestId('forked-from');
      await forked.filter({ hasText: 'forked from Capital quiz by carol' }).waitFor();
      if (name === 'desktop') await docScreenshot(page, 'gallery');
      else {
        await screenshot(page, 'gallery-phone');
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= PHONE.width, `the gallery fits a phone's width (${width} px)`);
        await page.context().close();
      }
    }
    await dave.locator('.project[data-project="My quiz"]').getByRole('link', { name: 'Capital quiz' }).click();
    await dave.waitForURL(`**/p/${quiz}`);
    await carol.context().close();
    await dave.context().close();
  });

  // Each language's error format: the mention becomes a link that opens the file there.
  const cases = [
    {
      runtime: 'python-3.11',
      files: { 'main.py': 'from lib.util import boom\n\nboom()\n', 'lib/__init__.py': '', 'lib/util.py': 'def boom():\n    raise ValueError("boom")\n' },
      mention: /File ".*lib\/util\.py", line 2/,
      at: ['lib/util.py', 2, null],
    },
    { runtime: 'go-1.19', files: { 'main.go': 'package main\n\nfunc main() {\n\tx := 1\n\ty\n}\n' }, mention: /main\.go:5:2/, at: ['main.go', 5, 2] },
    {
      runtime: 'java-17',
      files: { 'Main.java': 'public class Main {\n  public static void main(String[] a) {\n    int x = "s";\n  }\n}\n' },
      mention: /Main\.java:3/,
      at: ['Main.java', 3, null],
    },
    { runtime: 'c-gcc-12', files: { 'main.c': '#include <stdio.h>\n\nint main(void) {\n    retur 0;\n}\n' }, mention: /main\.c:4:5/, at: ['main.c', 4, 5] },
    { runtime: 'rust-1.63', files: { 'main.rs': 'fn main() {\n    let x: i32 = "s";\n}\n' }, mention: /main\.rs:2:\d+/, at: ['main.rs', 2, null] },
  ];

  test('file:line in the console opens that file at that line (Python, Go, Java, C, Rust)', async () => {
    const erin = await newPage();
    await signup(erin, 'erin');
    for (const c of cases) {
      const files = Object.keys(c.files);
      const id = await makeProject(erin, { name: `errors-${c.runtime}`, runtime: c.runtime }, c.files);
      await erin.goto(`${server.url}/p/${id}`);
      const main = files.find((f) => !f.includes('/') && f !== 'lib/__init__.py');
      await erin.locator('.tab.active .tab-name').waitFor();
      await erin.getByRole('button', { name: 'Run', exact: true }).click();
      const link = erin.locator('[data-testid="console"] a.file-spot', { hasText: c.mention });
      try {
        await link.first().waitFor({ timeout: 90000 });
      } catch (e) {
        e.message += `\n${c.runtime}: the console shows:\n${await erin.getByTestId('console').innerText()}`;
        throw e;
      }
      const [path, line, col] = c.at;
      assert.equal(await link.first().getAttribute('data-path'), path, c.runtime);
      // Away from the file first (where there is another), so the click must open it.
      if (path !== main) await erin.locator(`.tree-item[data-path="${main}"]`).click();
      await link.first().click();
      await editorOf(erin, path).waitFor();
      await until(async () => {
        const [l, cc] = await cursorOf(erin);
        return l === line && (col === null || cc === null || cc === col);
      }, `${c.runtime}: the cursor at ${path}:${line}${col ? ':' + col : ''} (it is at ${JSON.stringify(await cursorOf(erin))})`);
      if (c.runtime === 'go-1.19') await docScreenshot(erin, 'console-error-link');
    }
    // On a phone too: the link opens the file, and the editor comes into view.
    const phone = await newPage(PHONE);
    await phone.goto(server.url + '/login');
    await phone.getByLabel('User name').fill('erin');
    await phone.getByLabel('Password').fill(password);
    await phone.getByRole('button', { name: 'Log in' }).click();
    await phone.waitForURL('**/projects');
    const [, list] = await call(phone, 'GET', '/projects');
    const py = list.find((p) => p.runtime === 'python-3.11');
    await phone.goto(`${server.url}/p/${py.id}`);
    await phone.locator('.tab.active .tab-name').waitFor();
    await phone.getByRole('button', { name: 'Run', exact: true }).click();
    const link = phone.locator('[data-testid="console"] a.file-spot', { hasText: /util\.py/ }).first();
    await link.waitFor({ timeout: 60000 });
    await screenshot(phone, 'console-error-link-phone');
    await link.click();
    await editorOf(phone, 'lib/util.py').waitFor();
    await until(async () => (await cursorOf(phone))[0] === 2, 'the cursor on line 2');
    await until(
      async () => phone.evaluate(() => {
        const r = document.querySelector('.cm-editor').getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight;
      }),
      'the editor in view',
    );
    await phone.context().close();
    await erin.context().close();
  });
});
