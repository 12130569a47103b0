/**
 * The state shown in the status bar: the client's state and the server's `ncpu/status` notification (data);
 * `$/progress` only adds its text to the tooltip.
 *
 * Pure logic (no `vscode` import) so it runs under `node --test`; `vscodeapi.ts` paints a view on the item.
 */

/** What the client is doing (mirrors `vscode-languageclient`'s `State`, plus a failed start). */
export type ClientPhase = 'stopped' | 'starting' | 'running' | 'failed';

/** What the user sees: server and model state. */
export type StatusKind = 'stopped' | 'starting' | 'idle' | 'loading' | 'solving' | 'error';

/** The method of the server's status notification (`server/contract.py`). */
export const STATUS_NOTIFICATION = 'ncpu/status';

/** The params of `ncpu/status`: the server's state, as data (`server/contract.py`, `Status`). */
export interface ServerStatus {
    state: 'idle' | 'loading' | 'solving' | 'error';
    /** The model in use while solving or loading, else the ladder's first. */
    model: string;
    /** Index of `model` in the ladder, cheapest first. */
    tier: number | null;
    /** The stub being solved (the latest, when several are). */
    stub: string | null;
    /** How many solves run. */
    solving: number;
    /** The cascade layer at work (`greedy`, `retry`, `best_of_n`, ..., `load` while a model loads). */
    layer: string | null;
    step: number | null;
    steps: number | null;
    /** Why, in state `error`: the last solve could not use the model. */
    error: string | null;
}

export type StatusEvent =
    | { type: 'client'; phase: ClientPhase; message?: string }
    /** One `ncpu/status` notification. */
    | { type: 'server'; status: ServerStatus }
    /** `$/progress`: the human text shown in the tooltip. */
    | { type: 'begin'; token: string | number; title: string; message?: string }
    | { type: 'report'; token: string | number; message?: string }
    | { type: 'end'; token: string | number; message?: string };

interface Work {
    title: string;
    message?: string;
}

export interface StatusState {
    client: ClientPhase;
    /** Why the server is down, when it is. */
    error?: string;
    /** The last `ncpu/status` of the running server. */
    server?: ServerStatus;
    /** Progress tokens begun and not yet ended, in order (their text goes in the tooltip). */
    work: ReadonlyMap<string | number, Work>;
}

export const INITIAL_STATE: StatusState = { client: 'stopped', work: new Map() };

/** Whether a notification's params have the shape of a `ServerStatus` (a newer server may add fields). */
export function isServerStatus(value: unknown): value is ServerStatus {
    if (typeof value !== 'object' || value === null) {
        return false;
    }
    const record = value as Record<string, unknown>;
    return ['idle', 'loading', 'solving', 'error'].includes(record.state as string) && typeof record.model === 'string';
}

/** The next state after one event; never mutates `state`. */
export function reduce(state: StatusState, event: StatusEvent): StatusState {
    switch (event.type) {
        case 'client': {
            // A stopped or restarted server ends all of its progress and its status.
            const keep = event.phase === 'running' && state.client === 'running';
            const error = event.phase === 'failed' ? (event.message ?? 'the server stopped') : undefined;
            return { client: event.phase, error, work: keep ? state.work : new Map(), server: keep ? state.server : undefined };
        }
        case 'server':
            return { ...state, server: event.status };
        case 'begin': {
            const work = new Map(state.work);
            work.set(event.token, { title: event.title, message: event.message });
            return { ...state, work };
        }
        case 'report': {
            const current = state.work.get(event.token);
            if (current === undefined) {
                return state;
            }
            const work = new Map(state.work);
            work.set(event.token, { ...current, message: event.message ?? current.message });
            return { ...state, work };
        }
        case 'end': {
            if (!state.work.has(event.token)) {
                return state;
            }
            const work = new Map(state.work);
            work.delete(event.token);
            return { ...state, work };
        }
    }
}

/** The kind of status for a state: the server's own state while it runs. */
export function statusKind(state: StatusState): StatusKind {
    switch (state.client) {
        case 'failed':
            return 'error';
        case 'starting':
            return 'starting';
        case 'stopped':
            return 'stopped';
        case 'running':
            break;
    }
    if (state.server !== undefined) {
        return state.server.state;
    }
    return state.work.size > 0 ? 'solving' : 'idle';
}

