import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
    ADD_EXAMPLE_KIND,
    addExampleActions,
    kindOf,
    pickSolveAction,
    pickSolveFileAction,
    SOLVE_FILE_KIND,
    SOLVE_KIND,
    UNVERIFIED_KIND,
} from '../../common/actions';

describe('code action choice', () => {
    const actions = [
        { title: 'Insert UNVERIFIED body for f (1 of 2 checks passed)', kind: UNVERIFIED_KIND },
        { title: 'Solve with cascade: f', kind: SOLVE_KIND },
        { title: 'Solve all stubs in file (2)', kind: SOLVE_FILE_KIND },
    ];

    it('picks the solve action by kind', () => {
        assert.equal(pickSolveAction(actions)?.title, 'Solve with cascade: f');
    });

    it('prefers a verified body from the store', () => {
        const stored = { title: 'Solve with cascade: g (verified, from the store)', kind: SOLVE_KIND, isPreferred: true };
        assert.equal(pickSolveAction([...actions, stored]), stored);
    });

    it('picks the file action by kind', () => {
        assert.equal(pickSolveFileAction(actions)?.title, 'Solve all stubs in file (2)');
    });

    it('lists the Add example actions of an ambiguous solve in the server\'s order, and nothing else', () => {
        const ambiguous = [
            { title: 'Solve with cascade: f', kind: SOLVE_KIND },
            { title: 'Add example: f([]) → 0 (3 candidates)', kind: ADD_EXAMPLE_KIND },
            { title: 'Add example: f([]) → raises IndexError (2 candidates)', kind: { value: ADD_EXAMPLE_KIND } },
        ];
        assert.deepEqual(
            addExampleActions(ambiguous).map((a) => a.title),
            ['Add example: f([]) → 0 (3 candidates)', 'Add example: f([]) → raises IndexError (2 candidates)'],
        );
        assert.deepEqual(addExampleActions(actions), []);
        assert.deepEqual(addExampleActions(undefined), []);
    });

    it('reads the kind of an editor-side action', () => {
        const editorSide = { title: 'anything', kind: { value: SOLVE_KIND } };
        assert.equal(kindOf(editorSide), SOLVE_KIND);
        assert.equal(pickSolveAction([editorSide]), editorSide);
    });

    it('ignores titles: a retitled action is still found, a look-alike title is not', () => {
        assert.equal(pickSolveAction([{ title: 'Lös mit Kaskade: f', kind: SOLVE_KIND }])?.title, 'Lös mit Kaskade: f');
        assert.equal(pickSolveAction([{ title: 'Solve with cascade: f', kind: 'refactor.rewrite' }]), undefined);
    });

    it('finds nothing in nothing', () => {
        assert.equal(pickSolveAction(undefined), undefined);
        assert.equal(pickSolveFileAction([{ kind: 'source.organizeImports' }]), undefined);
    });
});
