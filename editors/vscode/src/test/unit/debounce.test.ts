import * as assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { debounce } from '../../common/debounce';

describe('debounce', () => {
    it('runs once after the last call', () => {
        mock.timers.enable({ apis: ['setTimeout'] });
        try {
            let runs = 0;
            const restart = debounce(() => runs++, 1000);
            restart();
            mock.timers.tick(600);
            restart();
            mock.timers.tick(600);
            assert.equal(runs, 0);
            mock.timers.tick(400);
            assert.equal(runs, 1);
        } finally {
            mock.timers.reset();
        }
    });

    it('can be cancelled', () => {
        mock.timers.enable({ apis: ['setTimeout'] });
        try {
            let runs = 0;
            const restart = debounce(() => runs++, 10);
            restart();
            restart.cancel();
            mock.timers.tick(100);
            assert.equal(runs, 0);
        } finally {
            mock.timers.reset();
        }
    });
});