/**
 * "retry" step 2 of 4 → "retry 2/4"; "best_of_n" 3 of 8 → "best-of-N: 3 of 8 samples checked"; "agree" 2 of 3 →
 * "agreement: 2 of 3 passing candidates", for the tooltip.
 */
export function describeStep(status: ServerStatus): string | undefined {
    if (status.layer === null) {
        return undefined;
    }
    const counted = status.step !== null && status.steps !== null;
    if (status.layer === 'best_of_n') {
        return counted ? `best-of-N: ${status.step} of ${status.steps} samples checked` : 'best-of-N';
    }
    if (status.layer === 'agree') {
        return counted ? `agreement: ${status.step} of ${status.steps} passing candidates` : 'agreement';
    }
    const layer = status.layer === 'load' ? 'loading the model' : status.layer;
    return counted ? `${layer} ${status.step}/${status.steps}` : layer;
}

export interface StatusView {
    kind: StatusKind;
    /** Status bar text, with a codicon. */
    text: string;
    tooltip: string;
    severity: 'normal' | 'warning' | 'error';
}

const LABELS: Record<StatusKind, string> = {
    stopped: '$(circle-slash) ncpu: stopped',
    starting: '$(sync~spin) ncpu: starting',
    idle: '$(check) ncpu: idle',
    loading: '$(sync~spin) ncpu: loading model',
    solving: '$(sync~spin) ncpu: solving',
    error: '$(error) ncpu: error',
};

/** Strip the server's "ncpu: " prefix from a progress title. */
function shortTitle(title: string): string {
    return title.replace(/^ncpu:\s*/i, '');
}

/** The view of a state; `model` describes the configured model, for the tooltip until the server names it. */
export function render(state: StatusState, model: string): StatusView {
    const kind = statusKind(state);
    const server = state.client === 'running' ? state.server : undefined;
    const lines: string[] = [];
    switch (kind) {
        case 'error':
            if (state.client === 'failed') {
                lines.push(`The ncpu server is not running: ${state.error ?? 'unknown error'}.`);
            } else {
                lines.push(`The last solve could not run: ${server?.error ?? 'unknown error'}.`);
            }
            lines.push('Click to open the log.');
            break;
        case 'stopped':
            lines.push('The ncpu server is stopped.');
            break;
        case 'starting':
            lines.push('Starting the ncpu server.');
            break;
        default: {
            for (const work of state.work.values()) {
                lines.push(work.message ? `${shortTitle(work.title)}: ${work.message}` : shortTitle(work.title));
            }
            const step = server !== undefined && kind !== 'idle' ? describeStep(server) : undefined;
            if (step !== undefined && lines.length === 0) {
                lines.push(`${server?.stub ?? 'solving'}: ${step}`);
            }
            if (kind === 'idle') {
                lines.push('The ncpu server is ready.');
            }
        }
    }
    const tier = server !== undefined && server.tier !== null && server.tier > 0 ? ` (escalation tier ${server.tier})` : '';
    lines.push(`Model: ${server?.model || model}${tier}`);
    let text = LABELS[kind];
    if (kind === 'solving') {
        const stub = server?.stub ?? undefined;
        const first = state.work.values().next();
        if (stub !== undefined) {
            const more = server !== undefined && server.solving > 1 ? ` (+${server.solving - 1})` : '';
            text = `$(sync~spin) ncpu: solving ${stub}${more}`;
        } else if (!first.done) {
            text = `$(sync~spin) ncpu: ${shortTitle(first.value.title)}`;
        }
    }
    const severity = kind === 'error' ? 'error' : kind === 'stopped' ? 'warning' : 'normal';
    return { kind, text, tooltip: lines.join('\n'), severity };
}

/** Holds the state and tells a listener about each new view. */
export class StatusModel {
    private state: StatusState = INITIAL_STATE;

    constructor(
        private model: string,
        private readonly listener: (view: StatusView) => void,
    ) {
        listener(render(this.state, model));
    }

    get current(): StatusState {
        return this.state;
    }

    get view(): StatusView {
        return render(this.state, this.model);
    }

    dispatch(event: StatusEvent): void {
        this.state = reduce(this.state, event);
        this.listener(this.view);
    }

    setModel(model: string): void {
        this.model = model;
        this.listener(this.view);
    }
}
