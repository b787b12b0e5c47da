// How the `[container]` argument is resolved, and the small pure pieces of
// list, logs and exec: no engine needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { age, statusCell } from '../../src/cli/commands/devcontainer/list-run.js';
import { splitExecOperands } from '../../src/cli/commands/devcontainer/exec-run.js';
import { matchContainers, matchFolder } from '../../src/core/containers/container-match.js';
import { summarize, type DevcontainerSummary } from '../../src/core/containers/discovery.js';
import { parseSince } from '../../src/core/containers/logs.js';

function container(project: string, id: string, name = `pks-${project}`, projectPath: string | null = `/src/${project}`) {
  return { project, containerId: id.padEnd(64, '0'), name, projectPath };
}

const api = container('api', 'abc123');
const apiGateway = container('api-gateway', 'abd456');
const web = container('web', 'fed789', 'web-dev');
const all = [api, apiGateway, web];

describe('matchContainers', () => {
  it('prefers an exact project name over a longer project it prefixes', () => {
    assert.deepEqual(matchContainers(all, 'api'), { matches: [api], rule: 'project' });
  });

  it('matches a unique project-name prefix', () => {
    assert.deepEqual(matchContainers(all, 'api-g'), { matches: [apiGateway], rule: 'prefix' });
    assert.deepEqual(matchContainers(all, 'we'), { matches: [web], rule: 'prefix' });
  });

  it('matches the container name exactly, with or without the engine\'s slash', () => {
    assert.deepEqual(matchContainers(all, 'web-dev').matches, [web]);
    assert.deepEqual(matchContainers(all, '/web-dev').matches, [web]);
    assert.equal(matchContainers(all, 'web-de').matches.length, 0, 'container names match whole, not by prefix');
  });

  it('matches an ID prefix, case-insensitively, and the full ID', () => {
    assert.deepEqual(matchContainers(all, 'fed7'), { matches: [web], rule: 'id' });
    assert.deepEqual(matchContainers(all, 'FED7').matches, [web]);
    assert.deepEqual(matchContainers(all, web.containerId), { matches: [web], rule: 'id' });
  });

  it('reports every candidate when a prefix is ambiguous', () => {
    assert.deepEqual(matchContainers(all, 'ab').matches, [api, apiGateway]);
    assert.deepEqual(matchContainers(all, 'ap').matches, [api, apiGateway]);
  });

  it('unions project-name and ID prefixes, without duplicates', () => {
    const odd = container('fe-tools', 'aaa111');
    const result = matchContainers([...all, odd], 'fe');
    assert.deepEqual(result.matches.map((c) => c.project).sort(), ['fe-tools', 'web']);
    assert.equal(result.rule, 'prefix');
  });

  it('several containers of one project are ambiguous, not the first one', () => {
    const twin = container('api', 'bbb222', 'pks-api-2');
    assert.deepEqual(matchContainers([api, twin], 'api').matches, [api, twin]);
  });

  it('matches nothing for unknown or blank names', () => {
    assert.deepEqual(matchContainers(all, 'nope'), { matches: [], rule: undefined });
    assert.deepEqual(matchContainers(all, '  '), { matches: [], rule: undefined });
  });
});

describe('matchFolder', () => {
  it('finds the project of the current folder or of a folder above it', () => {
    assert.deepEqual(matchFolder(all, '/src/web').matches, [web]);
    assert.deepEqual(matchFolder(all, '/src/web/app/lib').matches, [web]);
    assert.deepEqual(matchFolder(all, '/src/web/').matches, [web]);
  });

  it('takes the nearest project when projects nest, and no sibling with a common prefix', () => {
    const outer = container('mono', 'ccc333', 'pks-mono', '/src/mono');
    const inner = container('svc', 'ddd444', 'pks-svc', '/src/mono/svc');
    assert.deepEqual(matchFolder([outer, inner], '/src/mono/svc/x').matches, [inner]);
    assert.deepEqual(matchFolder([outer, inner], '/src/mono/other').matches, [outer]);
    assert.deepEqual(matchFolder([outer, inner], '/src/monolith').matches, []);
  });

  it('ignores containers without a project folder', () => {
    assert.deepEqual(matchFolder([container('x', 'eee555', 'x', null)], '/').matches, []);
  });
});

