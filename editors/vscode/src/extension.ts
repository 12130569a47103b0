/** Activation: the output channel, the status item, the commands, and a debounced server restart. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
    ADD_EXAMPLE_KIND,
    addExampleActions,
    pickSolveAction,
    pickSolveFileAction,
    SOLVE_FILE_KIND,
    SOLVE_KIND,
} from './common/actions';
import { debounce } from './common/debounce';
import { commandLine, doctorCommand, renderMarkdown, renderText, runDoctor, summarize } from './common/doctor';
import { type Interpreter, resolveInterpreter } from './common/interpreter';
import { restartServer, stopServer } from './common/server';
import { describeModel, type ServerSettings, serverSettings } from './common/settings';
import { StatusModel } from './common/status';
import {
    activeTextEditor,
    applyEdit,
    createOutputChannel,
    createStatusBarItem,
    executeCommand,
    firstWorkspaceFolder,
    getConfiguration,
    homeDirectory,
    MarkdownDocuments,
    onDidChangeConfiguration,
    onDidChangePythonInterpreter,
    pythonExtensionInterpreter,
    registerCommand,
    SECTION,
    showErrorMessage,
    showInformationMessage,
    showQuickPick,
    showStatus,
    showWarningMessage,
    withCancellableProgress,
} from './common/vscodeapi';

/** Interpreter changes often come in bursts (selecting an environment touches several settings). */
const RESTART_DELAY_MS = 1000;

let client: LanguageClient | undefined;
let running: Interpreter | undefined;
let queue: Promise<void> = Promise.resolve();

function currentSettings(): ServerSettings {
    return serverSettings(getConfiguration(), firstWorkspaceFolder()?.uri.fsPath, homeDirectory());
}

function currentInterpreter(): Promise<Interpreter> {
    const folder = firstWorkspaceFolder();
    return resolveInterpreter(
        getConfiguration(folder?.uri).get<string>('python'),
        () => pythonExtensionInterpreter(folder?.uri),
        folder?.uri.fsPath,
    );
}

/** One of the "Add example" actions, chosen by the user (`null`: dismissed; `undefined`: there are none). */
async function pickAddExample(actions: vscode.CodeAction[]): Promise<vscode.CodeAction | undefined | null> {
    const answers = addExampleActions(actions);
    if (answers.length === 0) {
        return undefined;
    }
    const items = answers.map((action) => ({ label: action.title, action }));
    const chosen = await showQuickPick(items, 'The passing candidates disagree here: which answer do you mean?');
    return chosen?.action ?? null;
}

async function runCodeAction(
    editor: vscode.TextEditor,
    range: vscode.Range,
    kind: string,
    pick: (actions: vscode.CodeAction[]) => vscode.CodeAction | undefined | null | Thenable<vscode.CodeAction | undefined | null>,
    nothing: string,
): Promise<void> {
    if (client === undefined || !client.isRunning()) {
        const choice = await showWarningMessage('ncpu: the server is not running.', 'Show Log', 'Restart');
        if (choice === 'Show Log') {
            await executeCommand('ncpu.showLog');
        } else if (choice === 'Restart') {
            await executeCommand('ncpu.restart');
        }
        return;
    }
    const actions = await executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        range,
        kind,
    );
    const action = await pick(actions ?? []);
    if (action === null) {
        return; // the user dismissed the choice
    }
    if (action === undefined) {
        void showInformationMessage(nothing);
        return;
    }
    if (action.edit !== undefined && !(await applyEdit(action.edit))) {
        void showErrorMessage(`ncpu: the editor refused the edit of "${action.title}".`);
        return;
    }
    if (action.command !== undefined) {
        const args: unknown[] = action.command.arguments ?? [];
        await executeCommand(action.command.command, ...args);
    }
}

