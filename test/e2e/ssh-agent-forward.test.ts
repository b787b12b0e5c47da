// This machine's SSH agent inside the dev container, on the local engine and
// on a remote host, through the built binary: hooks, exec and a restarted
// container reach it at the same path, as root and as a non-root remoteUser;
// --no-ssh-agent (and PKS_NO_SSH_AGENT) leave it out; a warm connection
// keeps serving it after the command. Each run starts its own ssh-agent on
// its own socket, with a generated key, and ends it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { E2eFixture, remoteArgs } from '../helpers/e2e-fixture.js';
import { containerExec, type Where } from '../helpers/projects.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const fixture = new E2eFixture(['local', 'r1']);
const runId = randomBytes(4).toString('hex');
const keyComment = `pks-agent-forward-${runId}`;
let dir: string;
let agentSocket: string;
let agent: ChildProcess | undefined;
/** The host folders the spawned containers mount: removed at the end (only ours). */
const agentDirs: string[] = [];

before(async () => {
  await fixture.setUp();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pks-agent-fwd-'));
  agentSocket = path.join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  await waitFor(() => access(agentSocket).then(() => true, () => false), { timeoutMs: 5_000, intervalMs: 20, message: `ssh-agent did not create ${agentSocket}` });
  const key = path.join(dir, 'id_ed25519');
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', keyComment, '-f', key]);
  await exec('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket } });
});
after(async () => {
  agent?.kill('SIGKILL');
  await fixture.sandbox.run(['remote', 'disconnect', '--all']);
  await fixture.tearDown();
  await Promise.all(agentDirs.map((folder) => rm(folder, { recursive: true, force: true })));
  await rm(dir, { recursive: true, force: true });
});

const withAgent = (extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; timeoutMs: number } => ({
  env: { SSH_AUTH_SOCK: agentSocket, ...extra },
  timeoutMs: 180_000,
});

async function spawnWithAgent(where: Where, projectDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ id: string; name: string }> {
  const spawned = await fixture.sandbox.run(['devcontainer', 'spawn', projectDir, '--format', 'json', '--no-launch', ...remoteArgs(where), ...extra], withAgent(env));
  assert.equal(spawned.code, 0, spawned.stderr);
  const outcome = JSON.parse(spawned.stdout) as { containerId: string; containerName: string };
  return { id: outcome.containerId, name: outcome.containerName };
}

for (const where of ['local', 'r1'] as const satisfies readonly Where[]) {
  const uid = where === 'local' ? process.getuid?.() ?? 0 : Number((await exec('id', ['-u', 'pksdev'])).stdout.trim());
  describe(`SSH agent forwarding on ${where === 'local' ? 'the local engine' : `remote host ${where}`}`, () => {
    it('hooks, exec and the restarted container list the agent\'s key at /run/pks-agent/agent.sock, as a non-root remoteUser and as root', async () => {
      const config = { image: 'pks-test/debian:bookworm', remoteUser: 'nobody', postCreateCommand: 'ssh-add -l > /tmp/agent-in-hook 2>&1; id -un >> /tmp/agent-in-hook' };
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify(config) });
      const { id, name } = await spawnWithAgent(where, p.dir);
      agentDirs.push(`/tmp/pks-${uid}-agent/${name}`);
      const e = fixture.engine(where);
      const inHook = (await containerExec(e, id, ['cat', '/tmp/agent-in-hook'])).stdout;
      assert.match(inHook, new RegExp(`${keyComment} \\(ED25519\\)\\nnobody\\n`), inHook);

      const listed = await fixture.sandbox.run(['devcontainer', 'exec', ...remoteArgs(where), name, '--', 'sh', '-c', 'echo "$SSH_AUTH_SOCK"; id -un; ssh-add -l'], withAgent());
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^/run/pks-agent/agent\\.sock\\nnobody\\n256 SHA256:\\S+ ${keyComment} \\(ED25519\\)\\n$`));
      const asRoot = await fixture.sandbox.run(['devcontainer', 'exec', ...remoteArgs(where), '-u', 'root', name, '--', 'ssh-add', '-l'], withAgent());
      assert.equal(asRoot.code, 0, asRoot.stderr);
      assert.match(asRoot.stdout, new RegExp(keyComment));

      const restarted = await fixture.sandbox.run(['devcontainer', 'restart', ...remoteArgs(where), name], withAgent());
      assert.equal(restarted.code, 0, restarted.stderr);
      const again = await fixture.sandbox.run(['devcontainer', 'exec', ...remoteArgs(where), name, '--', 'ssh-add', '-l'], withAgent());
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(keyComment), 'the same path after a restart');

      // Served for the command only (no warm connection here): afterwards nothing answers.
      const after = await containerExec(e, id, ['ssh-add', '-l'], 'nobody');
      assert.equal(after.exitCode, 2, `no agent once pks is done: ${after.stdout}${after.stderr}`);
      // --no-ssh-agent: this command serves none.
      const refused = await fixture.sandbox.run(['devcontainer', 'exec', ...remoteArgs(where), '--no-ssh-agent', name, '--', 'ssh-add', '-l'], withAgent());
      assert.equal(refused.code, 2, refused.stdout);
      assert.match(refused.stderr, /Error connecting to agent/);
    });

    it('--no-ssh-agent and PKS_NO_SSH_AGENT=1 spawn a container without SSH_AUTH_SOCK', async () => {
      const p = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }) });
      const flagged = await spawnWithAgent(where, p.dir, ['--no-ssh-agent']);
      const shown = await fixture.sandbox.run(['devcontainer', 'exec', ...remoteArgs(where), flagged.name, '--', 'sh', '-c', 'echo "${SSH_AUTH_SOCK:-unset}"; ls /run/pks-agent 2>&1 || true'], withAgent());
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^unset\n.*No such file or directory\n$/);

      const q = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }) });
      const byEnv = await spawnWithAgent(where, q.dir, [], { PKS_NO_SSH_AGENT: '1' });
      const env = await containerExec(fixture.engine(where), byEnv.id, ['sh', '-c', 'echo "${SSH_AUTH_SOCK:-unset}"']);
      assert.equal(env.stdout, 'unset\n');
    });

    if (where !== 'local') {
      /** A new container spawned through a warm connection (`warm`: its settings). */
      const spawnWarm = async (warm: Record<string, string>): Promise<{ id: string; e: ReturnType<typeof fixture.engine> }> => {
        const p = await fixture.project(where, { '.devcontainer/devcontainer.json': JSON.stringify({ image: 'pks-test/debian:bookworm' }) });
        const { id, name } = await spawnWithAgent(where, p.dir, [], warm);
        agentDirs.push(`/tmp/pks-${uid}-agent/${name}`);
        // The spawn connected directly (no holder yet) and, as it ended,
        // started the holder, which takes over the spawn's agent forward.
        const e = fixture.engine(where);
        await waitFor(async () => (await containerExec(e, id, ['ssh-add', '-l'])).exitCode === 0, { timeoutMs: 30_000, message: 'the holder serves the agent' });
        return { id, e };
      };

      it('a warm connection keeps serving the agent after the command ended, until it is disconnected', async () => {
        const warm = { PKS_NO_PERSIST: '', PKS_PERSIST_IDLE_SECONDS: '60' };
        const { id, e } = await spawnWarm(warm);
        const listed = await containerExec(e, id, ['ssh-add', '-l']);
        assert.equal(listed.exitCode, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(keyComment), 'the holder forwards it, not the ended spawn');
        const disconnected = await fixture.sandbox.run(['remote', 'disconnect', where], withAgent(warm));
        assert.equal(disconnected.code, 0, disconnected.stderr);
        const gone = await containerExec(e, id, ['ssh-add', '-l']);
        assert.equal(gone.exitCode, 2, gone.stdout);
      });

      it('using the agent counts as using the warm connection: it does not idle out meanwhile', async () => {
        const warm = { PKS_NO_PERSIST: '', PKS_PERSIST_IDLE_SECONDS: '3' };
        const { id, e } = await spawnWarm(warm);
        // 6 s of agent use after the last engine request, twice the idle time.
        for (let second = 0; second < 6; second++) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const listed = await containerExec(e, id, ['ssh-add', '-l']);
          assert.equal(listed.exitCode, 0, `after ${second + 1} s: ${listed.stdout}${listed.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const idled = await containerExec(e, id, ['ssh-add', '-l']);
        assert.equal(idled.exitCode, 2, 'unused, it idles out as before');
      });
    }
  });
}
