// Drive code-server in headless Chromium through the ncpu extension, in three phases:
//   1. real model: open stubs.py, Ctrl+. (the lightbulb's menu) → "Solve with cascade: add", save;
//   2. settings switched to the fake backend (the change must reach the running server): open more.py,
//      "NCPU: Solve all stubs in file" from the command palette, save;
//   3. ncpu.python pointed at a broken interpreter: "ncpu: error"; restored: "ncpu: idle" again.
// The status item must go back to "ncpu: idle" after each solve. run.sh then runs the doctests on disk.
// Plain Node + playwright-core (no test runner); exits 0 on success, 1 with a screenshot in --out on failure.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
    options: {
        url: { type: 'string' },
        out: { type: 'string', default: '.e2e-out' },
        chromium: { type: 'string', default: '/usr/bin/chromium' },
        file: { type: 'string' }, // phase 1: a file with the stub `add`
        'solve-timeout': { type: 'string', default: '300' }, // seconds for the real model's solve
        settings: { type: 'string' }, // the workspace's .vscode/settings.json
        script: { type: 'string' }, // phase 2: the fake backend's script
        'all-file': { type: 'string' },
        'all-expect': { type: 'string', multiple: true, default: [] },
        'broken-python': { type: 'string' }, // phase 3
        logs: { type: 'string' }, // code-server's logs folder, where the extension's output channel is written
    },
});
if (!args.url || !args.file || !args.settings) {
    console.error('usage: solve.spec.mjs --url URL --file PATH --settings PATH [--script PATH --all-file PATH --all-expect TEXT...] [--broken-python PATH] [--out DIR]');
    process.exit(2);
}
mkdirSync(args.out, { recursive: true });

const started = Date.now();
const log = (message) => console.log(`[ui ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
const statusItem = (page) => page.locator('.statusbar-item', { hasText: /ncpu:/ }).first();
const statusText = async (page) => ((await statusItem(page).textContent({ timeout: 1000 }).catch(() => '')) ?? '').trim();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns a truthy value; throw `what` after `timeoutMs`. */
async function waitFor(what, check, timeoutMs, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        try {
            last = await check();
            if (last) {
                return last;
            }
        } catch (error) {
            last = error;
        }
        await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last})`);
}

/** A regular expression matching `text` exactly (surrounding blanks allowed). */
const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);

/** Run a command by its palette title (the row whose label is exactly `title`, not the top row). */
async function runCommand(page, title) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = page
        .locator('.quick-input-list .monaco-list-row')
        .filter({ has: page.locator('.label-name', { hasText: exactly(title) }) })
        .first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: 15_000 });
}

/** The text of the active editor as rendered (Monaco renders spaces as U+00A0; lines may come in any order). */
async function editorText(page) {
    return ((await page.locator('.editor-instance .view-lines').first().innerText({ timeout: 2000 })) ?? '').replace(/\u00a0/g, ' ');
}

/** Whether the rendered editor still shows a stub's `pass` line. */
const holdsStub = (text) => /^\s*pass\s*$/m.test(text);

async function openFile(page, path) {
    const name = basename(path);
    await waitFor(`the explorer to list ${name}`, async () => (await page.locator('.explorer-folders-view', { hasText: name }).count()) > 0, 60_000);
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
    await waitFor(`the editor to show ${name}`, async () => (await page.locator('.tab.active', { hasText: name }).count()) > 0, 30_000);
}

async function save(page, path, check) {
    await runCommand(page, 'File: Save');
    await waitFor(`${basename(path)} on disk to hold the solved text`, () => check(readFileSync(path, 'utf8')), 30_000);
}

async function notifications(page) {
    return page
        .locator('.notification-toast, .notifications-list-container .monaco-list-row')
        .allInnerTexts()
        .catch(() => []);
}

const CHANGE = "Sending notification 'workspace/didChangeConfiguration'";

/** How often `needle` occurs in the ncpu log files under --logs (code-server's logs folder). */
function traced(needle) {
    if (!args.logs || !existsSync(args.logs)) {
        return 0;
    }
    let count = 0;
    for (const entry of readdirSync(args.logs, { recursive: true })) {
        const path = join(args.logs, String(entry));
        if (/ncpu/i.test(String(entry)) && statSync(path).isFile()) {
            count += readFileSync(path, 'utf8').split(needle).length - 1;
        }
    }
    return count;
}

/** Change the workspace settings on disk; VS Code picks the file up and the extension forwards the change. */
function editSettings(change) {
    const settings = JSON.parse(readFileSync(args.settings, 'utf8'));
    writeFileSync(args.settings, JSON.stringify(change(settings), null, 2));
}

