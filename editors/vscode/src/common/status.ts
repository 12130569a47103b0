/**
 * The state shown in the status bar, derived from the client's state and the server's `$/progress`.
 *
 * Pure logic (no `vscode` import) so it runs under `node --test`; `vscodeapi.ts` paints a view on the item.
 */

/** What the client is doing (mirrors `vscode-languageclient`'s `State`, plus a failed start). */
export type ClientPhase = 'stopped' | 'starting' | 'running' | 'failed';

/** What the user sees: server and model state. */
export type StatusKind = 'stopped' | 'starting' | 'idle' | 'loading' | 'solving' | 'error';

export type StatusEvent =
    | { type: 'client'; phase: ClientPhase; message?: string }
    | { type: 'begin'; token: string | number; title: string; message?: string }
    | { type: 'report'; token: string | number; message?: string }
    | { type: 'end'; token: string | number; message?: string }
    /** What a solve command answered (see `solveOutcome`). */
    | { type: 'result'; status: string; message?: string }
    /** The settings changed: a model error may be fixed. */
    | { type: 'settings' };

interface Work {
    title: string;
    loading: boolean;
    message?: string;
}

export interface StatusState {
    client: ClientPhase;
    /** Why the server is down, when it is. */
    error?: string;
    /** Why the last solve could not use the model (it never finished loading, or the solve raised). */
    modelError?: string;
    /** The last progress ended on "loading model": a failed answer then means the model did not load. */
    endedLoading?: boolean;
    /** Progress tokens begun and not yet ended, in order. */
    work: ReadonlyMap<string | number, Work>;
}

export const INITIAL_STATE: StatusState = { client: 'stopped', work: new Map() };

/** The cascade reports model loading as a layer message (`ncpu/engine.py`): "loading model ...". */
export function isLoadingMessage(message: string | undefined): boolean {
    return message !== undefined && /loading model/i.test(message);
}

/** The status and message of a solve command's answer worth showing: an error, or else the first one. */
export function solveOutcome(result: unknown): { status: string; message?: string } | undefined {
    if (typeof result !== 'object' || result === null) {
        return undefined;
    }
    const record = result as Record<string, unknown>;
    // `ncpu.solve` answers one summary; `ncpu.solveFile` one per stub, by name.
    const summaries = typeof record.status === 'string' ? [record] : Object.values(record);
    const outcomes = summaries
        .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && typeof (s as Record<string, unknown>).status === 'string')
        .map((s) => ({ status: s.status as string, message: typeof s.message === 'string' ? s.message : undefined }));
    return outcomes.find((o) => o.status === 'error' || o.status === 'failed') ?? outcomes[0];
}

/** The next state after one event; never mutates `state`. */
export function reduce(state: StatusState, event: StatusEvent): StatusState {
    switch (event.type) {
        case 'client': {
            // A stopped or restarted server ends all of its progress.
            const work = event.phase === 'running' && state.client === 'running' ? state.work : new Map();
            const error = event.phase === 'failed' ? (event.message ?? 'the server stopped') : undefined;
            return { client: event.phase, error, work };
        }
        case 'begin': {
            const work = new Map(state.work);
            work.set(event.token, { title: event.title, loading: isLoadingMessage(event.message), message: event.message });
            return { ...state, work, modelError: undefined };
        }
        case 'report': {
            const current = state.work.get(event.token);
            if (current === undefined) {
                return state;
            }
            const work = new Map(state.work);
            const message = event.message ?? current.message;
            work.set(event.token, { ...current, message, loading: event.message === undefined ? current.loading : isLoadingMessage(event.message) });
            return { ...state, work };
        }
        case 'end': {
            const ended = state.work.get(event.token);
            if (ended === undefined) {
                return state;
            }
            const work = new Map(state.work);
            work.delete(event.token);
            return { ...state, work, endedLoading: ended.loading };
        }
        case 'result': {
            // The answer comes after the progress ended. A solve whose last report was "loading model" and
            // that failed never got a model: once one loads, the server reports "model <name> loaded".
            if (event.status === 'error' || (event.status === 'failed' && state.endedLoading === true)) {
                return { ...state, modelError: event.message ?? 'the model did not load', endedLoading: false };
            }
            return { ...state, endedLoading: false };
        }
        case 'settings':
            return state.modelError === undefined ? state : { ...state, modelError: undefined };
    }
}

/** The kind of status for a state. */
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
    const works = [...state.work.values()];
    if (works.some((w) => w.loading)) {
        return 'loading';
    }
    if (works.length > 0) {
        return 'solving';
    }
    return state.modelError === undefined ? 'idle' : 'error';
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

/** The view of a state; `model` describes the configured model for the tooltip. */
export function render(state: StatusState, model: string): StatusView {
    const kind = statusKind(state);
    const lines: string[] = [];
    switch (kind) {
        case 'error':
            if (state.client === 'failed') {
                lines.push(`The ncpu server is not running: ${state.error ?? 'unknown error'}.`);
            } else {
                lines.push(`The last solve could not run: ${state.modelError ?? 'unknown error'}.`);
            }
            lines.push('Click to open the log.');
            break;
        case 'stopped':
            lines.push('The ncpu server is stopped.');
            break;
        case 'starting':
            lines.push('Starting the ncpu server.');
            break;
        default:
            for (const work of state.work.values()) {
                lines.push(work.message ? `${shortTitle(work.title)}: ${work.message}` : shortTitle(work.title));
            }
            if (kind === 'idle') {
                lines.push('The ncpu server is ready.');
            }
    }
    lines.push(`Model: ${model}`);
    let text = LABELS[kind];
    const first = state.work.values().next();
    if (kind === 'solving' && !first.done) {
        text = `$(sync~spin) ncpu: ${shortTitle(first.value.title)}`;
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
        this.dispatch({ type: 'settings' });
    }
}
