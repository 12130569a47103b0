import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
    commandLine,
    doctorCommand,
    escapeMarkdown,
    interpretRun,
    parseReport,
    renderMarkdown,
    renderText,
    runDoctor,
    stderrLine,
    summarize,
    type DoctorReport,
} from '../../common/doctor';
import type { Interpreter } from '../../common/interpreter';

const REPORT = {
    ok: false,
    ncpu: '0.1.0',
    rows: [
        { check: 'python', status: 'ok', detail: '3.11.7 (/usr/bin/python3)', fix: null },
        { check: 'model host', status: 'fail', detail: 'the model process crashed (SIGSEGV) while loading', fix: 'run with --cpu-safe' },
        { check: 'gpu offload', status: 'warn', detail: 'not available in this llama-cpp-python build', fix: 'install a CUDA build: see docs/backends.md' },
    ],
};
const PY: Interpreter = { command: '/venv/bin/python', source: 'setting' };

function parsed(value: unknown = REPORT): DoctorReport {
    const report = parseReport(JSON.stringify(value));
    if (typeof report === 'string') {
        assert.fail(report);
    }
    return report;
}

describe('doctorCommand', () => {
    it('runs the doctor module of the server interpreter', () => {
        assert.deepEqual(doctorCommand(PY), { command: '/venv/bin/python', args: ['-m', 'ncpu', 'doctor', '--json'] });
    });

    it('quotes what a shell would split', () => {
        assert.equal(commandLine('/My Env/python', ['-m', 'ncpu']), "'/My Env/python' -m ncpu");
        assert.equal(commandLine("it's", []), "'it'\\''s'");
    });
});

describe('parseReport', () => {
    it('reads the rows of the contract', () => {
        const report = parsed();
        assert.equal(report.ok, false);
        assert.equal(report.ncpu, '0.1.0');
        assert.deepEqual(report.rows, REPORT.rows);
    });

    it('ignores unknown keys and keeps odd rows readable', () => {
        const report = parsed({
            ok: true,
            extra: 1,
            rows: [
                { check: 'store', status: 'ok', detail: 'writable', fix: null, counts: { entries: 3 } },
                { check: 'new', status: 'skipped', detail: 'not here' },
                { status: 'ok', detail: 'multi\n  line', fix: '' },
                'not a row',
            ],
        });
        assert.deepEqual(report.rows, [
            { check: 'store', status: 'ok', detail: 'writable', fix: null },
            { check: 'new', status: 'warn', detail: 'not here (status "skipped")', fix: null },
            { check: '?', status: 'ok', detail: 'multi line', fix: null },
        ]);
        assert.equal(report.ncpu, undefined);
    });

    it('derives ok from the rows when the doctor did not say', () => {
        assert.equal(parsed({ rows: [{ check: 'a', status: 'warn', detail: '' }] }).ok, true);
        assert.equal(parsed({ rows: [{ check: 'a', status: 'fail', detail: '' }] }).ok, false);
    });

    it('reads the indented JSON the doctor prints, also after stray lines', () => {
        assert.deepEqual(parseReport(JSON.stringify(REPORT, null, 2)), parseReport(JSON.stringify(REPORT)));
        const report = parseReport(`llama: loading\n{ not json\n${JSON.stringify(REPORT, null, 2)}`);
        assert.deepEqual(report, parseReport(JSON.stringify(REPORT)));
        assert.notEqual(typeof parseReport(`noise\n${JSON.stringify(REPORT)}\n`), 'string');
    });

    it('says why there is no report', () => {
        assert.equal(parseReport('  \n'), 'it printed nothing');
        assert.equal(parseReport('Traceback (most recent call last):\n  boom'), 'it printed no JSON report: Traceback (most recent call last):');
        assert.match(parseReport('{"rows": 3}') as string, /no JSON report/);
        assert.match(parseReport('[1, 2]') as string, /no JSON report/);
    });
});

