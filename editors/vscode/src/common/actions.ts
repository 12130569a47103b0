/**
 * Which of the server's code actions the editor commands run. Pure logic, unit-tested.
 *
 * Actions are told apart by their kind, never by their title (`server/contract.py`): the solve action
 * (a command, or an edit marked preferred when the store already holds a verified body), the file action,
 * and the unverified body kept from a partial solve.
 */

/** The parent kind of every ncpu action. */
export const ACTION_KIND = 'refactor.rewrite.ncpu';
export const SOLVE_KIND = `${ACTION_KIND}.solve`;
export const SOLVE_FILE_KIND = `${ACTION_KIND}.solveFile`;
export const UNVERIFIED_KIND = `${ACTION_KIND}.insertUnverified`;

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
