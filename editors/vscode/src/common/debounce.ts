/** A trailing-edge debounce: many calls within `waitMs` run `fn` once, after the last one. */
export interface Debounced {
    (): void;
    /** Drop a pending run. */
    cancel(): void;
}

export function debounce(fn: () => void, waitMs: number): Debounced {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const debounced = (() => {
        if (timer !== undefined) {
            clearTimeout(timer);
        }
        timer = setTimeout(() => {
            timer = undefined;
            fn();
        }, waitMs);
    }) as Debounced;
    debounced.cancel = () => {
        if (timer !== undefined) {
            clearTimeout(timer);
            timer = undefined;
        }
    };
    return debounced;
}
