/**
 * Which of the server's code actions the editor commands run. Pure logic, unit-tested.
 *
 * Actions are told apart by their kind, never by their title (`server/contract.py`): the solve action
 * (a command, or an edit marked preferred when the store already holds a verified body), the file action,
 * the unverified body kept from a partial solve, and after an ambiguous solve one "Add example" per answer
 * (the doctest edit, then the solve again).
 */

/** The parent kind of every ncpu action. */
export const ACTION_KIND = 'refactor.rewrite.ncpu';
export const SOLVE_KIND = `${ACTION_KIND}.solve`;
export const SOLVE_FILE_KIND = `${ACTION_KIND}.solveFile`;
export const UNVERIFIED_KIND = `${ACTION_KIND}.insertUnverified`;
export const ADD_EXAMPLE_KIND = `${ACTION_KIND}.addExample`;

export interface ActionLike {
    /** A string on the wire; a `vscode.CodeActionKind` (with `value`) in the editor. */
    kind?: string | { value: string };
    isPreferred?: boolean;
}

/** The kind of an action as a string. */
export function kindOf(action: ActionLike): string | undefined {
    return typeof action.kind === 'string' ? action.kind : action.kind?.value;
}

/** The action that solves the stub at the cursor: a store hit first, then the solve command. */
export function pickSolveAction<T extends ActionLike>(actions: readonly T[] | undefined | null): T | undefined {
    const solves = (actions ?? []).filter((a) => kindOf(a) === SOLVE_KIND);
    return solves.find((a) => a.isPreferred === true) ?? solves[0];
}

/** The action that solves every stub of the file. */
export function pickSolveFileAction<T extends ActionLike>(actions: readonly T[] | undefined | null): T | undefined {
    return (actions ?? []).find((a) => kindOf(a) === SOLVE_FILE_KIND);
}

/** The "Add example" actions an ambiguous solve left on the stub at the cursor, one per answer, in the server's order. */
export function addExampleActions<T extends ActionLike>(actions: readonly T[] | undefined | null): T[] {
    return (actions ?? []).filter((a) => kindOf(a) === ADD_EXAMPLE_KIND);
}