describe('summarize', () => {
  it('turns an engine summary into the list shape, foreign ones named after their folder', () => {
    const base = { Id: 'f'.repeat(64), Names: ['/vsc-thing-123'], Image: 'img', State: 'exited', Status: 'Exited (137) 2 hours ago', Created: 1_700_000_000 };
    const foreign = summarize({ ...base, Labels: { 'devcontainer.local_folder': '/home/me/thing' } }, 'r1');
    assert.equal(foreign.project, 'thing');
    assert.equal(foreign.name, 'vsc-thing-123');
    assert.equal(foreign.foreign, true);
    assert.equal(foreign.volume, null);
    assert.equal(foreign.createdAt, '2023-11-14T22:13:20.000Z');
    const managed = summarize({ ...base, Labels: { 'pks.managed': 'true', 'pks.project.name': 'api', 'pks.volume.name': 'v' } }, 'local');
    assert.equal(managed.project, 'api');
    assert.equal(managed.foreign, false);
    assert.equal(managed.volume, 'v');
    assert.equal(statusCell(managed), 'exited (137)');
  });
});

describe('list cells', () => {
  it('shows age without "ago"', () => {
    const now = new Date('2024-01-01T12:00:00Z');
    assert.equal(age('2024-01-01T09:00:00Z', now), '3 hours');
    assert.equal(age('2024-01-01T11:59:50Z', now), 'less than a minute');
  });

  it('shows the state alone when there is no exit code', () => {
    assert.equal(statusCell({ status: 'running', statusText: 'Up 3 hours' } as DevcontainerSummary), 'running');
  });
});

describe('parseSince', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  const nowSeconds = now.getTime() / 1000;

  it('reads durations back from now', () => {
    assert.equal(parseSince('10m', now), nowSeconds - 600);
    assert.equal(parseSince('1h30m', now), nowSeconds - 5400);
    assert.equal(parseSince('2d', now), nowSeconds - 172_800);
    assert.equal(parseSince('1.5s', now), nowSeconds - 1.5);
  });

  it('reads RFC 3339 times, dates and Unix seconds', () => {
    assert.equal(parseSince('2024-05-01T10:00:00Z', now), nowSeconds - 7200);
    assert.equal(parseSince('2024-05-01T12:00:00+02:00', now), nowSeconds - 7200);
    assert.equal(parseSince('1700000000', now), 1_700_000_000);
  });

  it('refuses anything else as a usage error', () => {
    assert.throws(() => parseSince('yesterday', now), { code: 'E_BAD_SINCE', exitCode: 2 });
    assert.throws(() => parseSince('10 minutes', now), { code: 'E_BAD_SINCE' });
  });

  it('refuses times the engine cannot take: before 1970, after the year 9999', () => {
    assert.throws(() => parseSince('99999999999999999999d', now), { code: 'E_BAD_SINCE', exitCode: 2, message: /out of range/ });
    assert.throws(() => parseSince('99999999999999999999', now), { code: 'E_BAD_SINCE', message: /out of range/ });
    assert.throws(() => parseSince('1e400', now), { code: 'E_BAD_SINCE' });
    assert.throws(() => parseSince('0001-01-01', now), { code: 'E_BAD_SINCE', message: /out of range/ });
    assert.equal(parseSince('253402300799', now), 253_402_300_799);
    assert.equal(parseSince('0', now), 0);
  });
});

describe('splitExecOperands', () => {
  it('keeps the container when it comes before --', () => {
    assert.deepEqual(splitExecOperands('box', ['sh', '-c', 'x'], ['devcontainer', 'exec', 'box', '--', 'sh', '-c', 'x']), {
      container: 'box',
      command: ['sh', '-c', 'x'],
    });
  });

  it('treats everything after -- as the command when no container was named', () => {
    assert.deepEqual(splitExecOperands('sh', ['-c', 'x'], ['dc', 'exec', '-i', '--', 'sh', '-c', 'x']), { container: undefined, command: ['sh', '-c', 'x'] });
    assert.deepEqual(splitExecOperands('ls', [], ['dc', 'exec', '--', 'ls']), { container: undefined, command: ['ls'] });
  });

  it('without -- the first operand is the container', () => {
    assert.deepEqual(splitExecOperands('box', ['ls'], ['dc', 'exec', 'box', 'ls']), { container: 'box', command: ['ls'] });
    assert.deepEqual(splitExecOperands('box', [], undefined), { container: 'box', command: [] });
  });
});
