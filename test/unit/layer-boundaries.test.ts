// The lint rule that keeps src/ layered must actually catch violations.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { layerBoundaries } from '../../eslint/layer-boundaries.js';

const cwd = path.resolve('/project');

function lint(file: string, code: string): string[] {
  const linter = new Linter({ cwd });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser, sourceType: 'module' },
        plugins: { pks: { rules: { 'layer-boundaries': layerBoundaries } } },
        rules: { 'pks/layer-boundaries': 'error' },
      },
    ],
    path.join(cwd, file),
  );
  return messages.map((m) => m.message);
}

describe('layer-boundaries lint rule', () => {
  it('allows imports from the same and lower layers', () => {
    assert.deepEqual(lint('src/engine/a.ts', "import { x } from '../ssh/b.js'; import { y } from './c.js'; import '../common/errors.js';"), []);
    assert.deepEqual(lint('src/cli/a.ts', "import '../core/x.js'; import 'node:child_process';"), []);
  });

  it('reports an import from a higher layer', () => {
    const [message] = lint('src/ssh/a.ts', "import { z } from '../engine/client.js';");
    assert.match(message ?? '', /Layer 'ssh' may not import from layer 'engine'/);
  });

  it('reports dynamic imports and re-exports too', () => {
    assert.equal(lint('src/store/a.ts', "export * from '../core/x.js'; await import('../cli/y.js');").length, 2);
  });

  it('forbids child_process outside the CLI layer and the process adapter', () => {
    const [message] = lint('src/engine/a.ts', "import { spawn } from 'node:child_process';");
    assert.match(message ?? '', /may not start processes/);
    assert.match(lint('src/core/a.ts', "import { spawn } from 'node:child_process';")[0] ?? '', /may not start processes/);
    assert.deepEqual(lint('src/process/a.ts', "import { spawn } from 'node:child_process'; import '../core/x.js';"), []);
  });

  it('keeps the process adapter below the CLI: core may not import it', () => {
    assert.deepEqual(lint('src/cli/a.ts', "import '../process/git-files.js';"), []);
    assert.match(lint('src/core/a.ts', "import '../process/git-files.js';")[0] ?? '', /Layer 'core' may not import from layer 'process'/);
    assert.match(lint('src/process/a.ts', "import '../cli/context.js';")[0] ?? '', /Layer 'process' may not import from layer 'cli'/);
  });

  it('puts image between the spec and core: image reads configurations, the spec never prepares images', () => {
    assert.deepEqual(lint('src/image/a.ts', "import '../devcontainer/load-config.js'; import '../engine/index.js';"), []);
    assert.deepEqual(lint('src/core/spawn/a.ts', "import '../../image/index.js';"), []);
    assert.match(lint('src/devcontainer/a.ts', "import '../image/prepare-image.js';")[0] ?? '', /Layer 'devcontainer' may not import from layer 'image'/);
    assert.match(lint('src/image/a.ts', "import '../core/containers/labels.js';")[0] ?? '', /Layer 'image' may not import from layer 'core'/);
  });

  it('takes the layer from the first folder, so a subfolder keeps its layer\'s rule', () => {
    assert.deepEqual(lint('src/core/remote/a.ts', "import '../containers/labels.js'; import '../../engine/index.js';"), []);
    assert.match(lint('src/common/tar/a.ts', "import '../../engine/index.js';")[0] ?? '', /Layer 'common' may not import from layer 'engine'/);
  });

  it('reports files outside the known layers', () => {
    assert.match(lint('src/misc/a.ts', 'export const a = 1;')[0] ?? '', /not inside a known layer folder/);
  });
});
