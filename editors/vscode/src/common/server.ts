/** Create and restart the language client that runs `<python> -m server`. */
import { execFile } from 'node:child_process';
import type * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    LanguageClient,
    type LanguageClientOptions,
    ResponseError,
    RevealOutputChannelOn,
    type ServerOptions,
    State,
} from 'vscode-languageclient/node';
import { type Interpreter, serverCommand } from './interpreter';
import { configurationAnswer, type ServerSettings } from './settings';
import { isServerStatus, STATUS_NOTIFICATION, type StatusModel } from './status';
import { SECTION } from './vscodeapi';

export const SERVER_ID = 'ncpu';
export const SERVER_NAME = 'ncpu';

export interface ServerDeps {
    output: vscode.LogOutputChannel;
    status: StatusModel;
    /** The settings as they are now (read again on each configuration change). */
    settings: () => ServerSettings;
    /** Working directory of the server: not the workspace, whose own `server` package would shadow ours. */
    cwd: string;
}

/**
 * Why the interpreter cannot run the server, or `undefined` when it can.
 *
 * `quick` runs `-m server --version` (half a second: the interpreter exists and has ncpu); otherwise the
 * whole server is imported, which names the import error after a failed start.
 */
export function checkInterpreter(interpreter: Interpreter, cwd: string, quick = false): Promise<string | undefined> {
    return new Promise((resolve) => {
        execFile(
            interpreter.command,
            quick ? ['-m', 'server', '--version'] : ['-c', 'import server.server'],
            { timeout: 30_000, cwd },
            (error, _stdout, stderr) => {
                if (error === null) {
                    resolve(undefined);
                    return;
                }
                const lines = String(stderr).trim().split('\n');
                resolve(lines[lines.length - 1] || error.message);
            },
        );
    });
}

function createClient(interpreter: Interpreter, deps: ServerDeps): LanguageClient {
    const { command, args } = serverCommand(interpreter);
    const serverOptions: ServerOptions = {
        command,
        args,
        options: { cwd: deps.cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    let client: LanguageClient | undefined = undefined;
    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: 'file', language: 'python' },
            { scheme: 'untitled', language: 'python' },
        ],
        outputChannel: deps.output,
        traceOutputChannel: deps.output,
        revealOutputChannelOn: RevealOutputChannelOn.Never,
        initializationOptions: deps.settings(),
        synchronize: { configurationSection: SECTION },
        middleware: {
            handleWorkDoneProgress: (token, params, next) => {
                const key = typeof token === 'string' || typeof token === 'number' ? token : String(token);
                if (params.kind === 'begin') {
                    deps.status.dispatch({ type: 'begin', token: key, title: params.title, message: params.message });
                } else if (params.kind === 'report') {
                    deps.status.dispatch({ type: 'report', token: key, message: params.message });
                } else {
                    deps.status.dispatch({ type: 'end', token: key, message: params.message });
                }
                next(token, params);
            },
            workspace: {
                // The `ncpu` section also holds client-only keys (`python`, `trace`) that the server would
                // reject as unknown, and paths it cannot resolve (`${workspaceFolder}`): whether the server
                // pulls the section (`workspace/configuration`) or is sent it, it gets the server's keys only,
                // mapped as for `initializationOptions`.
                configuration: async (params, token, next) => {
                    const answer = await next(params, token);
                    if (answer instanceof ResponseError) {
                        return answer;
                    }
                    return configurationAnswer(params.items, answer as unknown[], SECTION, deps.settings);
                },
                didChangeConfiguration: async () => {
                    await client?.sendNotification(DidChangeConfigurationNotification.type, {
                        settings: { [SECTION]: deps.settings() },
                    });
                },
            },
        },
    };
    client = new LanguageClient(SERVER_ID, SERVER_NAME, serverOptions, clientOptions);
    // The server's state as data: loading, solving (which stub, layer, step), error.
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
        if (isServerStatus(params)) {
            deps.status.dispatch({ type: 'server', status: params });
        }
    });
    return client;
}

/** Clients stopped on purpose: their `Stopped` state is not an error. */
const stopping = new WeakSet<LanguageClient>();

/** Stop a client, bounded in time; a server that will not stop is left to the client's own kill. */
export async function stopServer(client: LanguageClient | undefined): Promise<void> {
    if (client === undefined) {
        return;
    }
    stopping.add(client);
    try {
        await client.stop(2000);
    } catch {
        // Already stopped or failed to start: nothing to do.
    }
    try {
        await client.dispose(1000);
    } catch {
        // Same.
    }
}

/** Stop the old client (if any) and start a new one; never throws. */
export async function restartServer(
    interpreter: Interpreter,
    deps: ServerDeps,
    old: LanguageClient | undefined,
): Promise<LanguageClient | undefined> {
    await stopServer(old);
    deps.status.dispatch({ type: 'client', phase: 'starting' });
    const { command, args } = serverCommand(interpreter);
    deps.output.info(`starting the server: ${command} ${args.join(' ')} (interpreter from ${interpreter.source})`);
    // Without ncpu the client would start a process that exits at once and raise a burst of pipe errors;
    // one clear message is better.
    const missing = await checkInterpreter(interpreter, deps.cwd, true);
    if (missing !== undefined) {
        deps.output.error(`the server cannot start with ${command}: ${missing}`);
        deps.status.dispatch({ type: 'client', phase: 'failed', message: missing });
        return undefined;
    }
    const client = createClient(interpreter, deps);
    // Set once a start failed: the client's own restart attempts must not paint over the error.
    let abandoned = false;
    client.onDidChangeState((event) => {
        if (abandoned) {
            return;
        }
        if (event.newState === State.Running) {
            deps.status.dispatch({ type: 'client', phase: 'running' });
        } else if (event.newState === State.Starting) {
            deps.status.dispatch({ type: 'client', phase: 'starting' });
        } else if (stopping.has(client)) {
            deps.status.dispatch({ type: 'client', phase: 'stopped' });
        } else {
            // The client gave up restarting a crashing server.
            deps.status.dispatch({ type: 'client', phase: 'failed', message: 'the server stopped; see the log' });
        }
    });
    try {
        await client.start();
        return client;
    } catch (error) {
        const why = (await checkInterpreter(interpreter, deps.cwd)) ?? String(error instanceof Error ? error.message : error);
        deps.output.error(`the server did not start with ${command}: ${why}`);
        abandoned = true;
        await stopServer(client);
        deps.status.dispatch({ type: 'client', phase: 'failed', message: why });
        return undefined;
    }
}
