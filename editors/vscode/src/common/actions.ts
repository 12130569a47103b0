/**
 * Which of the server's code actions the editor commands run. Pure logic, unit-tested.
 *
 * The server (`server/features/code_actions.py`) titles them "Solve with cascade: <name>" (a command,
 * or an edit when the store already holds a verified body, marked preferred) and
 * "Solve all stubs in file (<n>)".
 */

export const SOLVE_PREFIX = 'Solve with cascade';
export const SOLVE_FILE_PREFIX = 'Solve all stubs in file';
/** The kind every ncpu action has. */
export const ACTION_KIND = 'refactor.rewrite';

export interface ActionLike {
    title: string;
    isPreferred?: boolean;
}

/** The action that solves the stub at the cursor: a store hit first, then the first solve. */
export function pickSolveAction<T extends ActionLike>(actions: readonly T[] | undefined | null): T | undefined {
    const solves = (actions ?? []).filter((a) => a.title.startsWith(SOLVE_PREFIX));
    return solves.find((a) => a.isPreferred === true) ?? solves[0];
}

/** The action that solves every stub of the file. */
export function pickSolveFileAction<T extends ActionLike>(actions: readonly T[] | undefined | null): T | undefined {
    return (actions ?? []).find((a) => a.title.startsWith(SOLVE_FILE_PREFIX));
}
