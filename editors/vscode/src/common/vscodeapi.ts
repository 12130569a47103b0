/**
 * A thin wrapper over the `vscode` API: the only module besides `server.ts` and `extension.ts` that
 * touches it, so the logic elsewhere can be unit-tested without VS Code.
 */
import * as vscode from 'vscode';
import type { ConfigReader } from './settings';
import type { StatusView } from './status';

export const SECTION = 'ncpu';

export function getConfiguration(scope?: vscode.ConfigurationScope): ConfigReader {
    return vscode.workspace.getConfiguration(SECTION, scope);
}

export function onDidChangeConfiguration(
    listener: (event: vscode.ConfigurationChangeEvent) => void,
): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration(listener);
}

export function firstWorkspaceFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
}

export function homeDirectory(): string | undefined {
    return process.env.HOME ?? process.env.USERPROFILE;
}

export function createOutputChannel(name: string): vscode.LogOutputChannel {
    return vscode.window.createOutputChannel(name, { log: true });
}

export function registerCommand(command: string, callback: (...args: unknown[]) => unknown): vscode.Disposable {
    return vscode.commands.registerCommand(command, callback);
}

export function executeCommand<T>(command: string, ...args: unknown[]): Thenable<T> {
    return vscode.commands.executeCommand<T>(command, ...args);
}

export function activeTextEditor(): vscode.TextEditor | undefined {
    return vscode.window.activeTextEditor;
}

export function applyEdit(edit: vscode.WorkspaceEdit): Thenable<boolean> {
    return vscode.workspace.applyEdit(edit);
}

export function showInformationMessage(message: string, ...items: string[]): Thenable<string | undefined> {
    return vscode.window.showInformationMessage(message, ...items);
}

export function showWarningMessage(message: string, ...items: string[]): Thenable<string | undefined> {
    return vscode.window.showWarningMessage(message, ...items);
}

export function showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[],
    placeHolder: string,
): Thenable<T | undefined> {
    return vscode.window.showQuickPick(items, { placeHolder });
}

export function showErrorMessage(message: string, ...items: string[]): Thenable<string | undefined> {
    return vscode.window.showErrorMessage(message, ...items);
}

/**
 * Run `task` under a progress notification with a Cancel button; cancelling aborts the signal `task` gets.
 */
export function withCancellableProgress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Thenable<T> {
    return vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (_progress, token) => {
            const controller = new AbortController();
            const subscription = token.onCancellationRequested(() => controller.abort());
            try {
                return await task(controller.signal);
            } finally {
                subscription.dispose();
            }
        },
    );
}

/**
 * Read-only Markdown documents under a scheme of their own (`ncpu-diagnostics:`): shown rendered in the
 * Markdown preview, never dirty, so closing them asks nothing; showing one again updates it in place.
 */
export class MarkdownDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;
    private readonly contents = new Map<string, string>();
    private readonly registration: vscode.Disposable;

    constructor(private readonly scheme: string) {
        this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? '';
    }

    /** Show `markdown` as the document `path` (e.g. `/ncpu diagnostics.md`). */
    async show(path: string, markdown: string): Promise<void> {
        const uri = vscode.Uri.from({ scheme: this.scheme, path });
        this.contents.set(uri.toString(), markdown);
        this.changed.fire(uri);
        try {
            // The built-in Markdown extension; without it, the source in an editor.
            await vscode.commands.executeCommand('markdown.showPreview', uri);
        } catch {
            const document = await vscode.workspace.openTextDocument(uri);
            await vscode.window.showTextDocument(document, { preview: true });
        }
    }

    dispose(): void {
        this.registration.dispose();
        this.changed.dispose();
    }
}

export function getExtension<T>(id: string): vscode.Extension<T> | undefined {
    return vscode.extensions.getExtension<T>(id);
}

export function createStatusBarItem(command: string): vscode.StatusBarItem {
    const item = vscode.window.createStatusBarItem('ncpu.status', vscode.StatusBarAlignment.Left, 0);
    item.name = 'ncpu';
    item.command = command;
    return item;
}

/** Paint a status view on the item. */
export function showStatus(item: vscode.StatusBarItem, view: StatusView): void {
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.backgroundColor =
        view.severity === 'error'
            ? new vscode.ThemeColor('statusBarItem.errorBackground')
            : view.severity === 'warning'
              ? new vscode.ThemeColor('statusBarItem.warningBackground')
              : undefined;
    item.accessibilityInformation = { label: view.text.replace(/\$\([^)]*\)\s*/g, '') };
    item.show();
}

/** The Python extension's API, as far as this extension uses it. */
interface PythonExtensionApi {
    environments?: {
        /** `path` is the executable, or for environments without one the environment's folder. */
        getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
        resolveEnvironment(
            environment: { id: string; path: string } | string,
        ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
        onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
    };
}

const PYTHON_EXTENSION = 'ms-python.python';

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
    const extension = getExtension<PythonExtensionApi>(PYTHON_EXTENSION);
    if (extension === undefined) {
        return undefined;
    }
    return extension.isActive ? extension.exports : await extension.activate();
}

/** The interpreter selected in the Python extension, or `undefined` when it is absent. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
    const environments = (await pythonApi())?.environments;
    const active = environments?.getActiveEnvironmentPath(resource);
    if (environments === undefined || active === undefined) {
        return undefined;
    }
    const resolved = await environments.resolveEnvironment(active).catch(() => undefined);
    return resolved?.executable.uri?.fsPath ?? active.path;
}

/** Subscribe to interpreter changes in the Python extension (a no-op without it). */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<vscode.Disposable> {
    const api = await pythonApi().catch(() => undefined);
    return api?.environments?.onDidChangeActiveEnvironmentPath(() => listener()) ?? new vscode.Disposable(() => undefined);
}
