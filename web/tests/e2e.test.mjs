// End-to-end: the real server and the real UI in headless Chromium. Each test is a thing
// a person does; screenshots of the main screens land in web/test-results/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, startServer, totp } from './harness.mjs';

let server;
let browser;
const password = 'correct horse battery';

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
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(30000);
  return page;
}

async function signup(page, username) {
  await page.goto(server.url + '/signup');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/projects');
}

async function login(page, username, pw = password) {
  await page.goto(server.url + '/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(pw);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function createProject(page, name, runtime) {
  await page.goto(server.url + '/projects');
  await page.getByLabel('Name').fill(name);
  await page.locator('form[aria-label="New project"] select').selectOption(runtime);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL('**/p/*');
  await page.locator('.cm-content').waitFor();
}

// Replaces the open file's text (typed as one insertion, so no auto-closing brackets).
async function setCode(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();
}

async function addFile(page, name) {
  await page.getByRole('button', { name: 'New file' }).click();
  await page.getByLabel('New file name').fill(name);
  await page.getByLabel('New file name').press('Enter');
  await page.locator('.tab.active', { hasText: name.split('/').pop() }).waitFor();
}

const consoleText = (page) => page.getByTestId('console').innerText();

async function waitForConsole(page, text, timeout = 60000) {
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="console"]')?.textContent.includes(t),
    text,
    { timeout },
  );
}

async function waitForStatus(page, text, timeout = 60000) {
  await page.getByTestId('run-status').filter({ hasText: text }).waitFor({ timeout });
}

const GO_MAIN = `package main

import "fmt"

func main() {
	fmt.Println(greeting("Runlet"))
}
`;
const GO_GREET = `package main

func greeting(name string) string {
	return "Hello, " + name + ", from greet.go"
}
`;
const GO_LONG = `package main

import (
	"fmt"
	"time"
)

func main() {
	for i := 1; i <= 300; i++ {
		fmt.Println("tick", i)
		time.Sleep(200 * time.Millisecond)
	}
}
`;

