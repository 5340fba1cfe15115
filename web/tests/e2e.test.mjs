// End-to-end: the real server and the real UI in headless Chromium. Each test is a thing
// a person does; screenshots of the main screens land in web/test-results/.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { docScreenshot, launchBrowser, screenshot, startServer, totp, login as loginAs, signup as signupAs } from './harness.mjs';

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

async function newPage(viewport = { width: 1440, height: 900 }, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(30000);
  return page;
}

const signup = (page, username) => signupAs(page, server.url, username, password);

const login = (page, username, pw = password) => loginAs(page, server.url, username, pw);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `check` (async, in the test) until it holds.
async function until(check, what, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(100);
  }
}

// The window's title (pages set it as they render, the editor once the project is read).
const waitForTitle = (page, title) => until(async () => (await page.title()) === title, `the title "${title}"`);

const projectIdOf = (page) => new URL(page.url()).pathname.split('/').pop();

// A file of the open project as the server has it (null: no such file).
async function serverFile(page, path) {
  return page.evaluate(
    async ([id, p]) => {
      const r = await fetch(`/api/v1/projects/${id}/files/${p.split('/').map(encodeURIComponent).join('/')}`);
      return r.ok ? r.text() : null;
    },
    [projectIdOf(page), path],
  );
}

// The editor showing `path` (its tab active and CodeMirror holding that file).
const editorOf = (page, path) => page.locator(`.cm-content[aria-label="Code of ${path}"]`);
const activePath = (page) => page.locator('.tab.active .tab-name').getAttribute('title');

async function createProject(page, name, runtime, example = null) {
  await page.goto(server.url + '/projects');
  await page.getByLabel('Name').fill(name);
  await page.locator('form[aria-label="New project"] select').first().selectOption(runtime);
  if (example) await page.getByLabel('Start from').selectOption({ label: example });
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL('**/p/*');
  await editorOf(page, await activePath(page)).waitFor();
}

// Replaces the open file's text (typed as one insertion, so no auto-closing brackets), and
// returns once the server has it: the save state alone may still be the one from before
// the edit when the typing returns.
async function setCode(page, text) {
  const path = await activePath(page);
  await editorOf(page, path).click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await until(
    async () =>
      (await page.getByTestId('save-state').innerText()) === 'All changes saved' && (await serverFile(page, path)) === text,
    `${path} saved`,
  );
}

// Opens a file from the tree; returns once the editor holds it.
async function openFile(page, path) {
  await page.locator(`.tree-item[data-path="${path}"]`).click();
  await editorOf(page, path).waitFor();
}

// Adds a file where the tree puts new files; `path` is where it must land.
async function addFile(page, name, path = name) {
  await page.getByRole('button', { name: 'New file' }).click();
  await page.getByLabel('New file name').fill(name);
  await page.getByLabel('New file name').press('Enter');
  await page.locator(`.tree-item[data-path="${path}"]`).waitFor();
  await editorOf(page, path).waitFor();
}

// Starts a run (by a click on Run, or `how`) and returns once the page follows the new
// run: the server's answer to the POST names it, and the status bar says which run it
// shows. (Not the console's first line: a fast run's output can push the header off the
// top of the console before a poll sees it.)
async function startRun(page, how = () => page.getByRole('button', { name: 'Run', exact: true }).click()) {
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && /^\/api\/v1\/projects\/[^/]+\/runs$/.test(new URL(r.url()).pathname),
  );
  await how();
  const response = await posted;
  const body = await response.json();
  assert.equal(response.status(), 202, `the run was not accepted: ${JSON.stringify(body)}`);
  const shown = () => page.getByTestId('run-status').getAttribute('data-run');
  try {
    await until(async () => (await shown()) === body.id, 'the page to follow the new run');
  } catch (e) {
    // Say what the page showed and what the server logged meanwhile.
    const toasts = await page.locator('.toast').allInnerTexts();
    e.message += `\nrun ${body.id}; the page shows ${await shown()}; toasts: ${JSON.stringify(toasts)}`;
    e.message += `\nthe server's log, last lines:\n${server.log().slice(-6000)}`;
    throw e;
  }
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

// The tree's input for a new entry or a new name: type, Enter; returns the error shown
// under it (null when the input closed, i.e. the name was taken).
async function typeName(page, label, name) {
  const input = page.getByLabel(label, { exact: true });
  const error = page.locator('.tree-error');
  await input.fill(name);
  await error.waitFor({ state: 'detached' }); // an earlier name's error goes as the name changes
  await input.press('Enter');
  await until(async () => (await input.count()) === 0 || (await error.count()) > 0, `"${name}" taken or refused`);
  return (await error.count()) ? error.innerText() : null;
}

