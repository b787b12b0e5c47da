// updateRemoteUserUID against real engines: an image whose user `foo` is
// 1234:4321, spawned by a user who is not root — on r1 the SSH user (pksdev),
// locally a second Unix account running the built pks — ends with foo having
// that user's uid:gid (the uploaded files too); `false` keeps the image's ids;
// a gid that another group of the image has already changes the uid only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { execCapture } from '../../src/core/containers/exec.js';
import type { EngineClient } from '../../src/engine/index.js';
import { E2eFixture, type SpawnOutcome } from '../helpers/e2e-fixture.js';
import { createOtherUser, type OtherUser } from '../helpers/other-user.js';
import { removeProjectResources, sshUserIds } from '../helpers/projects.js';

const run = promisify(execFile);
const fixture = new E2eFixture(['local', 'r1']);
let alice: OtherUser;
let aliceProject: string | undefined;
let r1Ids: { uid: number; gid: number };

before(async () => {
  await fixture.setUp();
  alice = await createOtherUser(fixture.env, []);
  r1Ids = await sshUserIds(fixture.env, 'r1');
  assert.ok(r1Ids.uid > 0 && r1Ids.gid > 0, 'the SSH user of r1 is not root');
});
after(async () => {
  if (aliceProject !== undefined) await removeProjectResources(fixture.engine('local'), aliceProject);
  await alice?.cleanup();
  await fixture.tearDown();
});

/** busybox with foo (1234:4321, home /home/foo) and, when asked, a group that has `takenGid`. */
function files(config: Record<string, unknown>, takenGid?: number): Record<string, string> {
  const lines = [
    'FROM pks-test/busybox:latest',
    "RUN echo 'foo:x:1234:4321:foo:/home/foo:/bin/sh' >> /etc/passwd && echo 'foo:x:4321:' >> /etc/group && mkdir -p /home/foo && echo hi > /home/foo/.profile && chown -R 1234:4321 /home/foo",
  ];
  if (takenGid !== undefined) lines.push(`RUN echo 'taken:x:${takenGid}:' >> /etc/group`);
  return {
    '.devcontainer/Dockerfile': `${lines.join('\n')}\n`,
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' }, remoteUser: 'foo', ...config }),
    'hello.txt': 'hello\n',
  };
}

/** foo's ids, its home's owner and the uploaded file's owner, as root sees them in the container. */
async function idsInside(engine: EngineClient, outcome: SpawnOutcome): Promise<{ foo: string; home: string; upload: string; asRemoteUser: string }> {
  const look = async (cmd: string[], user: string): Promise<string> => {
    const result = await execCapture(engine, outcome.containerId, { cmd, user });
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout.trim();
  };
  return {
    foo: await look(['sh', '-c', 'echo "$(id -u foo):$(id -g foo)"'], 'root'),
    home: await look(['stat', '-c', '%u:%g', '/home/foo', '/home/foo/.profile'], 'root'),
    upload: await look(['stat', '-c', '%u:%g', `${outcome.remoteWorkspaceFolder}/hello.txt`], 'root'),
    asRemoteUser: await look(['sh', '-c', 'echo "$(id -u):$(id -g)"'], outcome.remoteUser),
  };
}

describe('updateRemoteUserUID on a remote host (the SSH user is not root)', () => {
  it("gives the remote user the SSH user's uid:gid, its home and the uploaded files too", async () => {
    const project = await fixture.project('r1', files({}));
    const spawned = await fixture.spawn('r1', project.dir);
    assert.equal(spawned.code, 0, spawned.stderr);
    const outcome = spawned.outcome as SpawnOutcome;
    const want = `${r1Ids.uid}:${r1Ids.gid}`;
    assert.deepEqual(await idsInside(fixture.engine('r1'), outcome), { foo: want, home: `${want}\n${want}`, upload: want, asRemoteUser: want });
  });

  it('keeps the image ids with "updateRemoteUserUID": false', async () => {
    const project = await fixture.project('r1', files({ updateRemoteUserUID: false }));
    const spawned = await fixture.spawn('r1', project.dir);
    assert.equal(spawned.code, 0, spawned.stderr);
    const outcome = spawned.outcome as SpawnOutcome;
    assert.deepEqual(await idsInside(fixture.engine('r1'), outcome), { foo: '1234:4321', home: '1234:4321\n1234:4321', upload: '1234:4321', asRemoteUser: '1234:4321' });
  });

  it('changes only the uid when another group of the image has the gid', async () => {
    const project = await fixture.project('r1', files({}, r1Ids.gid));
    const spawned = await fixture.spawn('r1', project.dir);
    assert.equal(spawned.code, 0, spawned.stderr);
    const outcome = spawned.outcome as SpawnOutcome;
    const want = `${r1Ids.uid}:4321`;
    assert.deepEqual(await idsInside(fixture.engine('r1'), outcome), { foo: want, home: `${want}\n${want}`, upload: want, asRemoteUser: want });
  });
});

describe('updateRemoteUserUID on the local engine', () => {
  it("gives the remote user the local user's uid:gid when pks runs as a user who is not root", async () => {
    const dir = path.join(alice.home, 'src', 'uidproj');
    for (const [file, content] of Object.entries(files({}))) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    await alice.own(path.join(alice.home, 'src'));
    aliceProject = dir;
    const result = await alice.run(['devcontainer', 'spawn', dir, '--format', 'json'], { timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as SpawnOutcome;
    const uid = Number((await run('id', ['-u', alice.name])).stdout.trim());
    const gid = Number((await run('id', ['-g', alice.name])).stdout.trim());
    const want = `${uid}:${gid}`;
    assert.deepEqual(await idsInside(fixture.engine('local'), outcome), { foo: want, home: `${want}\n${want}`, upload: want, asRemoteUser: want });
  });
});