describe('the web UI', () => {
  let alice; // a page logged in as alice, with her Go project open
  let aliceProject;

  test('sign up, create a Go project with two files, run it and see its output', async () => {
    alice = await newPage();
    await signup(alice, 'alice');
    await screenshot(alice, 'projects');
    await createProject(alice, 'two-files', 'go-1.19');
    aliceProject = new URL(alice.url()).pathname.split('/').pop();
    // The runtime picker shows the version, OS and arch.
    const option = await alice.locator('.ide-bar select option:checked').innerText();
    assert.match(option, /Go/);
    await setCode(alice, GO_MAIN);
    await addFile(alice, 'greet.go');
    await setCode(alice, GO_GREET);
    assert.equal(await alice.locator('.tree-item').count(), 2);
    await alice.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(alice, 'Hello, Runlet, from greet.go');
    await waitForStatus(alice, 'Finished (exit code 0)');
    const result = await alice.getByTestId('run-result').innerText();
    assert.match(result, /CPU .* wall .* memory/);
    await screenshot(alice, 'editor-run');
  });

  test('files and folders: add, rename, delete, and a run sees the result', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'tree', 'python-3.11');
    await setCode(page, 'from lib import util\nprint(util.NAME)\n');
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('New folder name').fill('lib');
    await page.getByLabel('New folder name').press('Enter');
    await page.locator('.tree-item[data-path="lib"]').click(); // select it: new files go in
    await addFile(page, 'helpers.py');
    await setCode(page, 'NAME = "from lib/helpers.py"\n');
    await page.locator('.tree-item[data-path="lib/helpers.py"]').waitFor();
    // Rename the file in place, then check the run imports it by its new name.
    await page.locator('.tree-item[data-path="lib/helpers.py"]').hover(); // the row's actions show on hover or focus
    await page.getByRole('button', { name: 'Rename lib/helpers.py' }).click();
    await page.getByLabel('New name for lib/helpers.py').fill('util.py');
    await page.getByLabel('New name for lib/helpers.py').press('Enter');
    await page.locator('.tree-item[data-path="lib/util.py"]').waitFor();
    await addFile(page, 'scratch.txt');
    await page.locator('.tree-item', { hasText: 'scratch.txt' }).hover();
    await page.getByRole('button', { name: /^Delete .*scratch.txt$/ }).click();
    await page.locator('.tree-item', { hasText: 'scratch.txt' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(page, 'from lib/helpers.py');
    await waitForStatus(page, 'Finished (exit code 0)');
    // The server has exactly these files.
    const files = await page.evaluate(async (id) => (await fetch(`/api/v1/projects/${id}/files`)).json(), new URL(page.url()).pathname.split('/').pop());
    assert.deepEqual(files.map((f) => f.path).sort(), ['lib/util.py', 'main.py']);
    await page.context().close();
  });

  test('Ctrl+Enter runs; stdout and stderr apart, blank lines, colours, input for the program', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'console', 'python-3.11');
    await setCode(
      page,
      [
        'import sys',
        'print("\\x1b[31mred\\x1b[0m plain")',
        'print()',
        'print("after the blank line")',
        'print("to stderr", file=sys.stderr)',
        'sys.stdout.flush()',
        'name = input()',
        'print("hi", name)',
        'sys.stdout.write("no newline at the end")',
        '',
      ].join('\n'),
    );
    await page.keyboard.press('ControlOrMeta+Enter');
    await waitForConsole(page, 'after the blank line');
    await page.getByLabel('Program input').fill('Runlet');
    await page.getByLabel('Program input').press('Enter');
    await waitForConsole(page, 'hi Runlet');
    await waitForStatus(page, 'Finished (exit code 0)');
    await waitForConsole(page, 'no newline at the end');
    const lines = await page.locator('[data-testid="console"] .line').evaluateAll((els) =>
      els.map((e) => ({ cls: e.className, text: e.textContent, red: !!e.querySelector('.ansi-red-fg') })),
    );
    const red = lines.find((l) => l.text === 'red plain');
    assert.ok(red && red.red, 'ANSI red is rendered as a colour, not as escape codes: ' + JSON.stringify(lines));
    const i = lines.indexOf(red);
    assert.equal(lines[i + 1].text, '', 'the blank line is kept');
    assert.equal(lines[i + 2].text, 'after the blank line');
    const err = lines.find((l) => l.text === 'to stderr');
    assert.match(err.cls, /stderr/);
    assert.doesNotMatch(red.cls, /stderr/);
    await page.context().close();
  });

  test('a long output stays responsive and the console stops following when scrolled up', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'flood', 'python-3.11');
    await setCode(page, 'for i in range(30000):\n    print("line", i)\n');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForStatus(page, 'Finished', 120000);
    await waitForConsole(page, 'line 29999');
    const shown = await page.locator('[data-testid="console"] .line').count();
    assert.ok(shown <= 5002, `the console keeps a bounded number of lines (${shown})`);
    await waitForConsole(page, 'earlier lines not shown');
    // The page still answers at once.
    const t0 = Date.now();
    await page.evaluate(() => document.title);
    assert.ok(Date.now() - t0 < 1000);
    // Scrolling up stops the auto-scroll and offers a way back.
    await page.getByTestId('console').evaluate((el) => el.scrollTo(0, 0));
    await page.getByRole('button', { name: '↓ Latest output' }).waitFor();
    await page.context().close();
  });

  test('start a long run and stop it', async () => {
    await alice.goto(`${server.url}/p/${aliceProject}`);
    await alice.locator('.tree-item', { hasText: 'main.go' }).click();
    await setCode(alice, GO_LONG);
    await alice.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForStatus(alice, 'Running');
    await waitForConsole(alice, 'tick 2');
    await screenshot(alice, 'editor-running');
    await alice.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitForStatus(alice, 'Cancelled (user)');
    assert.ok(await alice.getByRole('button', { name: 'Stop', exact: true }).isDisabled());
  });

  test('a run started while one is active cancels the first', async () => {
    await alice.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForStatus(alice, 'Running');
    await waitForConsole(alice, 'tick 2');
    await alice.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(alice, 'ended: Cancelled (superseded)');
    await waitForConsole(alice, 'tick 1');
    await alice.getByRole('tab', { name: 'History' }).click();
    await alice.locator('.history-row .pill', { hasText: 'Cancelled (superseded)' }).first().waitFor();
    await screenshot(alice, 'history');
    await alice.getByRole('tab', { name: 'Console' }).click();
    await alice.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitForStatus(alice, 'Cancelled');
  });

  test('history restores an earlier version of the code', async () => {
    await alice.getByRole('tab', { name: 'History' }).click();
    // The oldest run is the first one, of the two-file hello world.
    const oldest = alice.locator('.history-row').last();
    await oldest.getByRole('button', { name: /Restore version/ }).click();
    await alice.locator('.toast', { hasText: 'Restored version' }).waitFor();
    await alice.locator('.tree-item', { hasText: 'main.go' }).click();
    await alice.locator('.cm-content', { hasText: 'greeting("Runlet")' }).waitFor();
  });

  test('TOTP: enrol with the QR code page, then log in with a code', async () => {
    const page = await newPage();
    await signup(page, 'tess');
    await page.goto(server.url + '/account');
    await page.getByRole('button', { name: 'Set up two-factor login' }).click();
    await page.getByTestId('totp-qr').waitFor();
    const secret = await page.getByTestId('totp-secret').innerText();
    await screenshot(page, 'account-totp');
    const step = Math.floor(Date.now() / 30000);
    await page.locator('input[name="totp-code"]').fill(totp(secret, step));
    await page.getByRole('button', { name: 'Verify and turn on' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, 'tess');
    await page.getByLabel(/Code from your authenticator/).waitFor();
    // A wrong code is refused with a clear message...
    await page.getByLabel(/Code from your authenticator/).fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.error').waitFor();
    // ... and the next time step's code (the enrolment used this one) logs in.
    await page.getByLabel(/Code from your authenticator/).fill(totp(secret, step + 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL('**/projects');
    await page.locator('.who', { hasText: 'tess' }).waitFor();
    await page.context().close();
  });

  test('an admin adds a runtime, which then appears for a user', async () => {
    assert.ok(server.adminPassword, 'the first start prints the admin password');
    const admin = await newPage();
    await login(admin, 'admin', server.adminPassword);
    await admin.waitForURL('**/projects');
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    await admin.getByRole('link', { name: 'Runtimes' }).click();
    await admin.locator('tr[data-runtime="go-1.19"]').waitFor();
    await admin.getByRole('button', { name: 'Add runtime' }).click();
    // The form starts from an example; change what makes it this runtime.
    const form = admin.locator('form[aria-label="New runtime"]');
    await form.getByLabel('Id', { exact: true }).fill('python-e2e');
    await form.getByLabel('Display name', { exact: true }).fill('Python for the E2E test');
    await form.getByLabel('Description', { exact: true }).fill('Added from the admin portal.');
    await form.getByLabel('Run command', { exact: true }).fill('["python3", "main.py"]');
    await form.getByLabel('run memory', { exact: true }).fill('128M');
    await form.getByLabel('Question 1', { exact: true }).fill('Who made this?');
    await form.getByLabel('Answer 1', { exact: true }).fill('The end-to-end test.');
    // The JSON view shows the same definition.
    await form.getByRole('button', { name: 'Edit as JSON' }).click();
    const json = JSON.parse(await form.getByLabel('Runtime definition (JSON)').inputValue());
    assert.equal(json.id, 'python-e2e');
    assert.deepEqual(json.run, ['python3', 'main.py']);
    assert.equal(json.limits.run.memory, '128M');
    await form.getByRole('button', { name: 'Edit as a form' }).click();
    await admin.getByRole('button', { name: 'Save runtime' }).click();
    await admin.locator('tr[data-runtime="python-e2e"]').waitFor();
    await screenshot(admin, 'admin-runtimes');
    // The other admin screens answer too.
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.locator('tr[data-user="alice"]').waitFor();
    await screenshot(admin, 'admin-users');
    await admin.getByRole('link', { name: 'Platforms' }).click();
    await admin.locator('table[aria-label="Platforms"] tbody tr').first().waitFor();
    await admin.context().close();

    await alice.goto(server.url + '/projects');
    const added = alice.locator('form[aria-label="New project"] select option', { hasText: 'Python for the E2E test' });
    await added.waitFor({ state: 'attached' });
    const options = await alice.locator('form[aria-label="New project"] select option').allInnerTexts();
    assert.ok(options.some((o) => o.includes('Python for the E2E test')), options.join(' | '));
    await createProject(alice, 'custom-runtime', 'python-e2e');
    await alice.getByRole('tab', { name: 'Help' }).click();
    await alice.getByText('Who made this?').waitFor();
    await alice.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(alice, 'Hello from Python!');
  });

  test('a user is not an admin: no Admin link, and the server refuses the admin API', async () => {
    await alice.goto(server.url + '/admin');
    await alice.getByText('Only admins see this page.').waitFor();
    assert.equal(await alice.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
    const status = await alice.evaluate(async () => (await fetch('/api/v1/admin/users')).status);
    assert.equal(status, 403);
  });

  test('fork a public project from the gallery', async () => {
    await alice.goto(`${server.url}/p/${aliceProject}`);
    await alice.getByRole('switch', { name: 'Public' }).check();
    await alice.locator('label.switch', { hasText: 'Public' }).waitFor();
    const bob = await newPage();
    await signup(bob, 'bob');
    await bob.getByRole('link', { name: 'Gallery' }).click();
    await bob.locator('.project', { hasText: 'two-files' }).waitFor();
    await screenshot(bob, 'gallery');
    await bob.getByRole('button', { name: 'Fork two-files' }).click();
    await bob.waitForURL((u) => u.pathname.startsWith('/p/') && !u.pathname.endsWith(aliceProject));
    await bob.locator('.tree-item', { hasText: 'greet.go' }).waitFor();
    // The fork is bob's: he can run it.
    await bob.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(bob, 'Hello, Runlet, from greet.go');
    await bob.context().close();
  });

  test('the admin sets a quota and disables a user; the user sees clear errors', async () => {
    const carol = await newPage();
    await signup(carol, 'carol');
    const admin = await newPage();
    await login(admin, 'admin', server.adminPassword);
    await admin.waitForURL('**/projects');
    await admin.goto(server.url + '/admin/users');
    await admin.getByRole('button', { name: 'Edit quota of carol' }).click();
    await admin.getByLabel('Runs at once').fill('1');
    await admin.getByRole('button', { name: 'Save quota' }).click();
    await admin.locator('tr[data-user="carol"]', { hasText: '1 runs' }).waitFor();

    const sleeper = 'import time\nprint("awake", flush=True)\ntime.sleep(30)\n';
    await createProject(carol, 'first', 'python-3.11');
    await setCode(carol, sleeper);
    await carol.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForConsole(carol, 'awake');
    await createProject(carol, 'second', 'python-3.11');
    await setCode(carol, sleeper);
    await carol.getByRole('button', { name: 'Run', exact: true }).click();
    await carol.locator('.toast.error', { hasText: 'Quota reached' }).waitFor();
    await screenshot(carol, 'quota-error');

    await admin.locator('tr[data-user="carol"]').getByLabel('carol enabled').uncheck();
    await admin.locator('tr[data-user="carol"]', { hasText: 'disabled' }).waitFor();
    await admin.context().close();
    // Her session has ended: the next page asks her to log in, and logging in says why not.
    await carol.goto(server.url + '/projects');
    await carol.getByRole('button', { name: 'Log in' }).waitFor();
    await login(carol, 'carol');
    await carol.locator('.error', { hasText: 'disabled' }).waitFor();
    await carol.context().close();
  });

  test('works on a narrow laptop screen', async () => {
    const page = await newPage({ width: 800, height: 900 });
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await page.goto(`${server.url}/p/${aliceProject}`);
    await page.getByRole('button', { name: 'Run', exact: true }).waitFor();
    const box = await page.getByRole('button', { name: 'Run', exact: true }).boundingBox();
    assert.ok(box && box.x + box.width <= 800, 'the Run button is on the screen');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
    await screenshot(page, 'editor-narrow');
    await page.context().close();
  });

  test('bad input gets a clear error: a file too large, an unknown page', async () => {
    const big = 'x'.repeat(1100000);
    const answer = await alice.evaluate(async ([id, body]) => {
      const csrf = document.cookie.match(/runlet_csrf=([^;]*)/)[1];
      const r = await fetch(`/api/v1/projects/${id}/files/big.txt`, { method: 'PUT', body, headers: { 'X-CSRF-Token': csrf } });
      return { status: r.status, body: await r.json() };
    }, [aliceProject, big]);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'too_large');
    await alice.goto(server.url + '/no/such/page');
    await alice.getByText('There is no such page.').waitFor();
    const missing = await alice.evaluate(async () => (await fetch('/assets/missing.js')).status);
    assert.equal(missing, 404);
  });
});
