/**
 * "NCPU: Run diagnostics": run `<python> -m ncpu doctor --json`, parse its report, render it.
 *
 * No `vscode` import (only `node:child_process`), so it runs under `node --test`; `extension.ts` adds the
 * progress notification and shows the rendered report.
 *
 * The doctor prints one JSON object on stdout and exits 0 when every row is "ok" or "warn", 1 when a row
 * is "fail" (2 for a usage error):
 * `{"ok": false, "ncpu": "0.1.0", "rows": [{"check": "python", "status": "ok", "detail": "...", "fix": null}]}`.
 * Unknown keys are ignored.
 */
import { spawn } from 'node:child_process';
import type { Interpreter } from './interpreter';

export type DoctorStatus = 'ok' | 'warn' | 'fail';

export interface DoctorRow {
    /** A short name: "python", "model host", ... */
    check: string;
    status: DoctorStatus;
    /** One line. */
    detail: string;
    /** One line, or `null` when there is nothing to do. */
    fix: string | null;
}

export interface DoctorReport {
    /** No row failed. */
    ok: boolean;
    /** ncpu's version, when the doctor said. */
    ncpu?: string;
    rows: DoctorRow[];
}

/** It loads the model and decodes 16 tokens: about a minute on 2 cores, so twice that. */
export const DOCTOR_TIMEOUT_MS = 120_000;

export const STATUS_MARK: Record<DoctorStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** The doctor's command line for an interpreter (the one that runs the server). */
export function doctorCommand(interpreter: Interpreter): { command: string; args: string[] } {
    return { command: interpreter.command, args: ['-m', 'ncpu', 'doctor', '--json'] };
}

function oneLine(value: unknown): string {
    if (value === undefined || value === null) {
        return '';
    }
    return (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s*\n\s*/g, ' ').trim();
}

function asRow(value: unknown): DoctorRow | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return undefined;
    }
    const record = value as Record<string, unknown>;
    const status = record.status;
    // A status this version does not know is shown as a warning rather than dropped.
    const known: DoctorStatus = status === 'ok' || status === 'warn' || status === 'fail' ? status : 'warn';
    const fix = oneLine(record.fix);
    const detail = oneLine(record.detail);
    return {
        check: oneLine(record.check) || '?',
        status: known,
        detail: known === status || status === undefined ? detail : `${detail} (status "${oneLine(status)}")`.trim(),
        fix: fix === '' ? null : fix,
    };
}

/**
 * The report in the doctor's stdout, or why there is none (a string).
 *
 * Stdout should hold the JSON object alone; should anything else have been written there first, the
 * report is looked for from the last line that starts with `{`, then the one before, and so on.
 */
export function parseReport(stdout: string): DoctorReport | string {
    const text = stdout.trim();
    if (text === '') {
        return 'it printed nothing';
    }
    // The whole of it, else from each line that opens an object (the doctor indents its JSON) to the end.
    const lines = text.split('\n');
    const candidates = [text];
    for (let i = lines.length - 1; i > 0; i--) {
        if (lines[i].startsWith('{')) {
            candidates.push(lines.slice(i).join('\n'));
        }
    }
    for (const candidate of candidates) {
        let value: unknown;
        try {
            value = JSON.parse(candidate);
        } catch {
            continue;
        }
        if (typeof value !== 'object' || value === null || !Array.isArray((value as { rows?: unknown }).rows)) {
            continue;
        }
        const record = value as { ok?: unknown; ncpu?: unknown; rows: unknown[] };
        const rows = record.rows.map(asRow).filter((row): row is DoctorRow => row !== undefined);
        return {
            ok: typeof record.ok === 'boolean' ? record.ok : rows.every((row) => row.status !== 'fail'),
            ncpu: typeof record.ncpu === 'string' ? record.ncpu : undefined,
            rows,
        };
    }
    const first = text.split('\n')[0].trim();
    return `it printed no JSON report: ${first.length > 200 ? `${first.slice(0, 200)}…` : first}`;
}

/**
 * The line of stderr that says what went wrong: the last line of a traceback or of a usage message
 * (the first says nothing), else the first non-empty line.
 */
export function stderrLine(stderr: string): string {
    const lines = stderr
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
    if (lines.length === 0) {
        return '';
    }
    if (lines[0].startsWith('Traceback') || lines[0].startsWith('usage:')) {
        return lines[lines.length - 1];
    }
    return lines[0];
}

