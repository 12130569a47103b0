import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickSolveAction, pickSolveFileAction } from '../../common/actions';

describe('code action choice', () => {
    const actions = [
        { title: 'Insert UNVERIFIED body for f (1 of 2 checks passed)' },
        { title: 'Solve with cascade: f' },
        { title: 'Solve all stubs in file (2)' },
    ];

    it('picks the solve action', () => {
        assert.equal(pickSolveAction(actions)?.title, 'Solve with cascade: f');
    });

    it('prefers a verified body from the store', () => {
        const stored = { title: 'Solve with cascade: g (verified, from the store)', isPreferred: true };
        assert.equal(pickSolveAction([...actions, stored]), stored);
    });

    it('picks the file action', () => {
        assert.equal(pickSolveFileAction(actions)?.title, 'Solve all stubs in file (2)');
    });

    it('finds nothing in nothing', () => {
        assert.equal(pickSolveAction(undefined), undefined);
        assert.equal(pickSolveFileAction([{ title: 'Organize imports' }]), undefined);
    });
});
