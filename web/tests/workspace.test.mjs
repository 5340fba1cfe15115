// End-to-end: a project's workspace in the editor (real server with a preview origin,
// headless Chromium). Start it, type in its terminal, bring a file made there into the
// project, serve the project with python's http.server and see it in the preview pane,
// reload the page and find the same shell, stop it. Screenshots: desktop and phone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, startServer, signup as signupAs } from './harness.mjs';

let server;
let browser;
const password = 'correct horse battery';

before(async () => {
  server = await startServer(['--preview-listen', '127.0.0.1:0']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function newPage(viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  return page;
}

const signup = (page, username) => signupAs(page, server.url, username, password);

async function createProject(page, name, runtime) {
  await page.goto(server.url + '/projects');
  await page.getByLabel('Name').fill(name);
  await page.locator('form[aria-label="New project"] select').first().selectOption(runtime);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL('**/p/*');
  await page.locator('.cm-content').first().waitFor();
}

const projectIdOf = (page) => new URL(page.url()).pathname.split('/').pop();

// What the terminal shows (xterm's DOM rows), lines trimmed.
const screenText = async (page) => (await page.locator('.ws-terminal .xterm-rows').innerText()).replace(/\u00a0/g, ' ');
const screenHas = (page, re, what) => until(async () => re.test(await screenText(page)), what);

async function typeInTerminal(page, text) {
  await page.locator('.ws-terminal .xterm').click();
  await page.keyboard.type(text);
}

const terminalOpen = (page) => page.locator('[data-testid="terminal-state"][data-state="open"]').waitFor();

describe('workspaces in the editor', () => {
  test('a workspace: terminal, a file synced to the project, the app in the preview, the same shell after a reload', async () => {
    const page = await newPage();
    try {
      await scenario(page);
    } catch (e) {
      await screenshot(page, 'workspace-failure').catch(() => {});
      throw e;
    }
    await page.context().close();
  });
});

async function scenario(page) {
  {
    await signup(page, 'wendy');
    await createProject(page, 'live', 'python-3.11');
    const project = projectIdOf(page);

    // Start: the bar shows the time left, the terminal panel opens on a shell.
    await page.getByRole('button', { name: '⌨ Workspace' }).click();
    await page.getByTestId('workspace-left').waitFor();
    assert.match(await page.getByTestId('workspace-left').innerText(), /^● (29|30):\d\d left$/);
    await terminalOpen(page);
    await typeInTerminal(page, 'echo $((6*7))\n');
    await screenHas(page, /^42\s*$/m, '42 in the terminal');

    // The side panel is wider after its handle is dragged left; the terminal follows.
    const side = page.locator('.ide-side');
    const before = (await side.boundingBox()).width;
    const handle = await page.getByTestId('split-handle').boundingBox();
    await page.mouse.move(handle.x + 4, handle.y + 200);
    await page.mouse.down();
    await page.mouse.move(handle.x - 196, handle.y + 200, { steps: 5 });
    await page.mouse.up();
    const wider = (await side.boundingBox()).width;
    assert.ok(Math.abs(wider - before - 200) < 10, `the side panel went from ${before}px to ${wider}px`);
    await until(async () => (await page.locator('.ws-terminal .term-box').boundingBox()).width > before, 'the terminal wider');

    // Extend: 30 minutes from now.
    await page.getByRole('button', { name: 'Extend' }).click();
    await until(async () => /^● (29|30):\d\d left$/.test(await page.getByTestId('workspace-left').innerText()), 'the time left');

    // A file made in the terminal, brought into the project.
    await typeInTerminal(page, `echo "print('made in the terminal')" > made.py && echo '<h1>Hello from the workspace</h1>' > page.html && echo done-$((1+1))\n`);
    await screenHas(page, /^done-2\s*$/m, 'the files written');
    await page.getByRole('button', { name: 'Sync to project' }).click();
    await page.locator('.tree-item[data-path="made.py"]').waitFor();
    await page.locator('.tree-item[data-path="page.html"]').waitFor();
    const onServer = await page.evaluate(async (id) => (await fetch(`/api/v1/projects/${id}/files/made.py`)).text(), project);
    assert.equal(onServer, "print('made in the terminal')\n");

    // The app: python's http.server on port 3000, shown in the preview pane.
    await typeInTerminal(page, 'python3 -m http.server 3000\n');
    await screenHas(page, /Serving HTTP on .* port 3000/, 'the server started');
    await page.getByRole('tab', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const frame = page.frameLocator('[data-testid="preview-frame"]');
    await frame.getByRole('link', { name: 'made.py' }).waitFor();
    const shown = await page.getByTestId('preview-url').innerText();
    assert.match(shown, /^http:\/\/[0-9a-f]+\.localhost:\d+\/$/, 'the preview URL, without its grant');
    assert.ok(!shown.includes(new URL(server.url).host), 'the preview is on another origin than the UI');
    // A page of the app: its link followed inside the frame (the preview cookie holds).
    await frame.getByRole('link', { name: 'page.html' }).click();
    await frame.getByRole('heading', { name: 'Hello from the workspace' }).waitFor();
    await screenshot(page, 'workspace-preview');
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await screenHas(page, /"GET \/page\.html HTTP\/1\.1" 200/, 'the app logged the request from the preview');
    await screenshot(page, 'workspace-terminal');

    // Open in a new tab: a page of its own on the preview origin.
    await page.getByRole('tab', { name: 'Preview' }).click();
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: 'Open in a new tab ↗' }).click()]);
    await tab.getByRole('link', { name: 'made.py' }).waitFor();
    assert.match(tab.url(), /^http:\/\/[0-9a-f]+\.localhost:\d+\/$/);
    assert.equal(await tab.evaluate(() => window.opener), null);
    // What the browser sends to the preview's origin: its own cookie, none of the API's.
    const sent = (await page.context().cookies(tab.url())).map((c) => c.name);
    assert.ok(sent.length > 0 && sent.every((n) => n === 'runlet_preview'), `cookies for the preview: ${sent}`);
    const api = (await page.context().cookies(server.url)).map((c) => c.name);
    assert.ok(api.includes('runlet_session'), `the UI's cookies: ${api}`);
    await tab.close();

    // A reload comes back to the same shell: the server still runs in it.
    await page.reload();
    await page.getByTestId('workspace-left').waitFor();
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await terminalOpen(page);
    await screenHas(page, /Serving HTTP on .* port 3000/, 'the replayed screen');
    await page.locator('.ws-terminal .xterm').click();
    await page.keyboard.press('Control+C');
    await typeInTerminal(page, 'echo again-$((6*7))\n');
    await screenHas(page, /^again-42\s*$/m, 'the same shell answers');

    // On a phone: the bar, the terminal and the preview fit the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('tab', { name: 'Terminal' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-workspace-terminal');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page fits a phone's width (${width}px)`);
    const box = await page.locator('.ws-terminal .term-box').boundingBox();
    assert.ok(box.width <= 390 && box.height >= 200, `the terminal has room on a phone (${box.width}×${box.height})`);

    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'phone-workspace-bar');
    const stop = await page.getByRole('button', { name: 'Stop workspace' }).boundingBox();
    assert.ok(stop.x >= 0 && stop.x + stop.width <= 390, `Stop workspace is on the screen (${stop.x}px)`);

    // Stop: the workspace's files are saved to the project, the panels say how to start one.
    await page.getByRole('button', { name: 'Stop workspace' }).click();
    await page.locator('.toast', { hasText: 'Workspace stopped' }).waitFor();
    await page.getByRole('button', { name: 'Start the workspace' }).first().waitFor();
    const left = await page.evaluate(async () => (await fetch('/api/v1/workspaces')).json());
    assert.deepEqual(left, []);
  }
}