/** What running the doctor gave. */
export interface DoctorRun {
    stdout: string;
    stderr: string;
    /** The exit status; `null` when killed by a signal or not started. */
    code: number | null;
    signal?: string | null;
    /** The command could not be started (e.g. `ENOENT`). */
    spawnError?: string;
    timedOut?: boolean;
    cancelled?: boolean;
}

export type DoctorOutcome =
    | { kind: 'report'; report: DoctorReport; code: number | null }
    | { kind: 'error'; message: string }
    | { kind: 'cancelled' };

/** A command line to show (and paste into a shell): words with spaces or quotes are quoted. */
export function commandLine(command: string, args: readonly string[]): string {
    return [command, ...args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** Turn a run of `doctorCommand(interpreter)` into a report, or one message for the user. */
export function interpretRun(run: DoctorRun, interpreter: Interpreter, timeoutMs = DOCTOR_TIMEOUT_MS): DoctorOutcome {
    if (run.cancelled === true) {
        return { kind: 'cancelled' };
    }
    const { command, args } = doctorCommand(interpreter);
    const shown = commandLine(command, args);
    if (run.spawnError !== undefined) {
        const why = run.spawnError === 'ENOENT' ? 'not found' : run.spawnError;
        return {
            kind: 'error',
            message: `ncpu: cannot run diagnostics: ${command} (${why}). Set ncpu.python to an interpreter that has ncpu installed.`,
        };
    }
    if (run.timedOut === true) {
        return {
            kind: 'error',
            message: `ncpu: \`${shown}\` did not finish in ${timeoutMs / 1000} s.`,
        };
    }
    const report = parseReport(run.stdout);
    if (typeof report !== 'string') {
        return { kind: 'report', report, code: run.code };
    }
    const line = stderrLine(run.stderr);
    const exit = run.code !== null ? `exited ${run.code}` : `was killed (${run.signal ?? 'signal'})`;
    let hint = '';
    if (/No module named '?ncpu'?$/.test(line)) {
        hint = ' Install ncpu into that interpreter (pip install ncpu) or set ncpu.python.';
    } else if (/invalid choice: '?doctor'?/.test(line)) {
        hint = ' This ncpu has no doctor command: upgrade it.';
    }
    const detail = line !== '' ? `: ${line}` : `; ${report}`;
    return { kind: 'error', message: `ncpu: \`${shown}\` ${exit}${detail}${/[.!?]$/.test(detail) ? '' : '.'}${hint}` };
}

export interface RunOptions {
    cwd?: string;
    timeoutMs?: number;
    /** Aborting kills the doctor (the progress notification's Cancel). */
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
}

/** Stdout and stderr are kept up to this many bytes each (the report is a few KiB). */
const MAX_OUTPUT = 4 * 1024 * 1024;

/** Run the doctor; never rejects. */
export function runDoctor(interpreter: Interpreter, options: RunOptions = {}): Promise<DoctorOutcome> {
    const { command, args } = doctorCommand(interpreter);
    const timeoutMs = options.timeoutMs ?? DOCTOR_TIMEOUT_MS;
    // In a process group of its own (POSIX), so that a timeout or a cancel also ends the model host
    // process it starts: that one would otherwise hold stdout open, and the answer with it.
    const group = process.platform !== 'win32';
    return new Promise((resolve) => {
        let timedOut = false;
        let settled = false;
        let spawnError: string | undefined;
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
            if (chunks.reduce((n, c) => n + c.length, 0) < MAX_OUTPUT) {
                chunks.push(chunk);
            }
        };
        const finish = (code: number | null, signal: string | null): void => {
            if (settled) {
                return;
            }
            settled = true;
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', stop);
            const run: DoctorRun = {
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
                code,
                signal,
                spawnError,
                timedOut,
                cancelled: options.signal?.aborted === true,
            };
            resolve(interpretRun(run, interpreter, timeoutMs));
        };
        const child = spawn(command, args, {
            cwd: options.cwd,
            env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: '1', NO_COLOR: '1' },
            stdio: ['ignore', 'pipe', 'pipe'],
            windowsHide: true,
            detached: group,
        });
        child.stdout.on('data', collect(out));
        child.stderr.on('data', collect(err));
        child.on('error', (error: NodeJS.ErrnoException) => {
            spawnError = error.code ?? error.message;
            finish(null, null);
        });
        // 'close': the process exited and its pipes are drained.
        child.on('close', (code, signal) => finish(code, signal));
        function stop(): void {
            try {
                if (group && child.pid !== undefined) {
                    process.kill(-child.pid, 'SIGKILL');
                } else {
                    child.kill('SIGKILL');
                }
            } catch {
                child.kill('SIGKILL');
            }
            // Should something outside the group still hold the pipes, answer anyway.
            setTimeout(() => finish(child.exitCode, child.signalCode), 2000).unref();
        }
        // Not a kill from elsewhere: the timeout is told apart from a crash.
        const timer = setTimeout(() => {
            timedOut = true;
            stop();
        }, timeoutMs);
        if (options.signal?.aborted === true) {
            stop();
        } else {
            options.signal?.addEventListener('abort', stop, { once: true });
        }
    });
}

