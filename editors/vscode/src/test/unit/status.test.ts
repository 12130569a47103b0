import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
    describeStep,
    INITIAL_STATE,
    isServerStatus,
    reduce,
    render,
    type ServerStatus,
    type StatusEvent,
    StatusModel,
    type StatusState,
    statusKind,
    type StatusView,
} from '../../common/status';

function run(...events: StatusEvent[]): StatusState {
    return events.reduce(reduce, INITIAL_STATE);
}

const running: StatusEvent = { type: 'client', phase: 'running' };
const IDLE: ServerStatus = { state: 'idle', model: 'qwen-0.5b', tier: 0, stub: null, solving: 0, layer: null, step: null, steps: null, error: null };

function server(status: Partial<ServerStatus>): StatusEvent {
    return { type: 'server', status: { ...IDLE, ...status } };
}

describe('status state machine', () => {
    it('starts stopped, then starting, then idle', () => {
        assert.equal(statusKind(INITIAL_STATE), 'stopped');
        assert.equal(statusKind(run({ type: 'client', phase: 'starting' })), 'starting');
        assert.equal(statusKind(run({ type: 'client', phase: 'starting' }, running)), 'idle');
    });

    it('follows the server: solving → loading model → solving → idle', () => {
        const solving = run(running, server({ state: 'solving', stub: 'greet', solving: 1, layer: 'store' }));
        assert.equal(statusKind(solving), 'solving');
        const loading = reduce(solving, server({ state: 'loading', stub: 'greet', solving: 1, layer: 'load' }));
        assert.equal(statusKind(loading), 'loading');
        const greedy = reduce(loading, server({ state: 'solving', stub: 'greet', solving: 1, layer: 'greedy', step: 1, steps: 1 }));
        assert.equal(statusKind(greedy), 'solving');
        assert.equal(statusKind(reduce(greedy, server({}))), 'idle');
    });

    it('reads no state from progress text', () => {
        const state = run(running, server({}), { type: 'begin', token: 't', title: 'ncpu: solving f', message: 'loading model qwen' });
        assert.equal(statusKind(state), 'idle');
    });

    it('falls back to progress before the first notification', () => {
        const state = run(running, { type: 'begin', token: 't', title: 'ncpu: solving f' });
        assert.equal(statusKind(state), 'solving');
        assert.equal(statusKind(reduce(state, { type: 'end', token: 't' })), 'idle');
    });

    it('ignores reports and ends of unknown tokens', () => {
        const state = run(running);
        assert.equal(reduce(state, { type: 'report', token: 'x', message: 'greedy' }), state);
        assert.equal(reduce(state, { type: 'end', token: 'x' }), state);
    });

    it('shows an error when the start failed, and clears work and status on restart', () => {
        const failed = run(running, server({ state: 'solving', stub: 'f', solving: 1 }), { type: 'begin', token: 't', title: 'ncpu: solving f' }, {
            type: 'client',
            phase: 'failed',
            message: 'No module named server',
        });
        assert.equal(statusKind(failed), 'error');
        assert.equal(failed.error, 'No module named server');
        assert.equal(failed.work.size, 0);
        assert.equal(failed.server, undefined);
        assert.equal(statusKind(reduce(reduce(failed, { type: 'client', phase: 'starting' }), running)), 'idle');
    });

    it('shows the server error with its reason, until the server clears it', () => {
        const failed = run(running, server({ state: 'error', error: 'model file not found: /nowhere.gguf' }));
        assert.equal(statusKind(failed), 'error');
        assert.match(render(failed, 'm').tooltip, /model file not found/);
        assert.equal(statusKind(reduce(failed, server({}))), 'idle');
    });

    it('does not mutate the previous state', () => {
        const before = run(running);
        reduce(before, { type: 'begin', token: 't', title: 'x' });
        reduce(before, server({ state: 'solving' }));
        assert.equal(before.work.size, 0);
        assert.equal(before.server, undefined);
    });
});

describe('the notification', () => {
    it('accepts the server status shape and nothing else', () => {
        assert.ok(isServerStatus(IDLE));
        assert.ok(isServerStatus({ ...IDLE, later: 'a field a newer server adds' }));
        assert.equal(isServerStatus({ state: 'busy', model: 'm' }), false);
        assert.equal(isServerStatus({ state: 'idle' }), false);
        assert.equal(isServerStatus(null), false);
        assert.equal(isServerStatus('idle'), false);
    });

    it('describes the layer and step', () => {
        assert.equal(describeStep({ ...IDLE, layer: 'best_of_n', step: 3, steps: 8 }), 'best-of-N: 3 of 8 samples checked');
        assert.equal(describeStep({ ...IDLE, layer: 'retry', step: 2, steps: 4 }), 'retry 2/4');
        assert.equal(describeStep({ ...IDLE, layer: 'agree', step: 2, steps: 3 }), 'agreement: 2 of 3 passing candidates');
        assert.equal(describeStep({ ...IDLE, layer: 'template' }), 'template');
        assert.equal(describeStep(IDLE), undefined);
    });
});

describe('status view', () => {
    it('names the stub being solved and the model the server uses', () => {
        const view = render(run(running, server({ state: 'solving', stub: 'greet', solving: 1, model: 'qwen-1.5b', tier: 1, layer: 'escalate' })), 'm.gguf');
        assert.equal(view.kind, 'solving');
        assert.match(view.text, /ncpu: solving greet/);
        assert.match(view.tooltip, /Model: qwen-1\.5b \(escalation tier 1\)/);
        assert.match(view.tooltip, /greet: escalate/);
    });

    it('counts the other stubs solving at once', () => {
        const view = render(run(running, server({ state: 'solving', stub: 'b', solving: 3 })), 'm');
        assert.match(view.text, /ncpu: solving b \(\+2\)/);
    });

    it('puts progress text in the tooltip', () => {
        const state = run(running, server({ state: 'solving', stub: 'f', solving: 1 }), { type: 'begin', token: 't', title: 'ncpu: solving f' }, {
            type: 'report',
            token: 't',
            message: 'best-of-N: 7 of 16 samples checked',
        });
        assert.match(render(state, 'm').tooltip, /solving f: best-of-N: 7 of 16 samples checked/);
    });

    it('says idle and loading model', () => {
        assert.match(render(run(running), 'm').text, /ncpu: idle/);
        assert.match(render(run(running, server({ state: 'loading', stub: 'f', solving: 1, layer: 'load' })), 'm').text, /ncpu: loading model/);
    });

    it('marks errors', () => {
        const view = render(run({ type: 'client', phase: 'failed', message: 'boom' }), 'm');
        assert.equal(view.severity, 'error');
        assert.match(view.tooltip, /boom/);
    });

    it('tells the listener about each change', () => {
        const views: StatusView[] = [];
        const model = new StatusModel('m', (view) => views.push(view));
        model.dispatch({ type: 'client', phase: 'starting' });
        model.dispatch(running);
        model.setModel('n');
        assert.deepEqual(
            views.map((v) => v.kind),
            ['stopped', 'starting', 'idle', 'idle'],
        );
        assert.match(views[3].tooltip, /Model: n/);
    });
});
