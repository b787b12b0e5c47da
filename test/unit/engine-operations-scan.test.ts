// Only the engine layer knows the engine's URL paths: core, image and devcontainer
// call EngineClient's typed operations, never a hand-written route.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enginePathLiteralsIn, parseSource, rawEngineCallsIn, sourceFiles } from '../helpers/source-scan.js';

const CHECKED = ['src/core', 'src/image', 'src/devcontainer'];

describe('engine URL paths stay in the engine layer', () => {
  it('no file under src/core, src/image or src/devcontainer writes `path: "/…"`', async () => {
    const files = await sourceFiles(CHECKED);
    assert.ok(files.length > 20, 'the scan sees the source files');
    const found = files.flatMap(enginePathLiteralsIn).map((hit) => `${hit.file}:${hit.line}: ${hit.text}`);
    assert.deepEqual(found, []);
  });

  it('nor calls the raw engine requests the typed operations are made of', async () => {
    const files = await sourceFiles(CHECKED);
    assert.deepEqual(files.flatMap(rawEngineCallsIn).map((hit) => `${hit.file}:${hit.line}: ${hit.text}`), []);
    const code = ['await engine.requestEmpty(request);', 'await target.engine.hijack(request);', 'await engine.startContainer(id);', 'await http.request(url);'].join('\n');
    assert.deepEqual(rawEngineCallsIn(parseSource('src/core/example.ts', code)).map((hit) => hit.line), [1, 2]);
  });

  it('the scan catches quoted and template paths, and nothing else', () => {
    const code = [
      "engine.requestEmpty({ method: 'POST', path: `/containers/${id}/start` });",
      "engine.request({ path: '/volumes/create' }, schema);",
      "const file = { path: 'relative/file' };",
      'const other = { route: `/containers/x` };',
    ].join('\n');
    assert.deepEqual(
      enginePathLiteralsIn(parseSource('src/core/example.ts', code)).map((hit) => hit.line),
      [1, 2],
    );
  });
});