function counts(report: DoctorReport): Record<DoctorStatus, number> {
    const result: Record<DoctorStatus, number> = { ok: 0, warn: 0, fail: 0 };
    for (const row of report.rows) {
        result[row.status] += 1;
    }
    return result;
}

/** ✗ when a check failed (or the doctor said so), ! when one warned, else ✓. */
export function overallMark(report: DoctorReport): string {
    const { warn, fail } = counts(report);
    return !report.ok || fail > 0 ? STATUS_MARK.fail : warn > 0 ? STATUS_MARK.warn : STATUS_MARK.ok;
}

/** "2 failed, 1 warning, 5 ok". */
export function summarize(report: DoctorReport): string {
    const { ok, warn, fail } = counts(report);
    const parts: string[] = [];
    if (fail > 0) {
        parts.push(`${fail} failed`);
    }
    if (warn > 0) {
        parts.push(`${warn} warning${warn === 1 ? '' : 's'}`);
    }
    parts.push(`${ok} ok`);
    return parts.join(', ');
}

/** Escape text for a Markdown table cell. */
export function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}

export interface RenderContext {
    /** The command that ran, as one line. */
    commandLine: string;
    /** Where the interpreter came from ("setting", "python extension", "default"). */
    source?: string;
    /** When it ran (ISO), for a pasted report. */
    date?: string;
}

/** The report as a Markdown document: a heading, a summary and one table row per check. */
export function renderMarkdown(report: DoctorReport, context: RenderContext): string {
    const lines = [
        '# ncpu diagnostics',
        '',
        `${overallMark(report)} **${summarize(report)}**`,
        '',
        `\`${context.commandLine.replace(/`/g, "'")}\`` +
            (context.source !== undefined ? ` (interpreter from ${escapeMarkdown(context.source)})` : '') +
            (report.ncpu !== undefined ? `, ncpu ${escapeMarkdown(report.ncpu)}` : '') +
            (context.date !== undefined ? `, ${escapeMarkdown(context.date)}` : ''),
        '',
    ];
    if (report.rows.length === 0) {
        lines.push('The doctor reported no checks.');
    } else {
        lines.push('| | check | detail | fix |', '|:-:|---|---|---|');
        for (const row of report.rows) {
            const cells = [STATUS_MARK[row.status], row.check, row.detail, row.fix ?? ''];
            lines.push(`| ${cells.map((cell, i) => (i === 0 ? cell : escapeMarkdown(cell))).join(' | ')} |`);
        }
    }
    const terminal = context.commandLine.replace(/\s+--json$/, '').replace(/`/g, "'");
    lines.push('', `✓ ok, ! warning, ✗ failed. The same report in a terminal: \`${terminal}\``, '');
    return lines.join('\n');
}

/** The report as plain text lines, for the log: `✗ model host  detail`, and `fix: ...` under it. */
export function renderText(report: DoctorReport): string[] {
    const width = Math.max(0, ...report.rows.map((row) => row.check.length));
    const lines: string[] = [];
    for (const row of report.rows) {
        lines.push(`${STATUS_MARK[row.status]} ${row.check.padEnd(width)}  ${row.detail}`.trimEnd());
        if (row.fix !== null) {
            lines.push(`${' '.repeat(width + 4)}fix: ${row.fix}`);
        }
    }
    lines.push(`${overallMark(report)} ${summarize(report)}`);
    return lines;
}