const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(30_000);
const seen = [];
let polling = true;
let failed = false;
try {
    log(`opening ${args.url}`);
    await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    log('workbench loaded');

    // Phase 1: the real model, through the lightbulb's menu (Ctrl+.).
    await openFile(page, args.file);
    await waitFor('the editor to show the stub', async () => (await editorText(page)).includes('def add'), 30_000);
    // The extension activates on Python files and starts the server.
    await waitFor('the status item to say idle', async () => (await statusText(page)).includes('ncpu: idle'), 120_000);
    log(`status: ${await statusText(page)}`);
    void (async () => {
        while (polling) {
            const text = await statusText(page);
            if (text && seen[seen.length - 1] !== text) {
                seen.push(text);
            }
            await sleep(100);
        }
    })();

    await page.locator('.editor-instance .view-line', { hasText: 'Add two numbers' }).first().click();
    const solveAction = page.locator('.action-widget .monaco-list-row', { hasText: 'Solve with cascade: add' }).first();
    await waitFor('the code action menu to offer "Solve with cascade: add"', async () => {
        if (!(await solveAction.isVisible())) {
            await page.keyboard.press('Escape');
            await page.keyboard.press('Control+.');
            await solveAction.waitFor({ state: 'visible', timeout: 5000 });
        }
        return true;
    }, 60_000, 500);
    await page.screenshot({ path: join(args.out, 'code-actions.png') });
    await solveAction.click();
    log('picked "Solve with cascade: add" from the Ctrl+. menu');
    await waitFor('a verified body in the editor', async () => {
        const text = await editorText(page);
        return !holdsStub(text) && text.includes('# ncpu: verified');
    }, Number(args['solve-timeout']) * 1000, 500);
    log(`the body is in the editor:\n${await editorText(page)}`);
    await waitFor('the status item to go back to idle', async () => (await statusText(page)).includes('ncpu: idle'), 60_000);
    await save(page, args.file, (text) => !holdsStub(text) && text.includes('# ncpu: verified'));
    const busy = seen.filter((text) => /ncpu: (solving|loading model)/.test(text));
    if (busy.length === 0) {
        throw new Error(`the status item never showed the solve (seen: ${seen.join(' → ')})`);
    }
    log(`saved; status went ${seen.join(' → ')}`);

    // Phase 2: switch to the fake backend without a restart, then solve a whole file from the palette.
    if (args['all-file'] && args.script) {
        const changesBefore = traced(CHANGE);
        editSettings((settings) => ({ ...settings, 'ncpu.backend': 'fake', 'ncpu.modelPath': args.script }));
        // With "ncpu.trace.server": "messages" the extension's log records each notification it sends.
        await waitFor('the extension to send workspace/didChangeConfiguration', () => traced(CHANGE) > changesBefore, 30_000, 500);
        await openFile(page, args['all-file']);
        await runCommand(page, 'NCPU: Solve all stubs in file');
        log('ran "NCPU: Solve all stubs in file"');
        for (const expect of args['all-expect']) {
            await waitFor(`the editor to hold "${expect}"`, async () => (await editorText(page)).includes(expect), 120_000);
        }
        await waitFor('no stub left in the editor', async () => !holdsStub(await editorText(page)), 30_000);
        await waitFor('the status item to go back to idle', async () => (await statusText(page)).includes('ncpu: idle'), 60_000);
        await save(page, args['all-file'], (text) => args['all-expect'].every((expect) => text.includes(expect)));
        log(`solved every stub of ${basename(args['all-file'])} with the fake backend`);
    }

    // Phase 3: a broken interpreter restarts the server into an error, and restoring it recovers.
    if (args['broken-python']) {
        const original = readFileSync(args.settings, 'utf8');
        editSettings((settings) => ({ ...settings, 'ncpu.python': args['broken-python'] }));
        await waitFor('the status item to say error', async () => (await statusText(page)).includes('ncpu: error'), 60_000);
        await waitFor('one notification saying the server did not start', async () => (await notifications(page)).some((text) => text.includes('did not start')), 15_000);
        const noise = (await notifications(page)).filter((text) => /EPIPE|connection to server/i.test(text));
        if (noise.length > 0) {
            throw new Error(`the failed start raised client errors: ${JSON.stringify(noise)}`);
        }
        log('a broken ncpu.python shows "ncpu: error" and one notification');
        writeFileSync(args.settings, original);
        await waitFor('the status item to say idle again', async () => (await statusText(page)).includes('ncpu: idle'), 90_000);
        log('restoring ncpu.python restarts the server');
    }
    writeFileSync(join(args.out, 'status.txt'), `${seen.join('\n')}\n`);
    await page.screenshot({ path: join(args.out, 'solved.png') });
} catch (error) {
    failed = true;
    console.error(`FAIL: ${error instanceof Error ? error.message : error}`);
    console.error(`status item: "${await statusText(page)}"; seen: ${seen.join(' → ')}`);
    console.error(`notifications: ${JSON.stringify(await notifications(page))}`);
    console.error(`editor:\n${await editorText(page).catch(() => '(none)')}`);
    const shot = join(args.out, 'failure.png');
    await page
        .screenshot({ path: shot, timeout: 10_000 })
        .then(() => console.error(`screenshot: ${shot}`))
        .catch((e) => console.error(`no screenshot: ${e}`));
} finally {
    polling = false;
    await browser.close().catch(() => undefined);
}
log(failed ? 'failed' : 'passed');
process.exit(failed ? 1 : 0);