/** "NCPU: Run diagnostics": `<python> -m ncpu doctor --json`, its rows in a Markdown preview and the log. */
async function runDiagnostics(output: vscode.LogOutputChannel, documents: MarkdownDocuments, cwd: string): Promise<void> {
    const interpreter = await currentInterpreter();
    const { command, args } = doctorCommand(interpreter);
    const shown = commandLine(command, args);
    output.info(`running diagnostics: ${shown} (interpreter from ${interpreter.source})`);
    const outcome = await withCancellableProgress('ncpu: running diagnostics (loads the model, up to 2 minutes)…', (signal) =>
        runDoctor(interpreter, { cwd, signal }),
    );
    if (outcome.kind === 'cancelled') {
        output.info('diagnostics cancelled');
        return;
    }
    if (outcome.kind === 'error') {
        output.error(outcome.message);
        // Not awaited, as for a failed start: the message stays until dismissed.
        void showErrorMessage(outcome.message, 'Show Log').then((choice) => {
            if (choice === 'Show Log') {
                output.show(true);
            }
        });
        return;
    }
    for (const line of renderText(outcome.report)) {
        output.info(`doctor: ${line}`);
    }
    const markdown = renderMarkdown(outcome.report, {
        commandLine: shown,
        source: interpreter.source,
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    try {
        await documents.show('/ncpu diagnostics.md', markdown);
    } catch (error) {
        // The rows are in the log whatever happens to the preview.
        output.error(`could not show the diagnostics: ${String(error)}`);
        void showInformationMessage(`ncpu diagnostics: ${summarize(outcome.report)} (see the log)`, 'Show Log').then((choice) => {
            if (choice === 'Show Log') {
                output.show(true);
            }
        });
    }
}

function pythonEditor(): vscode.TextEditor | undefined {
    const editor = activeTextEditor();
    if (editor === undefined || editor.document.languageId !== 'python') {
        void showInformationMessage('ncpu: open a Python file first.');
        return undefined;
    }
    return editor;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = createOutputChannel('ncpu');
    const item = createStatusBarItem('ncpu.showLog');
    const status = new StatusModel(describeModel(currentSettings()), (view) => showStatus(item, view));
    const documents = new MarkdownDocuments('ncpu-diagnostics');
    context.subscriptions.push(output, item, documents);

    const deps = { output, status, settings: currentSettings, cwd: context.extensionPath };
    const runServer = (force: boolean): Promise<void> => {
        // Restarts run one after another; a failed one must not stop the next (hence the catch).
        queue = queue.catch(() => undefined).then(async () => {
            const interpreter = await currentInterpreter();
            if (!force && client !== undefined && running?.command === interpreter.command) {
                return;
            }
            running = interpreter;
            client = await restartServer(interpreter, deps, client);
            if (client === undefined) {
                // Not awaited: the message stays until dismissed, and restarts must not wait for that.
                void showErrorMessage(
                    `ncpu: the server did not start with ${interpreter.command}. Is ncpu installed in that interpreter (setting ncpu.python)?`,
                    'Show Log',
                ).then((choice) => {
                    if (choice === 'Show Log') {
                        output.show(true);
                    }
                });
            }
        });
        return queue;
    };
    const restartIfInterpreterChanged = debounce(() => void runServer(false), RESTART_DELAY_MS);
    context.subscriptions.push({ dispose: () => restartIfInterpreterChanged.cancel() });

    context.subscriptions.push(
        onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(`${SECTION}.python`)) {
                restartIfInterpreterChanged();
            }
            if (event.affectsConfiguration(SECTION)) {
                status.setModel(describeModel(currentSettings()));
            }
        }),
        await onDidChangePythonInterpreter(restartIfInterpreterChanged),
        registerCommand('ncpu.restart', () => runServer(true)),
        registerCommand('ncpu.showLog', () => output.show(true)),
        registerCommand('ncpu.runDiagnostics', () => runDiagnostics(output, documents, context.extensionPath)),
        registerCommand('ncpu.solveAtCursor', async () => {
            const editor = pythonEditor();
            if (editor !== undefined) {
                await runCodeAction(
                    editor,
                    editor.selection,
                    SOLVE_KIND,
                    pickSolveAction,
                    'ncpu: no stub with doctest examples at the cursor.',
                );
            }
        }),
        registerCommand('ncpu.addExample', async () => {
            // After an ambiguous solve: the answers of the groups, as "Add example" actions; the chosen one adds
            // its doctest to the docstring and solves again.
            const editor = pythonEditor();
            if (editor !== undefined) {
                await runCodeAction(
                    editor,
                    editor.selection,
                    ADD_EXAMPLE_KIND,
                    pickAddExample,
                    'ncpu: no ambiguous solve to settle at the cursor.',
                );
            }
        }),
        registerCommand('ncpu.solveAllInFile', async () => {
            const editor = pythonEditor();
            if (editor !== undefined) {
                const document = editor.document;
                const all = document.validateRange(new vscode.Range(0, 0, document.lineCount, 0));
                await runCodeAction(editor, all, SOLVE_FILE_KIND, pickSolveFileAction, 'ncpu: no stubs in this file.');
            }
        }),
    );
    await runServer(true);
}

export async function deactivate(): Promise<void> {
    await queue.catch(() => undefined);
    await stopServer(client);
    client = undefined;
}
