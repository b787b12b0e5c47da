// updateRemoteUserUID's decisions (which user, which ids) and the Dockerfile
// it builds; the image itself is checked against real engines in
// test/e2e/update-uid.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idsToApply, rootlessEngine, updateUidDockerfile, userToUpdate } from '../../src/image/update-uid.js';
import { parseUserIds } from '../../src/ssh/index.js';

const linuxLocal = { engineKind: 'local', platform: 'linux' } as const;

describe('updateRemoteUserUID: which user', () => {
  const cases: Array<{ name: string; merged: Parameters<typeof userToUpdate>[0]; imageUser: string; context?: Parameters<typeof userToUpdate>[2]; want: string | undefined }> = [
    { name: 'remoteUser first', merged: { remoteUser: 'dev', containerUser: 'app' }, imageUser: 'img', want: 'dev' },
    { name: 'then containerUser', merged: { containerUser: 'app' }, imageUser: 'img', want: 'app' },
    { name: "then the image's USER, without its group", merged: {}, imageUser: 'img:staff', want: 'img' },
    { name: 'root is never changed', merged: { remoteUser: 'root' }, imageUser: '', want: undefined },
    { name: 'an image without USER runs as root', merged: {}, imageUser: '', want: undefined },
    { name: 'a numeric user has no entry to edit', merged: { remoteUser: '1000' }, imageUser: '', want: undefined },
    { name: 'off with false', merged: { remoteUser: 'dev', updateRemoteUserUID: false }, imageUser: '', want: undefined },
    { name: 'on by default, and with true', merged: { remoteUser: 'dev', updateRemoteUserUID: true }, imageUser: '', want: 'dev' },
    { name: 'not for a local engine on macOS', merged: { remoteUser: 'dev' }, imageUser: '', context: { engineKind: 'local', platform: 'darwin' }, want: undefined },
    { name: 'a remote host is Linux whatever runs pks', merged: { remoteUser: 'dev' }, imageUser: '', context: { engineKind: 'ssh', platform: 'darwin' }, want: 'dev' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(userToUpdate(c.merged, c.imageUser, c.context ?? linuxLocal), c.want));
  }

  it("root's ids, or none known, change nothing", () => {
    assert.equal(idsToApply({ uid: 0, gid: 0 }), undefined);
    assert.equal(idsToApply(undefined), undefined);
    assert.deepEqual(idsToApply({ uid: 1000, gid: 0 }), { uid: 1000, gid: 0 });
  });
});

describe('updateRemoteUserUID: the Dockerfile', () => {
  it('the script copied in, one RUN in exec form as root with the user and ids as its arguments, then the image USER again', () => {
    const user = 'we"ird$(touch /x)';
    const lines = updateUidDockerfile('sha256:abc', 'app', user, { uid: 1001, gid: 1002 }).trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.deepEqual([lines[0], lines[1], lines[2], lines[4]], ['FROM sha256:abc', 'COPY pks-update-uid.sh /tmp/pks-update-uid.sh', 'USER root', 'USER app']);
    const run = JSON.parse((lines[3] ?? '').replace(/^RUN /, '')) as string[];
    assert.deepEqual(run, ['/bin/sh', '-c', 'sh /tmp/pks-update-uid.sh "$@" && rm -f /tmp/pks-update-uid.sh', 'pks-update-uid', user, '1001', '1002']);
  });

  it('an image that runs as root needs no USER steps', () => {
    assert.deepEqual(updateUidDockerfile('sha256:abc', '', 'dev', { uid: 5, gid: 6 }).split('\n').map((line) => line.split(' ')[0]), ['FROM', 'COPY', 'RUN', '']);
  });
});

describe("the SSH user's ids", () => {
  it('two numbers on two lines, else nothing', () => {
    assert.deepEqual(parseUserIds('1001\n1002\n'), { uid: 1001, gid: 1002 });
    assert.equal(parseUserIds('1001\n'), undefined);
    assert.equal(parseUserIds('uid=1001\n1002\n'), undefined);
    assert.equal(parseUserIds('Welcome!\n1001\n1002\n'), undefined);
  });
});

describe('updateRemoteUserUID on a rootless engine', () => {
  it('is skipped where the containers\' root is the user on the host (rootless Docker, Podman as a user)', () => {
    const user = { uid: 1003, gid: 1003 };
    assert.equal(rootlessEngine({ SecurityOptions: ['name=seccomp,profile=default', 'name=rootless'] }, 'docker', user), true);
    assert.equal(rootlessEngine({ SecurityOptions: ['name=seccomp,profile=default'] }, 'podman', user), true);
    assert.equal(rootlessEngine({ SecurityOptions: ['name=seccomp,profile=default'] }, 'docker', user), false);
    assert.equal(rootlessEngine({ SecurityOptions: null }, 'podman', { uid: 0, gid: 0 }), false, "root's Podman maps nothing");
  });
});
