import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PYTHON, resolveInterpreter, serverCommand } from '../../common/interpreter';

describe('resolveInterpreter', () => {
    it('prefers the ncpu.python setting', async () => {
        let asked = false;
        const interpreter = await resolveInterpreter('/opt/py/bin/python', async () => {
            asked = true;
            return '/other/python';
        });
        assert.deepEqual(interpreter, { command: '/opt/py/bin/python', source: 'setting' });
        assert.equal(asked, false);
    });

    it('substitutes ${workspaceFolder} in the setting', async () => {
        const interpreter = await resolveInterpreter('${workspaceFolder}/.venv/bin/python', async () => undefined, '/ws');
        assert.equal(interpreter.command, '/ws/.venv/bin/python');
    });

    it('uses the Python extension when the setting is empty', async () => {
        const interpreter = await resolveInterpreter('  ', async () => '/venv/bin/python');
        assert.deepEqual(interpreter, { command: '/venv/bin/python', source: 'python extension' });
    });

    it('falls back to python3 without the Python extension', async () => {
        const interpreter = await resolveInterpreter(undefined, async () => undefined);
        assert.deepEqual(interpreter, { command: DEFAULT_PYTHON, source: 'default' });
    });

    it('falls back when the Python extension fails', async () => {
        const interpreter = await resolveInterpreter('', async () => {
            throw new Error('activation failed');
        });
        assert.equal(interpreter.source, 'default');
    });
});

describe('serverCommand', () => {
    it('runs the server module', () => {
        assert.deepEqual(serverCommand({ command: '/py', source: 'setting' }), { command: '/py', args: ['-m', 'server'] });
    });
});
