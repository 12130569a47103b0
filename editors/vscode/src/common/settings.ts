/**
 * The `ncpu.*` settings: which keys go to the server, under which names, and how paths are resolved.
 *
 * Pure logic (no `vscode` import) so it runs under `node --test`.
 */

/** Reads one key of the `ncpu` configuration section (a `vscode.WorkspaceConfiguration` fits). */
export interface ConfigReader {
    get<T>(key: string): T | undefined;
}

/** What the server accepts (see `server/config.py`); camelCase, as on the wire. */
export interface ServerSettings {
    backend?: string;
    modelPath?: string;
    modelName?: string;
    device?: string;
    baseUrl?: string;
    apiKeyEnv?: string;
    requestTimeout?: number;
    escalationTiers?: string[];
    escalate?: boolean;
    maxSamples?: number;
    maxTokens?: number;
    maxSeconds?: number;
    wallSeconds?: number;
    memoryMb?: number;
    unsafeSandbox?: boolean;
    projectPython?: string;
    storePath?: string;
    offerUnverified?: boolean;
    idleUnloadSeconds?: number;
    gpuLayers?: number;
    cpuSafe?: boolean;
    modelHost?: string;
    showFirstPass?: boolean;
}

/** Keys of the `ncpu` section that the server reads; the others (`python`, `trace`) stay in the client. */
export const SERVER_KEYS: readonly (keyof ServerSettings)[] = [
    'backend',
    'modelPath',
    'modelName',
    'device',
    'baseUrl',
    'apiKeyEnv',
    'requestTimeout',
    'escalationTiers',
    'escalate',
    'maxSamples',
    'maxTokens',
    'maxSeconds',
    'wallSeconds',
    'memoryMb',
    'unsafeSandbox',
    'projectPython',
    'storePath',
    'offerUnverified',
    'idleUnloadSeconds',
    'gpuLayers',
    'cpuSafe',
    'modelHost',
    'showFirstPass',
];

const PATH_KEYS: ReadonlySet<string> = new Set(['modelPath', 'storePath', 'projectPython']);

/**
 * Resolve `${workspaceFolder}`, `${userHome}` and `~`, and make a relative path absolute against the
 * workspace folder (the server's working directory is not the workspace's).
 */
export function resolvePath(value: string, workspaceFolder: string | undefined, home: string | undefined): string {
    let path = value.trim();
    if (workspaceFolder !== undefined) {
        path = path.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    }
    if (home !== undefined) {
        path = path.replace(/\$\{userHome\}/g, home);
        if (path === '~' || path.startsWith('~/')) {
            path = home + path.slice(1);
        }
    }
    const absolute = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\') || path.startsWith('~');
    if (!absolute && path !== '' && workspaceFolder !== undefined) {
        path = `${workspaceFolder.replace(/[\\/]+$/, '')}/${path}`;
    }
    return path;
}

/** Backends whose ladder-tier target is a served model or a repo id, not a file: left as written. */
const NAMED_TARGETS: ReadonlySet<string> = new Set(['openai', 'transformers']);

/**
 * An escalation tier: a model file (resolved like any path), or `BACKEND:TARGET` such as `openai:MODEL`,
 * whose file target (`llama_cpp:models/big.gguf`) is resolved and whose model name is kept.
 * A Windows drive (`C:\...`) is one letter, so it never reads as a backend name.
 */
export function resolveTier(value: string, workspaceFolder: string | undefined, home: string | undefined): string {
    const tier = /^([A-Za-z_][\w.-]+):(.*)$/.exec(value.trim());
    if (tier === null) {
        return resolvePath(value, workspaceFolder, home);
    }
    const [, backend, target] = tier;
    if (NAMED_TARGETS.has(backend) || target === '') {
        return value.trim();
    }
    return `${backend}:${resolvePath(target, workspaceFolder, home)}`;
}

/**
 * The settings sent as `initializationOptions` and with `workspace/didChangeConfiguration`.
 *
 * Unset and empty values are left out so the server uses its own defaults.
 */
export function serverSettings(
    config: ConfigReader,
    workspaceFolder: string | undefined,
    home: string | undefined,
): ServerSettings {
    const settings: Record<string, unknown> = {};
    // Types are checked by the server, which reports a bad value and keeps that key's default.
    for (const key of SERVER_KEYS) {
        const value = config.get<unknown>(key);
        if (value === undefined || value === null) {
            continue;
        }
        if (key === 'escalationTiers' && Array.isArray(value)) {
            // A ladder, cheapest first; each tier's file target is resolved like any path.
            const tiers = (value as unknown[]).map((tier): unknown => (typeof tier === 'string' ? resolveTier(tier, workspaceFolder, home) : tier));
            if (tiers.length > 0) {
                settings[key] = tiers;
            }
        } else if (typeof value === 'string') {
            if (value.trim() === '') {
                continue;
            }
            settings[key] =
                key === 'escalationTiers'
                    ? [resolveTier(value, workspaceFolder, home)]
                    : PATH_KEYS.has(key)
                      ? resolvePath(value, workspaceFolder, home)
                      : value.trim();
        } else {
            settings[key] = value;
        }
    }
    return settings;
}

/** A short description of the model for the status bar tooltip. */
export function describeModel(settings: ServerSettings): string {
    const backend = settings.backend ?? 'llama_cpp';
    if (backend === 'fake') {
        return `fake backend (script ${settings.modelPath ?? 'missing'})`;
    }
    if (backend === 'openai') {
        return `openai: ${settings.modelName ?? "the server's first model"} at ${settings.baseUrl ?? 'the default URL'}`;
    }
    const model = settings.modelPath ?? settings.modelName ?? 'the embedded default model';
    return backend === 'llama_cpp' ? model : `${backend}: ${model}`;
}

/**
 * The answer to the server's `workspace/configuration` request: for the `section` it reads, the mapped
 * server settings (its keys only, paths resolved, as `initializationOptions`); for any other item, what
 * the editor itself answered.
 */
export function configurationAnswer(
    items: readonly { section?: string }[],
    answer: readonly unknown[],
    section: string,
    settings: () => ServerSettings,
): unknown[] {
    return items.map((item, index) => (item.section === section ? settings() : answer[index]));
}
