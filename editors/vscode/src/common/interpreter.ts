/**
 * Which Python runs the server: `ncpu.python`, else the Python extension's interpreter, else `python3`.
 *
 * Pure logic (the Python extension is reached through an injected function) so it runs under `node --test`.
 */

/** Where the interpreter came from, for the log. */
export type InterpreterSource = 'setting' | 'python extension' | 'default';

export interface Interpreter {
    /** The executable, e.g. `/usr/bin/python3`. */
    command: string;
    source: InterpreterSource;
}

export const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

/**
 * Resolve the interpreter.
 *
 * @param configured the `ncpu.python` setting (may be empty or hold `${workspaceFolder}`).
 * @param fromPythonExtension asks the Python extension; resolves `undefined` when it is absent or has
 *   no interpreter selected. A failure there falls back to the default rather than keeping the server down.
 */
export async function resolveInterpreter(
    configured: string | undefined,
    fromPythonExtension: () => Promise<string | undefined>,
    workspaceFolder?: string,
): Promise<Interpreter> {
    const setting = (configured ?? '').trim();
    if (setting !== '') {
        const command =
            workspaceFolder === undefined ? setting : setting.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
        return { command, source: 'setting' };
    }
    let path: string | undefined;
    try {
        path = await fromPythonExtension();
    } catch {
        path = undefined;
    }
    if (path !== undefined && path.trim() !== '') {
        return { command: path, source: 'python extension' };
    }
    return { command: DEFAULT_PYTHON, source: 'default' };
}

/** The server's command line for an interpreter. */
export function serverCommand(interpreter: Interpreter): { command: string; args: string[] } {
    return { command: interpreter.command, args: ['-m', 'server'] };
}
