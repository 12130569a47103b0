import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
    INITIAL_STATE,
    reduce,
    render,
    type StatusEvent,
    StatusModel,
    solveOutcome,
    type StatusState,
    statusKind,
    type StatusView,
} from '../../common/status';

function run(...events: StatusEvent[]): StatusState {
    return events.reduce(reduce, INITIAL_STATE);
}

const running: StatusEvent = { type: 'client', phase: 'running' };

describe('status state machine', () => {
    it('starts stopped, then starting, then idle', () => {
        assert.equal(statusKind(INITIAL_STATE), 'stopped');
        assert.equal(statusKind(run({ type: 'client', phase: 'starting' })), 'starting');
        assert.equal(statusKind(run({ type: 'client', phase: 'starting' }, running)), 'idle');
    });

    it('goes solving → loading model → solving → idle with progress', () => {
        const begun = run(running, { type: 'begin', token: 't', title: 'ncpu: solving greet' });
        assert.equal(statusKind(begun), 'solving');
        const loading = reduce(begun, { type: 'report', token: 't', message: 'greet: loading model qwen' });
        assert.equal(statusKind(loading), 'loading');
        // The server says when the model has loaded (ncpu/engine.py), so generation shows as solving.
        const solving = reduce(loading, { type: 'report', token: 't', message: 'greet: model qwen loaded' });
        assert.equal(statusKind(solving), 'solving');
        assert.equal(statusKind(reduce(solving, { type: 'end', token: 't', message: 'done' })), 'idle');
    });

    it('keeps solving until every progress ended', () => {
        const two = run(
            running,
            { type: 'begin', token: 1, title: 'ncpu: solving a' },
            { type: 'begin', token: 2, title: 'ncpu: solving b' },
            { type: 'end', token: 1 },
        );
        assert.equal(statusKind(two), 'solving');
        assert.equal(statusKind(reduce(two, { type: 'end', token: 2 })), 'idle');
    });

    it('ignores reports and ends of unknown tokens', () => {
        const state = run(running);
        assert.equal(reduce(state, { type: 'report', token: 'x', message: 'loading model' }), state);
        assert.equal(reduce(state, { type: 'end', token: 'x' }), state);
    });

    it('shows an error when the start failed, and clears work on restart', () => {
        const failed = run(running, { type: 'begin', token: 't', title: 'ncpu: solving f' }, {
            type: 'client',
            phase: 'failed',
            message: 'No module named server',
        });
        assert.equal(statusKind(failed), 'error');
        assert.equal(failed.error, 'No module named server');
        assert.equal(failed.work.size, 0);
        assert.equal(statusKind(reduce(reduce(failed, { type: 'client', phase: 'starting' }), running)), 'idle');
    });

    it('shows a model that did not load as an error until the next solve or settings change', () => {
        const failed = run(
            running,
            { type: 'begin', token: 't', title: 'ncpu: solving f' },
            { type: 'report', token: 't', message: 'loading model qwen' },
            { type: 'end', token: 't', message: 'done' },
            { type: 'result', status: 'failed', message: 'model file not found: /nowhere.gguf' },
        );
        assert.equal(statusKind(failed), 'error');
        assert.equal(failed.modelError, 'model file not found: /nowhere.gguf');
        assert.match(render(failed, 'm').tooltip, /model file not found/);
        assert.equal(statusKind(reduce(failed, { type: 'settings' })), 'idle');
        assert.equal(statusKind(reduce(failed, { type: 'begin', token: 'u', title: 'ncpu: solving f' })), 'solving');
    });

    it('keeps idle when the greedy candidate right after loading passed', () => {
        const solved = run(
            running,
            { type: 'begin', token: 't', title: 'ncpu: solving f' },
            { type: 'report', token: 't', message: 'greedy' },
            { type: 'report', token: 't', message: 'loading model qwen' },
            { type: 'end', token: 't', message: 'done' },
            { type: 'result', status: 'verified', message: 'verified (greedy, 2/2 checks passed)' },
        );
        assert.equal(statusKind(solved), 'idle');
    });

    it('keeps idle when a loaded model found nothing', () => {
        const unsolved = run(
            running,
            { type: 'begin', token: 't', title: 'ncpu: solving f' },
            { type: 'report', token: 't', message: 'loading model qwen' },
            { type: 'report', token: 't', message: 'greedy' },
            { type: 'end', token: 't', message: 'done' },
            { type: 'result', status: 'failed', message: '1 of 2 checks passed' },
        );
        assert.equal(statusKind(unsolved), 'idle');
        assert.equal(statusKind(reduce(unsolved, { type: 'result', status: 'error', message: 'boom' })), 'error');
    });

    it('does not mutate the previous state', () => {
        const before = run(running);
        reduce(before, { type: 'begin', token: 't', title: 'x' });
        assert.equal(before.work.size, 0);
    });
});

describe('solveOutcome', () => {
    it('reads one summary or one per stub, errors first', () => {
        assert.deepEqual(solveOutcome({ status: 'verified', layer: 'greedy', message: 'ok' }), { status: 'verified', message: 'ok' });
        assert.deepEqual(
            solveOutcome({ add: { status: 'verified', message: 'ok' }, mul: { status: 'failed', message: 'no model' } }),
            { status: 'failed', message: 'no model' },
        );
        assert.equal(solveOutcome(null), undefined);
        assert.equal(solveOutcome({}), undefined);
        assert.equal(solveOutcome('done'), undefined);
    });
});

describe('status view', () => {
    it('names the stub being solved and the model', () => {
        const view = render(run(running, { type: 'begin', token: 't', title: 'ncpu: solving greet' }), 'm.gguf');
        assert.equal(view.kind, 'solving');
        assert.match(view.text, /ncpu: solving greet/);
        assert.match(view.tooltip, /Model: m\.gguf/);
    });

    it('says idle and loading model', () => {
        assert.match(render(run(running), 'm').text, /ncpu: idle/);
        const loading = run(running, { type: 'begin', token: 't', title: 'ncpu: solving f' }, {
            type: 'report',
            token: 't',
            message: 'loading model small',
        });
        assert.match(render(loading, 'm').text, /ncpu: loading model/);
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