describe('the web UI', () => {
  let alice; // a page logged in as alice, with her Go project open
  let aliceProject;

  test('sign up, create a Go project with two files, run it and see its output', async () => {
    alice = await newPage();
    await signup(alice, 'alice');
    await waitForTitle(alice, 'Your projects · Runlet');
    // A new project starts as Python, not the first runtime of the alphabet.
    const picker = alice.locator('form[aria-label="New project"] select').first();
    await until(async () => (await picker.inputValue()) !== '', 'the runtime catalog');
    assert.equal(await picker.inputValue(), 'python-3.11');
    await screenshot(alice, 'projects');
    await createProject(alice, 'two-files', 'go-1.19');
    aliceProject = projectIdOf(alice);
    await waitForTitle(alice, 'two-files · Runlet');
    // The runtime picker shows the version, OS and arch.
    const option = await alice.locator('.ide-bar select option:checked').innerText();
    assert.match(option, /Go/);
    await setCode(alice, GO_MAIN);
    await addFile(alice, 'greet.go');
    await setCode(alice, GO_GREET);
    assert.equal(await alice.locator('.tree-item').count(), 2);
    await startRun(alice);
    await waitForConsole(alice, 'Hello, Runlet, from greet.go');
    await waitForStatus(alice, 'Finished (exit code 0)');
    // The end is said once in the console (with the usage) and once in the bar.
    const result = await alice.getByTestId('run-result').innerText();
    assert.match(result, /^■ Finished \(exit code 0\) · build \d[\d.]* m?s · run: CPU .* wall .* memory/);
    const said = (await alice.locator('main').innerText()).split('Finished (exit code 0)').length - 1;
    assert.equal(said, 2, 'the final status is shown in the bar and at the end of the console');
    await screenshot(alice, 'editor-run');
  });

  test('a direct link or a reload opens the main file, and the console shows the last run', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    for (let i = 0; i < 3; i++) {
      // greet.go sorts first; the runtime's main file is main.go.
      if (i === 0) await page.goto(`${server.url}/p/${aliceProject}`);
      else await page.reload();
      await editorOf(page, 'main.go').waitFor();
      assert.equal(await activePath(page), 'main.go');
      await waitForConsole(page, 'Hello, Runlet, from greet.go');
      await page.getByTestId('run-result').filter({ hasText: 'Finished (exit code 0)' }).waitFor();
      await waitForStatus(page, 'Finished (exit code 0)');
    }
    await page.context().close();
  });

  test('files and folders: add, rename, move, delete, and a run sees the result', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'tree', 'python-3.11');
    await setCode(page, 'from lib import util\nprint(util.NAME)\n');
    await page.getByRole('button', { name: 'New folder' }).click();
    assert.equal(await typeName(page, 'New folder name', 'lib'), null);
    await page.locator('.tree-item[data-path="lib"]').click(); // select it: new files go in
    await addFile(page, 'helpers.py', 'lib/helpers.py');
    await setCode(page, 'NAME = "from lib/helpers.py"\n');
    // Rename the file in place, then check the run imports it by its new name. The name
    // is typed at once, before the next frame (as fill() and a quick typist may): it is
    // kept whole, not cut by a focus and selection of the input's own that come later.
    await page.locator('.tree-item[data-path="lib/helpers.py"]').hover(); // the row's actions show on hover or focus
    await page.evaluate(async () => {
      document.querySelector('button[aria-label="Rename lib/helpers.py"]').click();
      await new Promise((r) => setTimeout(r, 0)); // the input is there
      const input = document.querySelector('input[aria-label="New name for lib/helpers.py"]');
      input.focus();
      input.select();
    });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    await page.keyboard.insertText('util.py');
    await page.keyboard.press('Enter');
    await page.locator('.tree-item[data-path="lib/util.py"]').waitFor({ timeout: 10000 });
    // A file clicked: new files go in its folder (the top one here), not the folder clicked before.
    await openFile(page, 'main.py');
    await addFile(page, 'scratch.txt', 'scratch.txt');
    // Names that cannot be are said at once, and the input stays for a better one.
    await page.getByRole('button', { name: 'New file' }).click();
    assert.match(await typeName(page, 'New file name', '../x.py'), /goes above the project's top folder/);
    assert.match(await typeName(page, 'New file name', 'main.py'), /main\.py already exists/);
    assert.match(await typeName(page, 'New file name', 'lib'), /lib already exists as a folder/);
    await page.getByLabel('New file name', { exact: true }).press('Escape');
    assert.equal(await page.locator('.toast.error').count(), 0, 'nothing was sent');
    // Into a folder and back to the top: a relative path, then a leading "/".
    await page.locator('.tree-item[data-path="scratch.txt"]').hover();
    await page.getByRole('button', { name: 'Rename scratch.txt' }).click();
    assert.equal(await typeName(page, 'New name for scratch.txt', 'lib/notes.txt'), null);
    await page.locator('.tree-item[data-path="lib/notes.txt"]').waitFor();
    await page.locator('.tree-item[data-path="lib/notes.txt"]').hover();
    await page.getByRole('button', { name: 'Rename lib/notes.txt' }).click();
    assert.equal(await typeName(page, 'New name for lib/notes.txt', '/notes.txt'), null);
    await page.locator('.tree-item[data-path="notes.txt"]').waitFor();
    // "../" is the folder above: lib/util.py -> util.py -> back with "lib/util.py".
    await page.locator('.tree-item[data-path="lib/util.py"]').hover();
    await page.getByRole('button', { name: 'Rename lib/util.py' }).click();
    assert.equal(await typeName(page, 'New name for lib/util.py', '../util.py'), null);
    await page.locator('.tree-item[data-path="util.py"]').waitFor();
    await page.locator('.tree-item[data-path="util.py"]').hover();
    await page.getByRole('button', { name: 'Rename util.py' }).click();
    assert.equal(await typeName(page, 'New name for util.py', 'lib/util.py'), null);
    await page.locator('.tree-item[data-path="lib/util.py"]').waitFor();
    // A folder clicked, then the empty space under the files: new files go to the top.
    await page.locator('.tree-item[data-path="lib"]').click();
    await page.locator('.tree-item[data-path="lib"]').click(); // (opened again)
    const tree = await page.locator('.ide-files').boundingBox();
    await page.mouse.click(tree.x + tree.width / 2, tree.y + tree.height - 10);
    await addFile(page, 'top.txt', 'top.txt');
    for (const name of ['notes.txt', 'top.txt']) {
      await page.locator(`.tree-item[data-path="${name}"]`).hover();
      await page.getByRole('button', { name: `Delete ${name}` }).click();
      await page.locator(`.tree-item[data-path="${name}"]`).waitFor({ state: 'detached' });
    }
    await startRun(page);
    await waitForConsole(page, 'from lib/helpers.py');
    await waitForStatus(page, 'Finished (exit code 0)');
    // The server has exactly these files.
    const files = await page.evaluate(async (id) => (await fetch(`/api/v1/projects/${id}/files`)).json(), projectIdOf(page));
    assert.deepEqual(files.map((f) => f.path).sort(), ['lib/util.py', 'main.py']);
    await page.context().close();
  });

  test('files travel: download one, the project as a zip, upload files and a zip into another project', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'zip-source', 'python-3.11');
    await setCode(page, 'from lib import util\nprint(util.NAME)\n');
    await page.getByRole('button', { name: 'New folder' }).click();
    assert.equal(await typeName(page, 'New folder name', 'lib'), null);
    await page.locator('.tree-item[data-path="lib"]').click();
    await addFile(page, 'util.py', 'lib/util.py');
    await setCode(page, 'NAME = "from an uploaded zip"\n');
    // One file, then the whole project.
    await page.locator('.tree-item[data-path="lib/util.py"]').hover();
    const [one] = await Promise.all([page.waitForEvent('download'), page.getByLabel('Download lib/util.py').click()]);
    assert.equal(one.suggestedFilename(), 'util.py');
    assert.equal(await readFile(await one.path(), 'utf8'), 'NAME = "from an uploaded zip"\n');
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByLabel('Download the project as a zip').click()]);
    assert.equal(zip.suggestedFilename(), 'zip-source.zip');
    const zipBytes = await readFile(await zip.path());
    assert.equal(zipBytes.subarray(0, 2).toString(), 'PK');
    // Into a new project: the zip is unpacked, a plain file lands in the folder selected.
    await createProject(page, 'zip-target', 'python-3.11');
    await page.locator('input[aria-label="Files to upload"]').setInputFiles({ name: 'zip-source.zip', mimeType: 'application/zip', buffer: zipBytes });
    await page.locator('.toast', { hasText: 'Uploaded 2 files' }).waitFor();
    await page.locator('.tree-item[data-path="lib/util.py"]').waitFor();
    await page.locator('.tree-item[data-path="lib"]').click();
    await page.locator('input[aria-label="Files to upload"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a note\n') });
    await page.locator('.tree-item[data-path="lib/notes.txt"]').waitFor();
    assert.equal(await serverFile(page, 'lib/notes.txt'), 'a note\n');
    await openFile(page, 'main.py');
    await startRun(page);
    await waitForConsole(page, 'from an uploaded zip');
    // A bad archive is refused with the server's reason, and nothing changes.
    await page.locator('input[aria-label="Files to upload"]').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip') });
    await page.locator('.toast.error', { hasText: 'not a zip or tar archive' }).waitFor();
    const files = await page.evaluate(async (id) => (await fetch(`/api/v1/projects/${id}/files`)).json(), projectIdOf(page));
    assert.deepEqual(files.map((f) => f.path).sort(), ['lib/notes.txt', 'lib/util.py', 'main.py']);
    // The open file is shown again after the files were read again.
    await page.locator('.cm-content[aria-label="Code of main.py"]', { hasText: 'from lib import util' }).waitFor();
    await screenshot(page, 'editor-upload');
    await page.context().close();
  });

  test('a new project starts from an example: several files in folders, run as they are', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    const picker = page.getByLabel('Start from');
    await page.locator('form[aria-label="New project"] select').first().selectOption('python-3.11');
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['Hello world', 'Read input', 'Several files', 'Tests']);
    await createProject(page, 'from-an-example', 'python-3.11', 'Several files');
    for (const path of ['main.py', 'greet.py', 'shapes/circle.py']) await page.locator(`.tree-item[data-path="${path}"]`).waitFor();
    assert.equal(await activePath(page), 'main.py');
    await startRun(page);
    await waitForConsole(page, 'area: 12.57');
    await waitForStatus(page, 'Finished (exit code 0)');
    await page.context().close();
  });

  test('Ctrl+Enter runs; stdout and stderr apart, blank lines, colours, carriage returns, input for the program', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'console', 'python-3.11');
    const code = [
      'import sys',
      'print("\\x1b[31mred\\x1b[0m plain")',
      'print()',
      'print("after the blank line")',
      'print("to stderr", file=sys.stderr)',
      'print("progress 10%\\rprogress 100%")',
      'print("abcdef\\rXY")',
      'print("windows line\\r")',
      'print("What is your name?", flush=True)',
      'name = input()',
      'print("hi", name)',
      'sys.stdout.write("no newline at the end")',
      '',
    ].join('\n');
    await setCode(page, code);
    await startRun(page, () => page.keyboard.press('ControlOrMeta+Enter'));
    await waitForConsole(page, 'What is your name?');
    // The run took the focus to the program's input: typing answers the program (and
    // does not go into the file).
    await page.keyboard.type('Runlet');
    await page.keyboard.press('Enter');
    await waitForConsole(page, 'hi Runlet', 15000);
    await waitForStatus(page, 'Finished (exit code 0)');
    await waitForConsole(page, 'no newline at the end');
    assert.equal(await serverFile(page, 'main.py'), code, 'the file is as it was');
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
    // A carriage return goes back to the line's start, as in a terminal.
    const texts = lines.map((l) => l.text);
    assert.ok(texts.includes('progress 100%'), JSON.stringify(texts));
    assert.ok(texts.includes('XYcdef'), JSON.stringify(texts));
    assert.ok(texts.includes('windows line'), JSON.stringify(texts));
    assert.ok(!texts.some((t) => t.includes('\r')));
    await page.context().close();
  });

  test('a long output: the console follows to the end, pages back to the start, downloads the whole log', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'flood', 'python-3.11');
    // 10,000 short lines as fast as they come: the console used to stop following near
    // line 6,800, once it dropped old lines (every time).
    await setCode(page, 'for i in range(10000):\n    print(i)\n');
    await startRun(page);
    await waitForStatus(page, 'Finished', 120000);
    await waitForConsole(page, '9999');
    const shown = await page.locator('[data-testid="console"] .line').count();
    assert.ok(shown <= 5002, `the console keeps a bounded number of lines (${shown})`);
    await waitForConsole(page, 'earlier lines not shown');
    // It followed the output to the end while it dropped old lines.
    await page.getByTestId('run-result').waitFor();
    const view = await page.getByTestId('console').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(view <= 8, `the console is at its end (${view}px above it)`);
    assert.equal(await page.getByRole('button', { name: '↓ Latest output' }).count(), 0, 'still following');
    // The page still answers at once.
    const t0 = Date.now();
    await page.evaluate(() => document.title);
    assert.ok(Date.now() - t0 < 1000);
    // Scrolling up stops the auto-scroll and offers a way back.
    await page.getByTestId('console').evaluate((el) => el.scrollTo(0, 0));
    await page.getByRole('button', { name: '↓ Latest output' }).waitFor();
    // The earliest lines page back in, a thousand at a time, to the first.
    const firstShown = () =>
      page.evaluate(() => document.querySelector('[data-testid="console"] .line[data-seq]').textContent);
    for (let i = 0; i < 10 && (await firstShown()) !== '0'; i++) {
      const before = await firstShown();
      await page.getByRole('button', { name: 'Show earlier lines' }).click();
      await until(async () => (await firstShown()) !== before, 'earlier lines');
      assert.equal(await firstShown(), String(Math.max(0, Number(before) - 1000)));
    }
    assert.equal(await firstShown(), '0');
    assert.equal(await page.getByRole('button', { name: 'Show earlier lines' }).count(), 0, 'nothing earlier');
    // The whole log downloads as text.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the whole log' }).click(),
    ]);
    const text = await readFile(await download.path(), 'utf8');
    const all = text.split('\n');
    assert.equal(all.length, 10001);
    assert.equal(all[0], '0');
    assert.equal(all[9999], '9999');
    // The history's view of the run pages back too.
    await page.getByRole('tab', { name: 'History' }).click();
    await page.locator('.history-row').first().getByRole('button', { name: 'Logs' }).click();
    await page.locator('.viewing').waitFor();
    await page.getByTestId('run-result').waitFor();
    const before = await firstShown();
    await page.getByRole('button', { name: 'Show earlier lines' }).click();
    await until(async () => (await firstShown()) !== before, 'earlier lines in the history view');
    await page.context().close();
  });

  test('start a long run and stop it', async () => {
    await alice.goto(`${server.url}/p/${aliceProject}`);
    await editorOf(alice, 'main.go').waitFor();
    await setCode(alice, GO_LONG);
    await startRun(alice);
    await waitForStatus(alice, 'Running');
    await waitForConsole(alice, 'tick 2');
    await screenshot(alice, 'editor-running');
    await alice.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitForStatus(alice, 'Cancelled (user)');
    assert.ok(await alice.getByRole('button', { name: 'Stop', exact: true }).isDisabled());
  });

  test('a run started while one is active cancels the first', async () => {
    await startRun(alice);
    await waitForStatus(alice, 'Running');
    await waitForConsole(alice, 'tick 2');
    await startRun(alice);
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
    // First what the restore would do: main.go goes back from the ticking loop to the
    // two-file hello world (red goes, green comes back); greet.go stays as it is.
    const diff = alice.getByLabel('Changes to main.go');
    await diff.waitFor();
    assert.match(await diff.locator('.diff-del').allInnerTexts().then((t) => t.join('\n')), /tick/);
    assert.match(await diff.locator('.diff-add').allInnerTexts().then((t) => t.join('\n')), /greeting\("Runlet"\)/);
    assert.equal(await alice.getByLabel('Changes to greet.go').count(), 0, 'an unchanged file shows no diff');
    await screenshot(alice, 'history-compare');
    await alice.getByRole('button', { name: 'Restore this version' }).click();
    await alice.locator('.toast', { hasText: 'Restored version' }).waitFor();
    await openFile(alice, 'main.go');
    await alice.locator('.cm-content', { hasText: 'greeting("Runlet")' }).waitFor();
  });

  test('an edit typed just before following a link is saved', async () => {
    const page = await newPage();
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await createProject(page, 'leave-quickly', 'python-3.11');
    const id = projectIdOf(page);
    const text = 'print("typed just before leaving")\n';
    await editorOf(page, 'main.py').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(text);
    // Within the autosave delay, in-app navigation to the projects page and back.
    await page.getByRole('link', { name: 'Projects', exact: true }).click();
    await page.waitForURL('**/projects');
    await page.locator(`a[href="/p/${id}"]`).click();
    await page.locator('.cm-content', { hasText: 'typed just before leaving' }).waitFor({ timeout: 10000 });
    assert.equal(await serverFile(page, 'main.py'), text);
    await page.context().close();
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
    // A wrong code first: the error goes once the right one is taken.
    await page.locator('input[name="totp-code"]').fill('000000');
    await page.getByRole('button', { name: 'Verify and turn on' }).click();
    const card = page.locator('[aria-label="Two-factor authentication"]');
    await card.locator('.error').waitFor();
    await page.locator('input[name="totp-code"]').fill(totp(secret, step));
    await page.getByRole('button', { name: 'Verify and turn on' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    assert.equal(await card.locator('.error').count(), 0, 'no stale error beside the recovery codes');
    // Turning it off takes a recovery code too: a keyboard with letters.
    assert.equal(await page.locator('input[name="totp-off"]').getAttribute('inputmode'), 'text');
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, 'tess');
    const code = page.getByLabel(/Code from your authenticator/);
    await code.waitFor();
    assert.equal(await code.getAttribute('inputmode'), 'text', 'recovery codes have letters');
    // A wrong code is refused with a clear message...
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.error').waitFor();
    // ... and the next time step's code (the enrolment used this one) logs in.
    await code.fill(totp(secret, step + 1));
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
    await waitForTitle(admin, 'Admin: Runtimes · Runlet');
    await admin.getByRole('button', { name: 'Add runtime' }).click();
    // The form starts from an example; change what makes it this runtime.
    const form = admin.locator('form[aria-label="New runtime"]');
    await form.getByLabel('Id', { exact: true }).fill('python-e2e');
    await form.getByLabel('Display name', { exact: true }).fill('Python 3.11 for the E2E test');
    await form.getByLabel('Version', { exact: true }).fill('3.11.2');
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
    const added = alice.locator('form[aria-label="New project"] select').first().locator('option', { hasText: 'for the E2E test' });
    await added.waitFor({ state: 'attached' });
    // The name says the version already: it is not said twice.
    assert.equal((await added.innerText()).trim(), 'Python 3.11 for the E2E test');
    await createProject(alice, 'custom-runtime', 'python-e2e');
    await alice.getByRole('tab', { name: 'Help' }).click();
    await alice.getByText('Who made this?').waitFor();
    await startRun(alice);
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
    // The Share dialog says who sees it now, and makes it public.
    await alice.getByTestId('share-button').click();
    const visibility = alice.getByRole('radio', { name: /^Public/ });
    assert.equal(await visibility.isChecked(), false);
    await alice.getByTestId('visibility-state').filter({ hasText: 'only you' }).waitFor();
    await visibility.check();
    await alice.getByTestId('visibility-state').filter({ hasText: 'in the gallery' }).waitFor();
    await alice.getByRole('button', { name: 'Done' }).click();
    const bob = await newPage();
    await signup(bob, 'bob');
    await bob.getByRole('link', { name: 'Gallery' }).click();
    await bob.locator('.project', { hasText: 'two-files' }).waitFor();
    await screenshot(bob, 'gallery');
    await bob.getByRole('button', { name: 'Fork two-files' }).click();
    await bob.waitForURL((u) => u.pathname.startsWith('/p/') && !u.pathname.endsWith(aliceProject));
    await bob.locator('.tree-item', { hasText: 'greet.go' }).waitFor();
    // The fork is bob's: he can run it.
    await startRun(bob);
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
    await admin.locator('tr[data-user="carol"]', { hasText: /(^|[^\d])1 runs · / }).waitFor();

    const sleeper = 'import time\nprint("awake", flush=True)\ntime.sleep(30)\n';
    await createProject(carol, 'first', 'python-3.11');
    await setCode(carol, sleeper);
    await startRun(carol);
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

  test('works on a phone: the output comes into view after Run, admin tables scroll in their box', async () => {
    const phone = { width: 390, height: 844 };
    const page = await newPage(phone);
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await screenshot(page, 'phone-projects');
    await createProject(page, 'on-a-phone', 'python-3.11');
    await startRun(page);
    await waitForConsole(page, 'Hello from Python!');
    await waitForStatus(page, 'Finished (exit code 0)');
    const out = await page.getByTestId('console').boundingBox();
    assert.ok(out.y >= 0 && out.y + out.height <= phone.height, `the console is in view after Run (${out.y}px to ${out.y + out.height}px)`);
    const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok((await sideways()) <= 0, `no sideways scrolling in the editor (${await sideways()}px)`);
    await screenshot(page, 'phone-editor-run');
    await page.context().close();

    const admin = await newPage(phone);
    await login(admin, 'admin', server.adminPassword);
    await admin.waitForURL('**/projects');
    for (const tab of ['users', 'runtimes', 'platforms']) {
      await admin.goto(`${server.url}/admin/${tab}`);
      await admin.locator('.table tbody tr').first().waitFor();
      const over = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(over <= 0, `the ${tab} table scrolls in its box, not the page (${over}px)`);
      if (tab === 'users') {
        // Each user is a card: every action is on the screen, none past its right edge.
        const box = await admin.getByRole('button', { name: 'Set the password of alice' }).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= phone.width, `alice's actions are on the screen (${JSON.stringify(box)})`);
        await screenshot(admin, 'phone-admin-users');
      }
    }
    await admin.context().close();
  });

  test('a dark theme follows the system; the settings menu picks a theme and the editor font size, and lists the shortcuts', async () => {
    const page = await newPage(undefined, { colorScheme: 'dark' });
    await login(page, 'alice');
    await page.waitForURL('**/projects');
    await page.goto(`${server.url}/p/${aliceProject}`);
    await editorOf(page, 'main.go').waitFor();
    const look = () =>
      page.evaluate(() => ({
        theme: document.documentElement.dataset.theme,
        page: getComputedStyle(document.documentElement).backgroundColor,
        editor: getComputedStyle(document.querySelector('.code-editor')).backgroundColor,
        size: getComputedStyle(document.querySelector('.cm-content')).fontSize,
      }));
    // Dark backgrounds: each colour channel low.
    const dark = (rgb) => rgb.match(/\d+/g).slice(0, 3).every((c) => Number(c) < 80);
    let now = await look();
    assert.equal(now.theme, 'dark');
    assert.ok(dark(now.page) && dark(now.editor), `dark page and editor: ${JSON.stringify(now)}`);
    await screenshot(page, 'editor-dark');
    // The menu: a light theme and a larger font, kept across a reload.
    await page.getByLabel('Settings').first().click();
    await page.getByLabel('Theme').selectOption('light');
    await page.getByLabel('Editor font size').selectOption('18');
    await page.getByText('Keyboard shortcuts').waitFor();
    assert.match(await page.locator('.shortcuts').innerText(), /Ctrl\+Enter[\s\S]*run the project/);
    await page.keyboard.press('Escape');
    await page.locator('.prefs-panel').waitFor({ state: 'hidden' });
    now = await look();
    assert.equal(now.theme, 'light');
    assert.ok(!dark(now.page) && !dark(now.editor), `light page and editor: ${JSON.stringify(now)}`);
    assert.equal(now.size, '18px');
    await page.reload();
    await editorOf(page, 'main.go').waitFor();
    now = await look();
    assert.equal(now.theme, 'light');
    assert.equal(now.size, '18px');
    // Back to the system's choice: dark again, on a phone too.
    await page.getByLabel('Settings').first().click();
    await page.getByLabel('Theme').selectOption('system');
    await page.keyboard.press('Escape');
    assert.equal((await look()).theme, 'dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'phone-editor-dark');
    await page.context().close();
  });

  test('bad input gets a clear error: a file too large, an unknown page', async () => {
    await alice.goto(server.url + '/projects');
    await alice.locator('.project').first().waitFor();
    await screenshot(alice, 'projects-list');
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
    await waitForTitle(alice, 'Not found · Runlet');
    const missing = await alice.evaluate(async () => (await fetch('/assets/missing.js')).status);
    assert.equal(missing, 404);
  });
});

// Issue 18, second pass: interactive programs, limits, sharing, the admin portal.
describe('the web UI, second pass', () => {
  // Sets admin settings through the API from a page logged in as the admin.
  async function putSettings(page, settings) {
    const status = await page.evaluate(async (body) => {
      const csrf = document.cookie.match(/runlet_csrf=([^;]*)/)[1];
      const r = await fetch('/api/v1/admin/settings', {
        method: 'PUT',
        body: JSON.stringify(body),
        headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      });
      return r.status;
    }, settings);
    assert.equal(status, 200);
  }

  async function adminPage(viewport) {
    const admin = await newPage(viewport);
    await login(admin, 'admin', server.adminPassword);
    await admin.waitForURL('**/projects');
    return admin;
  }

  // The console's lines as shown.
  const consoleLines = (page) =>
    page.locator('[data-testid="console"] .line').evaluateAll((els) => els.map((e) => e.textContent));

  test('a prompt without a newline shows while the program waits, and the answer comes after it', async () => {
    const page = await newPage();
    await signup(page, 'dana');
    await createProject(page, 'prompt', 'python-3.11');
    await setCode(page, 'name = input("What is your name? ")\nprint("Hello, " + name)\n');
    await startRun(page);
    // The prompt is there before anything is typed (it has no newline).
    await waitForConsole(page, 'What is your name? ', 10000);
    assert.equal(await page.getByTestId('run-status').innerText(), 'Running…');
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await waitForConsole(page, 'Hello, Ada', 15000);
    await waitForStatus(page, 'Finished (exit code 0)');
    const lines = await consoleLines(page);
    const prompt = lines.indexOf('What is your name? ');
    assert.ok(prompt > 0, JSON.stringify(lines));
    assert.deepEqual(lines.slice(prompt, prompt + 3), ['What is your name? ', '› Ada', 'Hello, Ada'], JSON.stringify(lines));
    await docScreenshot(page, 'editor-prompt');
    await page.context().close();
  });

  test('an interactive run waits for a person; its limits and arguments are in Run options', async () => {
    const page = await newPage();
    await login(page, 'dana');
    await page.waitForURL('**/projects');
    await createProject(page, 'slow-answer', 'python-3.11');
    await setCode(page, 'import sys\nprint(sys.argv[1:])\nanswer = input("Ready? ")\nprint("got", answer)\n');
    await page.getByRole('button', { name: 'Run options' }).click();
    const options = page.getByTestId('run-options');
    // The defaults and the maxima are shown beside each field.
    await options.getByText('default 5 min · max 5 min').waitFor();
    await options.getByText(/default 2 s · max 1 min/).waitFor();
    await options.getByText(/no input and no output for 3 min/).waitFor();
    await page.getByLabel('Program arguments').fill('one "two words"');
    await page.getByLabel('Wall time (s)').fill('600');
    await options.getByRole('alert').filter({ hasText: 'Wall time is at most 5 min' }).waitFor();
    await page.getByLabel('Wall time (s)').fill('120');
    await docScreenshot(page, 'editor-run-options');
    await startRun(page);
    await waitForConsole(page, "['one', 'two words']");
    await waitForConsole(page, 'Ready? ', 10000);
    await sleep(7000); // longer than a runtime's default 5 s of wall time
    await page.getByLabel('Program input').fill('yes');
    await page.getByLabel('Program input').press('Enter');
    await waitForConsole(page, 'got yes', 15000);
    await waitForStatus(page, 'Finished (exit code 0)');
    const limits = await page.evaluate(async (id) => {
      const runs = await (await fetch(`/api/v1/projects/${id}/runs`)).json();
      return runs[0].limits;
    }, projectIdOf(page));
    assert.equal(limits.wall, '120000ms');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('run-options').scrollIntoViewIfNeeded();
    await docScreenshot(page, 'phone-editor-run-options');
    await page.context().close();
  });

  test('a logged-in viewer runs a public project read-only; visitors only when the admin allows it', async () => {
    const owner = await newPage();
    await signup(owner, 'erin');
    await createProject(owner, 'shared-run', 'python-3.11');
    await setCode(owner, 'import os\nprint("secret=" + os.environ.get("SECRET", "none"))\n');
    await owner.getByRole('tab', { name: 'Environment' }).click();
    const env = await owner.evaluate(async (id) => {
      const csrf = document.cookie.match(/runlet_csrf=([^;]*)/)[1];
      const r = await fetch(`/api/v1/projects/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ env: { SECRET: 'erins-key' }, visibility: 'public' }),
        headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      });
      return r.status;
    }, projectIdOf(owner));
    assert.equal(env, 200);
    const url = owner.url();

    const viewer = await newPage();
    await signup(viewer, 'frank');
    await viewer.goto(url);
    await viewer.getByText('read-only, runs in your name').waitFor();
    await startRun(viewer);
    await waitForConsole(viewer, 'secret=none');
    await waitForStatus(viewer, 'Finished (exit code 0)');
    assert.ok(!(await consoleText(viewer)).includes('erins-key'));
    await docScreenshot(viewer, 'editor-viewer-run');
    await viewer.context().close();

    // A visitor: no Run until the admin allows anonymous runs.
    const visitor = await newPage({ width: 390, height: 844 });
    await visitor.goto(url);
    await visitor.getByRole('link', { name: 'Log in to fork it' }).waitFor();
    assert.equal(await visitor.getByRole('button', { name: 'Run', exact: true }).count(), 0);
    const admin = await adminPage();
    await putSettings(admin, { anonymous_runs: true });
    await visitor.reload();
    await startRun(visitor);
    await waitForConsole(visitor, 'secret=none');
    await waitForStatus(visitor, 'Finished (exit code 0)');
    await docScreenshot(visitor, 'phone-editor-visitor-run');
    await putSettings(admin, { anonymous_runs: false });
    await admin.context().close();
    await visitor.context().close();
    await owner.context().close();
  });

  test('a compile error shows the build step\'s time and usage, not "CPU 0 ms · wall 0 ms"', async () => {
    const page = await newPage();
    await login(page, 'dana');
    await page.waitForURL('**/projects');
    await createProject(page, 'build-times', 'c-gcc-12');
    await setCode(page, 'int main(void) { return missing; }\n');
    await startRun(page);
    await waitForStatus(page, 'Compile error');
    const failed = await page.getByTestId('run-result').innerText();
    assert.match(failed, /build: CPU \d/, failed);
    assert.doesNotMatch(failed, /CPU 0 ms · wall 0 ms/, failed);
    await setCode(page, '#include <stdio.h>\nint main(void) { puts("built"); return 0; }\n');
    await startRun(page);
    await waitForStatus(page, 'Finished (exit code 0)');
    const ok = await page.getByTestId('run-result').innerText();
    assert.match(ok, /· build \d[\d.]* m?s · run: CPU /, ok);
    await docScreenshot(page, 'editor-build-time');
    await page.context().close();
  });

  test('the admin makes a user, sees the server defaults beside a quota, and edits settings in units', async () => {
    const admin = await adminPage();
    await admin.goto(server.url + '/admin/users');
    await admin.getByLabel('New user name').fill('gina');
    await admin.getByLabel("New user's password").fill(password);
    await admin.getByRole('button', { name: 'Add user' }).click();
    await admin.locator('tr[data-user="gina"]').waitFor();
    await admin.getByRole('button', { name: 'Edit quota of gina' }).click();
    await admin.getByTestId('default-concurrent_runs').filter({ hasText: 'server default:' }).waitFor();
    await docScreenshot(admin, 'admin-users-create');
    const gina = await newPage();
    await login(gina, 'gina');
    await gina.waitForURL('**/projects');
    await gina.context().close();

    await admin.goto(server.url + '/admin/settings');
    const wall = admin.getByLabel('Interactive wall time (minutes)');
    assert.equal(await wall.inputValue(), '5');
    assert.equal(await admin.getByLabel('Maximum Wall time').inputValue(), '300');
    assert.equal(await admin.getByLabel('Maximum Memory').inputValue(), '512');
    await wall.fill('4');
    await admin.getByLabel('Default quota: Memory').fill('1024');
    await docScreenshot(admin, 'admin-settings');
    await admin.getByRole('button', { name: 'Save settings' }).click();
    await admin.locator('.toast', { hasText: 'Settings saved' }).waitFor();
    const saved = await admin.evaluate(async () => (await fetch('/api/v1/admin/settings')).json());
    assert.equal(saved.interactive_wall_ms, 240000);
    assert.equal(saved.default_quota.memory_bytes, 1024 * 1024 * 1024);
    assert.equal(saved.max_limits.wall, '300000ms', 'the maxima are kept as they were');
    await admin.setViewportSize({ width: 390, height: 844 });
    await admin.evaluate(() => window.scrollTo(0, 0));
    await docScreenshot(admin, 'phone-admin-settings');
    await putSettings(admin, { interactive_wall_ms: 300000, default_quota: { memory_bytes: 0 } });
    await admin.context().close();
  });

  test('a runtime pointed at a missing image: users are told to ask the admin, the admin sees the fix', async () => {
    const page = await newPage();
    await login(page, 'dana');
    await page.waitForURL('**/projects');
    await createProject(page, 'old-ruby', 'ruby-3.1');

    const admin = await adminPage();
    const def = await admin.evaluate(async () => (await fetch('/api/v1/admin/runtimes/ruby-3.1')).json());
    const put = (body) =>
      admin.evaluate(async (b) => {
        const csrf = document.cookie.match(/runlet_csrf=([^;]*)/)[1];
        const r = await fetch('/api/v1/admin/runtimes/ruby-3.1', {
          method: 'PUT',
          body: JSON.stringify(b),
          headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
        });
        return r.status;
      }, body);
    const { available: _a, problem: _p, ...clean } = def;
    assert.equal(await put({ ...clean, image: 'no-such-image', image_recipe: { suite: 'bookworm', packages: ['ruby'] } }), 200);
    await admin.goto(server.url + '/admin/runtimes');
    const cell = admin.getByTestId('availability-ruby-3.1');
    await cell.filter({ hasText: 'runlet image build no-such-image --suite bookworm --packages ruby' }).waitFor();
    await docScreenshot(admin, 'admin-runtimes-availability');

    // The user's page, read again: unavailable, ask the admin; no operator command.
    await page.reload();
    await page.getByTestId('runtime-unavailable').filter({ hasText: 'ask your admin' }).waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('.toast.error', { hasText: 'ask your admin' }).waitFor();
    assert.ok(!(await page.locator('body').innerText()).includes('runlet image'));
    await page.context().close();
    assert.equal(await put(clean), 200);
    await admin.goto(server.url + '/admin/runtimes');
    await admin.getByTestId('availability-ruby-3.1').filter({ hasText: 'available' }).waitFor();
    await admin.context().close();
  });
});
