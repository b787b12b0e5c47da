// Reading devcontainer.json: JSONC syntax, schema errors that name the
// property, unknown-property warnings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPksError } from '../../src/common/errors.js';
import { CHECKED_OBJECTS, devcontainerConfigSchema } from '../../src/devcontainer/config-schema.js';
import { MAX_NESTING, parseJsonc, positionAt } from '../../src/devcontainer/jsonc.js';
import { formatWarning, unknownPropertyWarnings, validateDocument } from '../../src/devcontainer/validate.js';

function syntaxError(text: string): string {
  try {
    parseJsonc(text, 'cfg.json');
  } catch (error) {
    assert.ok(isPksError(error));
    assert.equal(error.code, 'E_CONFIG_SYNTAX');
    return error.message;
  }
  assert.fail('expected a syntax error');
}

function validate(text: string) {
  const doc = { displayPath: 'cfg.json', text };
  return validateDocument(devcontainerConfigSchema, parseJsonc(text, 'cfg.json'), doc, 'dev container configuration');
}

function invalid(text: string): string {
  try {
    validate(text);
  } catch (error) {
    assert.ok(isPksError(error));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.equal(error.exitCode, 1);
    return error.message;
  }
  assert.fail('expected a validation error');
}

describe('JSONC parsing', () => {
  it('accepts line and block comments and trailing commas', () => {
    const value = parseJsonc('/* head */\n{\n  // c\n  "a": [1, 2,], /* x */\n  "b": {"c": true,},\n}\n', 'f');
    assert.deepEqual(value, { a: [1, 2], b: { c: true } });
  });

  it('ignores a UTF-8 byte order mark', () => {
    assert.deepEqual(parseJsonc('\ufeff{"a": 1}', 'f'), { a: 1 });
  });

  it('reports file, line, column and the offending line for a missing comma', () => {
    const message = syntaxError('{\n  "image": "x"\n  "name": "y"\n}\n');
    assert.match(message, /^cfg\.json:3:3: syntax error: a comma was expected\n/);
    assert.match(message, /3 \| {3}"name": "y"\n {6}\^$/);
  });

  it('reports an unterminated string and an unclosed object', () => {
    assert.match(syntaxError('{"a": "b}'), /cfg\.json:1:7: syntax error: a string is not closed/);
    assert.match(syntaxError('{"a": 1'), /cfg\.json:1:8: syntax error: a closing brace \} was expected/);
  });

  it('reports an empty file', () => {
    assert.match(syntaxError(''), /cfg\.json:1:1: syntax error: a value was expected/);
  });

  it('counts lines and columns from 1', () => {
    assert.deepEqual(positionAt('ab\ncd', 4), { line: 2, column: 2 });
  });
});

describe('schema validation', () => {
  it('returns the validated configuration in the order it was written', () => {
    const config = validate('{"name": "n", "image": "i", "containerEnv": {"A": "1"}}');
    assert.deepEqual(Object.keys(config), ['name', 'image', 'containerEnv']);
  });

  it('names the property, the position of its key and the expected type', () => {
    const message = invalid('{\n  "image": "x",\n  "containerEnv": {"A": 1}\n}');
    assert.match(message, /cfg\.json:3:20: "containerEnv\.A": expected string, received number/);
    assert.match(message, /3 \| {3}"containerEnv": \{"A": 1\}/);
  });

  it('explains the accepted forms of a lifecycle command', () => {
    const message = invalid('{"image": "x", "postCreateCommand": 42}');
    assert.match(message, /"postCreateCommand": expected a string, an array of strings, or an object/);
  });

  it('lists every problem at once, with array indexes', () => {
    const message = invalid('{"image": 1, "mounts": ["a", {"type": "tmpfs", "target": "/t"}], "forwardPorts": [70000]}');
    assert.match(message, /3 problems/);
    assert.match(message, /"image": expected string/);
    assert.match(message, /"mounts\[1\]": expected a mount string/);
    assert.match(message, /"forwardPorts\[0\]": Too big: expected number to be <=65535/);
  });

  it('checks enums and sizes', () => {
    assert.match(invalid('{"image": "x", "waitFor": "never"}'), /"waitFor": Invalid option/);
    assert.match(invalid('{"image": "x", "hostRequirements": {"memory": "4 GB"}}'), /"hostRequirements\.memory": expected a size/);
  });

  it('refuses a document that is not an object', () => {
    assert.match(invalid('[1, 2]'), /must be a JSON object/);
  });
});

describe('unknown properties', () => {
  const warnings = (text: string) => unknownPropertyWarnings(parseJsonc(text, 'cfg.json'), CHECKED_OBJECTS, { displayPath: 'cfg.json', text });

  it('warns with the position of the key and a suggestion for typos', () => {
    const [warning, ...rest] = warnings('{\n  "image": "x",\n  "remoteUsr": "dev"\n}');
    assert.equal(rest.length, 0);
    assert.ok(warning);
    assert.equal(warning.code, 'W_UNKNOWN_PROPERTY');
    assert.equal(formatWarning(warning), 'cfg.json:3:3: unknown property "remoteUsr" is ignored (did you mean "remoteUser"?)');
  });

  it('checks nested build and hostRequirements keys, not open maps', () => {
    const found = warnings('{"build": {"dockerfile": "D", "arg": {}}, "containerEnv": {"ANYTHING": "ok"}, "customizations": {"x": {}}}');
    assert.deepEqual(found.map((w) => w.property), ['build.arg']);
    assert.match(found[0]?.message ?? '', /did you mean "args"/);
  });

  it('accepts every property of the spec without a warning', () => {
    const all = Object.fromEntries(CHECKED_OBJECTS[0]?.keys.map((key) => [key, null]) ?? []);
    assert.deepEqual(warnings(JSON.stringify(all)), []);
  });
});

describe('parseJsonc: nesting limit', () => {
  const nested = (depth: number): string => `{"x": ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

  it('reads a value nested exactly MAX_NESTING deep', () => {
    assert.doesNotThrow(() => parseJsonc(nested(MAX_NESTING), 'cfg.json'));
  });

  it('refuses one level more, and 50,000 levels, as a config error naming the file, line and column', () => {
    for (const depth of [MAX_NESTING + 1, 50_000]) {
      assert.throws(() => parseJsonc(nested(depth), 'cfg.json'), (error: unknown) => {
        assert.ok(isPksError(error));
        assert.equal(error.code, 'E_CONFIG_TOO_DEEP');
        assert.equal(error.exitCode, 1);
        assert.match(error.message, new RegExp(`^cfg\\.json:1:${MAX_NESTING + 6}: nested deeper than ${MAX_NESTING} levels`));
        // The one-line excerpt is cut around the column, with the caret under it.
        const [, line = '', caret = ''] = error.message.split('\n');
        assert.ok(line.length < 140, line);
        assert.equal(line[caret.indexOf('^')], '[');
        return true;
      });
    }
  });

  it('counts only brackets of the JSON, not those in strings or comments', () => {
    const text = `{"s": "${'['.repeat(1000)}", /* ${'{'.repeat(1000)} */ "t": [[1]]}`;
    assert.deepEqual(parseJsonc(text, 'cfg.json'), { s: '['.repeat(1000), t: [[1]] });
  });
});
