import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configurationAnswer, type ConfigReader, describeModel, resolvePath, SERVER_KEYS, serverSettings } from '../../common/settings';

function reader(values: Record<string, unknown>): ConfigReader {
    return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('serverSettings', () => {
    it('maps the server keys, camelCase, and leaves out client-only keys', () => {
        const settings = serverSettings(
            reader({
                python: '/usr/bin/python3',
                trace: { server: 'verbose' },
                backend: 'fake',
                modelPath: '/tmp/script.json',
                maxSamples: 3,
                maxSeconds: 12.5,
                offerUnverified: true,
                idleUnloadSeconds: 0,
            }),
            '/ws',
            '/home/u',
        );
        assert.deepEqual(settings, {
            backend: 'fake',
            modelPath: '/tmp/script.json',
            maxSamples: 3,
            maxSeconds: 12.5,
            offerUnverified: true,
            idleUnloadSeconds: 0,
        });
    });

    it('drops empty strings so the server keeps its defaults', () => {
        const settings = serverSettings(reader({ backend: 'llama_cpp', modelPath: '', storePath: '  ' }), '/ws', '/h');
        assert.deepEqual(settings, { backend: 'llama_cpp' });
    });

    it('resolves paths against the workspace and home', () => {
        const settings = serverSettings(
            reader({ modelPath: 'models/m.gguf', storePath: '~/store', escalationTiers: ['${workspaceFolder}/big.gguf'] }),
            '/ws',
            '/home/u',
        );
        assert.equal(settings.modelPath, '/ws/models/m.gguf');
        assert.equal(settings.storePath, '/home/u/store');
        assert.deepEqual(settings.escalationTiers, ['/ws/big.gguf']);
    });

    it('keeps a served model as an escalation tier and resolves a backend-prefixed file', () => {
        const tier = (path: string): unknown => serverSettings(reader({ escalationTiers: [path] }), '/ws', '/home/u').escalationTiers?.[0];
        assert.equal(tier('openai:qwen2.5-coder-32b'), 'openai:qwen2.5-coder-32b');
        assert.equal(tier('transformers:Qwen/Qwen2.5-Coder-7B'), 'transformers:Qwen/Qwen2.5-Coder-7B');
        assert.equal(tier('llama_cpp:models/big.gguf'), 'llama_cpp:/ws/models/big.gguf');
        assert.equal(tier('C:/models/big.gguf'), 'C:/models/big.gguf');
        assert.equal(tier('big.gguf'), '/ws/big.gguf');
    });

    it('sends a ladder in order, one string as a ladder of one, and no empty ladder', () => {
        const ladder = serverSettings(reader({ escalationTiers: ['mid.gguf', 'openai:big'] }), '/ws', '/h').escalationTiers;
        assert.deepEqual(ladder, ['/ws/mid.gguf', 'openai:big']);
        assert.deepEqual(serverSettings(reader({ escalationTiers: 'one.gguf' }), '/ws', '/h').escalationTiers, ['/ws/one.gguf']);
        assert.equal(serverSettings(reader({ escalationTiers: [] }), '/ws', '/h').escalationTiers, undefined);
    });

    it('knows every key the server accepts', () => {
        assert.deepEqual(
            [...SERVER_KEYS].sort(),
            [
                'apiKeyEnv',
                'backend',
                'baseUrl',
                'cpuSafe',
                'device',
                'escalate',
                'escalationTiers',
                'gpuLayers',
                'idleUnloadSeconds',
                'maxSamples',
                'maxSeconds',
                'maxTokens',
                'memoryMb',
                'modelHost',
                'modelName',
                'modelPath',
                'offerUnverified',
                'projectPython',
                'requestTimeout',
                'showFirstPass',
                'storePath',
                'unsafeSandbox',
                'wallSeconds',
            ],
        );
    });
});

describe('resolvePath', () => {
    it('keeps absolute paths', () => {
        assert.equal(resolvePath('/a/b', '/ws', '/h'), '/a/b');
        assert.equal(resolvePath('C:\\m.gguf', '/ws', '/h'), 'C:\\m.gguf');
    });
    it('leaves a relative path alone without a workspace', () => {
        assert.equal(resolvePath('m.gguf', undefined, '/h'), 'm.gguf');
    });
    it('expands ${userHome}', () => {
        assert.equal(resolvePath('${userHome}/m.gguf', '/ws', '/h'), '/h/m.gguf');
    });
});

describe('describeModel', () => {
    it('names the default model', () => {
        assert.equal(describeModel({}), 'the embedded default model');
    });
    it('names the fake script', () => {
        assert.equal(describeModel({ backend: 'fake', modelPath: '/s.json' }), 'fake backend (script /s.json)');
    });
    it('names an OpenAI-compatible server', () => {
        assert.equal(
            describeModel({ backend: 'openai', modelName: 'qwen', baseUrl: 'http://h:1/v1' }),
            'openai: qwen at http://h:1/v1',
        );
    });
});

describe('workspace/configuration', () => {
    it('answers the ncpu section with the mapped settings and leaves the other items as the editor answered', () => {
        const mapped = { backend: 'fake', modelPath: '/ws/script.json' };
        const answer = configurationAnswer(
            [{ section: 'ncpu' }, { section: 'python' }, {}],
            [{ backend: 'fake', modelPath: 'script.json', python: '/usr/bin/python3' }, { analysis: 1 }, null],
            'ncpu',
            () => mapped,
        );
        assert.deepEqual(answer, [mapped, { analysis: 1 }, null]);
    });
});