describe('stderrLine', () => {
    it('takes the last line of a traceback or a usage message, else the first', () => {
        assert.equal(stderrLine('Traceback (most recent call last):\n  File "x"\nImportError: no llama\n'), 'ImportError: no llama');
        assert.equal(stderrLine("usage: ncpu [-h]\nncpu: error: argument command: invalid choice: 'doctor'\n"), "ncpu: error: argument command: invalid choice: 'doctor'");
        assert.equal(stderrLine('\n/usr/bin/python3: No module named ncpu\nmore\n'), '/usr/bin/python3: No module named ncpu');
        assert.equal(stderrLine(''), '');
    });
});

describe('interpretRun', () => {
    const run = { stdout: '', stderr: '', code: 1 };

    it('returns the report whatever the exit status', () => {
        const outcome = interpretRun({ ...run, stdout: JSON.stringify(REPORT) }, PY);
        assert.equal(outcome.kind, 'report');
        assert.equal(outcome.kind === 'report' && outcome.code, 1);
    });

    it('names a missing interpreter', () => {
        const outcome = interpretRun({ ...run, code: null, spawnError: 'ENOENT' }, PY);
        assert.deepEqual(outcome, {
            kind: 'error',
            message: 'ncpu: cannot run diagnostics: /venv/bin/python (not found). Set ncpu.python to an interpreter that has ncpu installed.',
        });
    });

    it('says when ncpu is not installed or too old', () => {
        const missing = interpretRun({ ...run, stderr: '/venv/bin/python: No module named ncpu\n' }, PY);
        assert.equal(missing.kind, 'error');
        assert.match(missing.kind === 'error' ? missing.message : '', /exited 1: .*No module named ncpu\. Install ncpu/);
        const old = interpretRun({ ...run, code: 2, stderr: "usage: ncpu\nncpu: error: argument command: invalid choice: 'doctor' (choose from solve)\n" }, PY);
        assert.match(old.kind === 'error' ? old.message : '', /exited 2: .*invalid choice.*no doctor command/);
    });

    it('shows stdout when stderr is empty, and a signal', () => {
        const outcome = interpretRun({ ...run, code: null, signal: 'SIGSEGV', stdout: 'garbage' }, PY);
        assert.equal(
            outcome.kind === 'error' && outcome.message,
            'ncpu: `/venv/bin/python -m ncpu doctor --json` was killed (SIGSEGV); it printed no JSON report: garbage.',
        );
    });

    it('reports a timeout and a cancel', () => {
        const outcome = interpretRun({ ...run, code: null, timedOut: true }, PY, 120_000);
        assert.match(outcome.kind === 'error' ? outcome.message : '', /did not finish in 120 s/);
        assert.deepEqual(interpretRun({ ...run, cancelled: true, timedOut: true }, PY), { kind: 'cancelled' });
    });
});

describe('render', () => {
    it('renders a Markdown table with marks and fixes', () => {
        const markdown = renderMarkdown(parsed(), { commandLine: '/venv/bin/python -m ncpu doctor --json', source: 'setting' });
        const lines = markdown.split('\n');
        assert.equal(lines[0], '# ncpu diagnostics');
        assert.ok(lines.includes('✗ **1 failed, 1 warning, 1 ok**'), markdown);
        assert.ok(lines.includes('`/venv/bin/python -m ncpu doctor --json` (interpreter from setting), ncpu 0.1.0'), markdown);
        assert.ok(lines.includes('| ✓ | python | 3.11.7 (/usr/bin/python3) |  |'), markdown);
        assert.ok(lines.includes('| ✗ | model host | the model process crashed (SIGSEGV) while loading | run with --cpu-safe |'), markdown);
        assert.ok(lines.includes('| ! | gpu offload | not available in this llama-cpp-python build | install a CUDA build: see docs/backends.md |'), markdown);
        assert.match(markdown, /in a terminal: `\/venv\/bin\/python -m ncpu doctor`/);
    });

    it('escapes what would break a table cell', () => {
        assert.equal(escapeMarkdown('a|b *c* <d>'), 'a\\|b \\*c\\* \\<d\\>');
        const markdown = renderMarkdown(parsed({ rows: [{ check: 'x|y', status: 'ok', detail: 'a | b', fix: null }] }), { commandLine: 'py' });
        assert.ok(markdown.includes('| ✓ | x\\|y | a \\| b |  |'), markdown);
        assert.ok(markdown.includes('✓ **1 ok**'), markdown);
    });

    it('says so when there are no rows', () => {
        assert.match(renderMarkdown(parsed({ ok: true, rows: [] }), { commandLine: 'py' }), /reported no checks/);
    });

    it('renders aligned text for the log', () => {
        assert.deepEqual(renderText(parsed()), [
            '✓ python       3.11.7 (/usr/bin/python3)',
            '✗ model host   the model process crashed (SIGSEGV) while loading',
            '               fix: run with --cpu-safe',
            '! gpu offload  not available in this llama-cpp-python build',
            '               fix: install a CUDA build: see docs/backends.md',
            '✗ 1 failed, 1 warning, 1 ok',
        ]);
        assert.equal(summarize(parsed({ rows: [{ check: 'a', status: 'warn' }, { check: 'b', status: 'warn' }] })), '2 warnings, 0 ok');
    });
});

// A fake interpreter: a shell script that answers `-m ncpu doctor --json` as told.
describe('runDoctor', { skip: process.platform === 'win32' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncpu-doctor-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    function fake(name: string, body: string): Interpreter {
        const path = join(dir, name);
        writeFileSync(path, `#!/bin/sh\n${body}\n`);
        chmodSync(path, 0o755);
        return { command: path, source: 'setting' };
    }

    it('parses the report of a failing doctor', async () => {
        const args = join(dir, 'args');
        const python = fake('python-report', `echo "$@" > '${args}'\ncat <<'EOF'\n${JSON.stringify(REPORT)}\nEOF\necho 'loading the model' >&2\nexit 1`);
        const outcome = await runDoctor(python, { cwd: dir });
        assert.equal(outcome.kind, 'report', JSON.stringify(outcome));
        if (outcome.kind === 'report') {
            assert.equal(outcome.code, 1);
            assert.equal(outcome.report.rows.length, 3);
        }
        assert.equal(readFileSync(args, 'utf8').trim(), '-m ncpu doctor --json');
    });

    it('reports garbage with the stderr line', async () => {
        const python = fake('python-garbage', "echo 'not json'\necho 'Traceback (most recent call last):' >&2\necho 'RuntimeError: boom' >&2\nexit 1");
        const outcome = await runDoctor(python);
        assert.equal(outcome.kind === 'error' && outcome.message, `ncpu: \`${python.command} -m ncpu doctor --json\` exited 1: RuntimeError: boom.`);
    });

    it('reports a missing interpreter', async () => {
        const outcome = await runDoctor({ command: join(dir, 'no-such-python'), source: 'setting' });
        assert.match(outcome.kind === 'error' ? outcome.message : '', /cannot run diagnostics: .*no-such-python \(not found\)/);
    });

    /** Whether `pid` runs (a zombie, killed and waiting for init to reap it, does not). */
    function alive(pid: number): boolean {
        try {
            process.kill(pid, 0);
        } catch {
            return false;
        }
        try {
            return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.startsWith('Z');
        } catch {
            return true;
        }
    }

    it('kills a doctor that does not finish, and what it started', async () => {
        // A child that holds stdout open, as a model host process would.
        const pidFile = join(dir, 'child.pid');
        const python = fake('python-slow', `sleep 30 &\necho $! > '${pidFile}'\nexec sleep 30`);
        const started = Date.now();
        const outcome = await runDoctor(python, { timeoutMs: 300 });
        assert.match(outcome.kind === 'error' ? outcome.message : '', /did not finish in 0.3 s/);
        // Answered when the process group died, not after the 2 s grace for pipes held elsewhere.
        assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
        const child = Number(readFileSync(pidFile, 'utf8'));
        for (let i = 0; i < 50 && alive(child); i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(alive(child), false, 'the child outlived the timeout');
    });

    it('stops on cancel', async () => {
        const python = fake('python-cancel', 'sleep 30 &\nexec sleep 30');
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 200);
        const started = Date.now();
        assert.deepEqual(await runDoctor(python, { signal: controller.signal }), { kind: 'cancelled' });
        assert.ok(Date.now() - started < 5000);
    });
});
