// Bad input corpus, part 2: the remote hosts file and the command line
// (options, operands, environment). Same checks as part 1
// (test/helpers/bad-input.ts): exact exit code — 2 for a wrong command line,
// 1 for an operation that failed —, a clear message, no stack trace, nothing
// changed on disk or on any engine.
import { after, before, describe, it } from 'node:test';
import { BadInputRunner, type BadInputCase } from '../helpers/bad-input.js';
import { loadTestEnv } from '../helpers/test-env.js';

const env = loadTestEnv();
const runner = new BadInputRunner(env);
before(() => runner.open());
after(() => runner.close());

const PROJECT = { '.devcontainer/devcontainer.json': JSON.stringify({ image: env.images.busybox }) };
const fixed = (...args: string[]) => () => args;
const spawn = (...extra: string[]) => (project: string) => ['devcontainer', 'spawn', project, ...extra];
const validEntry = { id: 'r1', host: env.r1.host, user: env.r1.user, addedAt: '2024-05-01T09:00:00.000Z' };

const HOSTS_FILE = /The remote hosts file \S+remote-hosts\.json cannot be used: /;
const BAD_OPTION = (option: string, value: string) => new RegExp(`option '${option}[^']*' argument '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is invalid`);
const DOCKER_HOST = /DOCKER_HOST=\S* is not valid: [\s\S]*hint: Use unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/;

const hostsFileCases: BadInputCase[] = [
  { name: 'hosts file: truncated JSON (remote list)', hostsFile: '{"version":1,"hosts":[{"id":"r1",', args: fixed('remote', 'list'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: new RegExp(`${HOSTS_FILE.source}it is not valid JSON[\\s\\S]*pks will not overwrite it`) },
  { name: 'hosts file: truncated JSON (remote add)', hostsFile: '{"version":1,"hosts":[', args: fixed('remote', 'add', 'r3', '--host', 'h3.example.test', '--no-test'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /it is not valid JSON/ },
  { name: 'hosts file: a host is a number (spawn --remote)', files: PROJECT, hostsFile: JSON.stringify({ version: 1, hosts: [{ ...validEntry, host: 7 }] }), args: spawn('--remote', 'r1'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: new RegExp(`${HOSTS_FILE.source}it does not have the expected shape: hosts\\.0\\.host`) },
  { name: 'hosts file: missing addedAt (devcontainer list --remote)', hostsFile: JSON.stringify({ version: 1, hosts: [{ id: 'r1', host: env.r1.host }] }), args: fixed('devcontainer', 'list', '--remote', 'r1'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /does not have the expected shape: hosts\.0\.addedAt/ },
  { name: 'hosts file: a newer format version (remote add)', hostsFile: JSON.stringify({ version: 2, hosts: [], future: true }), args: fixed('remote', 'add', 'r3', '--host', 'h3.example.test', '--no-test'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /written by a newer pks \(format version 2; this pks reads version 1\)[\s\S]*hint: Upgrade pks/ },
  { name: 'hosts file: a top-level array (remote remove)', hostsFile: '[]', args: fixed('remote', 'remove', 'r1', '--yes'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /\(top level\): Invalid input: expected object, received array/ },
  { name: 'hosts file: duplicate ids (remote test)', hostsFile: JSON.stringify({ version: 1, hosts: [validEntry, validEntry] }), args: fixed('remote', 'test', 'r1'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /duplicate id "r1"/ },
  { name: 'hosts file: bad id pattern (devcontainer list --all-remotes)', hostsFile: JSON.stringify({ version: 1, hosts: [{ ...validEntry, id: 'Bad Id' }] }), args: fixed('devcontainer', 'list', '--all-remotes'), code: 1, errorCode: 'E_HOSTS_FILE_INVALID', message: /hosts\.0\.id/ },
  { name: 'hosts file: unreadable (a directory in its place, remote list)', hostsFile: { directory: true }, args: fixed('remote', 'list'), code: 1, errorCode: 'E_HOSTS_FILE_UNREADABLE', message: /Cannot read \S+remote-hosts\.json: it is a folder[\s\S]*hint: Check the file's owner and permissions/ },
  { name: 'hosts file: unreadable (a directory in its place, remote add)', hostsFile: { directory: true }, args: fixed('remote', 'add', 'r3', '--host', 'h3.example.test', '--no-test'), code: 1, errorCode: 'E_HOSTS_FILE_UNREADABLE', message: /Cannot read \S+remote-hosts\.json: it is a folder/ },
  { name: 'hosts file: unreadable (a directory in its place, spawn --remote)', files: PROJECT, hostsFile: { directory: true }, args: spawn('--remote', 'r1'), code: 1, errorCode: 'E_HOSTS_FILE_UNREADABLE', message: /Cannot read \S+remote-hosts\.json: it is a folder/ },
  { name: 'PKS_HOME is a regular file', pksHomeIsFile: true, args: fixed('remote', 'add', 'r3', '--host', 'h3.example.test', '--no-test'), code: 1, errorCode: 'E_CONFIG_FILE_UNREADABLE', message: /Cannot read \S+\/pks-file\/(remote-hosts|config)\.json: ENOTDIR/ },
];

const argumentCases: BadInputCase[] = [
  // commands and options
  { name: 'unknown command', args: fixed('frobnicate'), code: 2, errorCode: 'E_USAGE', message: /unknown command 'frobnicate'/ },
  { name: 'misspelt subcommand', args: fixed('devcontainer', 'spwan'), code: 2, errorCode: 'E_USAGE', message: /unknown command 'spwan'[\s\S]*Did you mean spawn\?/ },
  { name: 'unknown option', files: PROJECT, args: spawn('--bogus'), code: 2, errorCode: 'E_USAGE', message: /unknown option '--bogus'/ },
  { name: 'too many operands', args: fixed('devcontainer', 'stop', 'a', 'b'), code: 2, errorCode: 'E_USAGE', message: /too many arguments for 'stop'/ },
  { name: 'missing required option', args: fixed('remote', 'add', 'r3'), code: 2, errorCode: 'E_USAGE', message: /required option '--host <host>' not specified/ },
  { name: 'missing required operand', args: fixed('remote', 'test'), code: 2, errorCode: 'E_USAGE', message: /missing required argument 'id'/ },
  // conflicting flags
  { name: '--rebuild with --auto-rebuild', files: PROJECT, args: spawn('--rebuild', '--auto-rebuild'), code: 2, errorCode: 'E_USAGE', message: /--auto-rebuild cannot be combined with --rebuild or --no-rebuild/ },
  { name: '--no-rebuild with --auto-rebuild', files: PROJECT, args: spawn('--no-rebuild', '--auto-rebuild'), code: 2, errorCode: 'E_USAGE', message: /--auto-rebuild cannot be combined/ },
  { name: '--force with --no-rebuild', files: PROJECT, args: spawn('--force', '--no-rebuild'), code: 2, errorCode: 'E_USAGE', message: /--force cannot be combined with --no-rebuild/ },
  // values
  { name: '--format yaml', args: fixed('devcontainer', 'list', '--format', 'yaml'), code: 2, errorCode: 'E_USAGE', message: /argument 'yaml' is invalid\. Allowed choices are table, json/ },
  { name: '--log-format yaml', args: fixed('--log-format', 'yaml', 'remote', 'list'), code: 2, errorCode: 'E_USAGE', message: /argument 'yaml' is invalid\. Allowed choices are text, json/ },
  { name: '--ide vim', args: fixed('devcontainer', 'connect', '--ide', 'vim'), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--ide', 'vim') },
  { name: 'malformed --remote id', files: PROJECT, args: spawn('--remote', 'BAD_ID'), code: 2, errorCode: 'E_USAGE', message: /argument 'BAD_ID' is invalid\. a remote id is 1-63 lowercase letters/ },
  { name: 'malformed id for remote add', args: fixed('remote', 'add', 'Bad', '--host', 'h'), code: 2, errorCode: 'E_USAGE', message: /value 'Bad' is invalid for argument 'id'/ },
  { name: 'unknown remote id for spawn', files: PROJECT, args: spawn('--remote', 'nope'), code: 2, errorCode: 'E_UNKNOWN_REMOTE', message: /Unknown remote host "nope"[\s\S]*Registered hosts: r1, r2/ },
  { name: 'unknown remote id for exec', args: fixed('devcontainer', 'exec', '--remote', 'nope', 'x', '--', 'true'), code: 2, errorCode: 'E_UNKNOWN_REMOTE', message: /Unknown remote host "nope"/ },
  { name: '--port 0', args: fixed('remote', 'add', 'r3', '--host', 'h', '--port', '0'), code: 2, errorCode: 'E_USAGE', message: /argument '0' is invalid\. a port is a whole number from 1 to 65535/ },
  { name: '--port 99999', args: fixed('remote', 'add', 'r3', '--host', 'h', '--port', '99999'), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--port', '99999') },
  { name: '--port abc', args: fixed('remote', 'add', 'r3', '--host', 'h', '--port', 'abc'), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--port', 'abc') },
  { name: 'empty --host', args: fixed('remote', 'add', 'r3', '--host', ''), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--host', '') },
  { name: '--host that reads as an ssh option', args: fixed('remote', 'add', 'r3', '--host', '-oProxyCommand=touch pwned'), code: 2, errorCode: 'E_USAGE', message: /option '--host <host>' argument '-oProxyCommand=touch pwned' is invalid/ },
  { name: '--user with a newline', args: fixed('remote', 'add', 'r3', '--host', 'h', '--user', 'dev\nProxyCommand x'), code: 2, errorCode: 'E_USAGE', message: /option '--user <user>' argument '[^']*' is invalid/ },
  { name: 'empty --key', args: fixed('remote', 'add', 'r3', '--host', 'h', '--key', ''), code: 2, errorCode: 'E_USAGE', message: /it must not be empty/ },
  { name: '--timeout 0 (remote test)', args: fixed('remote', 'test', 'r1', '--timeout', '0'), code: 2, errorCode: 'E_USAGE', message: /argument '0' is invalid\. expected a whole number greater than 0/ },
  { name: '--timeout -5 (remote add)', args: fixed('remote', 'add', 'r3', '--host', 'h', '--timeout', '-5'), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--timeout', '-5') },
  { name: '--timeout abc (stop)', args: fixed('devcontainer', 'stop', '--timeout', 'abc'), code: 2, errorCode: 'E_USAGE', message: /argument 'abc' is invalid\. expected a whole number \(0 or more\)/ },
  { name: '--tail -1 (logs)', args: fixed('devcontainer', 'logs', '--tail', '-1'), code: 2, errorCode: 'E_USAGE', message: BAD_OPTION('--tail', '-1') },
  { name: '--hooks with --follow (logs)', args: fixed('devcontainer', 'logs', '--hooks', '--follow'), code: 2, errorCode: 'E_USAGE', message: /--hooks cannot be combined with --follow, --tail, --since or --timestamps/ },
  { name: '--since garbage (logs)', args: fixed('devcontainer', 'logs', '--since', 'yesterday-ish'), code: 2, errorCode: 'E_BAD_SINCE', message: /--since: "yesterday-ish" is neither a duration nor a time/ },
  { name: '--since too far back (logs)', args: fixed('devcontainer', 'logs', '--since', '99999999999999999999d'), code: 2, errorCode: 'E_BAD_SINCE', message: /--since: "99999999999999999999d" is out of range/ },
  { name: '--since in Unix seconds past year 9999 (logs)', args: fixed('devcontainer', 'logs', '--since', '99999999999999999999'), code: 2, errorCode: 'E_BAD_SINCE', message: /--since: "99999999999999999999" is out of range/ },
  { name: 'relative --docker-socket (remote add)', args: fixed('remote', 'add', 'r3', '--host', 'h', '--docker-socket', 'run/docker.sock', '--no-test'), code: 2, errorCode: 'E_USAGE', message: /option '--docker-socket <path>' argument 'run\/docker\.sock' is invalid\. the socket on the host is an absolute path/ },
  { name: 'a 100,000-character --host', args: fixed('remote', 'add', 'r3', '--host', 'h'.repeat(100_000), '--no-test'), code: 2, errorCode: 'E_USAGE', message: /option '--host <host>' argument 'h{60}…' \(100000 characters\) is invalid\. [\s\S]*at most 255 characters/ },
  { name: 'a 100,000-character --user (remote add)', args: fixed('remote', 'add', 'r3', '--host', 'h', '--user', 'u'.repeat(100_000), '--no-test'), code: 2, errorCode: 'E_USAGE', message: /at most 255 characters/ },
  { name: 'empty --user (exec)', args: fixed('devcontainer', 'exec', '--user', '', 'somebox', '--', 'true'), code: 2, errorCode: 'E_USAGE', message: /option '-u, --user <user>' argument '' is invalid\. it must not be empty/ },
  { name: 'empty --workdir (exec)', args: fixed('devcontainer', 'exec', '--workdir', '', 'somebox', '--', 'true'), code: 2, errorCode: 'E_USAGE', message: /option '-w, --workdir <dir>' argument '' is invalid\. it must not be empty/ },
  { name: '--rebuild with --no-rebuild', files: PROJECT, args: spawn('--rebuild', '--no-rebuild'), code: 2, errorCode: 'E_USAGE', message: /option '--no-rebuild' cannot be used with option '--rebuild'/ },
  { name: '--no-rebuild with --rebuild', files: PROJECT, args: spawn('--no-rebuild', '--rebuild'), code: 2, errorCode: 'E_USAGE', message: /option '--rebuild' cannot be used with option '--no-rebuild'/ },
  { name: 'empty --name', files: PROJECT, args: spawn('--name', ''), code: 2, errorCode: 'E_USAGE', message: /option '--name <project>' argument '' is invalid\. it must not be empty/ },
  { name: '--volume-name the engine would refuse', files: PROJECT, args: spawn('--volume-name', 'bad vol!'), code: 2, errorCode: 'E_USAGE', message: /argument 'bad vol!' is invalid\. a volume name is/ },
  { name: 'spawn a path that does not exist', args: (p) => ['devcontainer', 'spawn', `${p}/nowhere`], code: 2, errorCode: 'E_PROJECT_NOT_FOUND', message: /\S+\/nowhere is not a folder[\s\S]*hint: Pass the project folder/ },
  { name: 'spawn a file', files: PROJECT, args: (p) => ['devcontainer', 'spawn', `${p}/.devcontainer/devcontainer.json`], code: 2, errorCode: 'E_PROJECT_NOT_FOUND', message: /devcontainer\.json is not a folder/ },
  // exec
  { name: 'exec without a command', args: fixed('devcontainer', 'exec'), code: 2, errorCode: 'E_NO_COMMAND', message: /No command to run[\s\S]*hint: Put the command after --/ },
  { name: 'exec with only --', args: fixed('devcontainer', 'exec', 'somebox', '--'), code: 2, errorCode: 'E_NO_COMMAND' },
  { name: 'exec --env without =', args: fixed('devcontainer', 'exec', '--env', 'NOEQ', '--', 'true'), code: 2, errorCode: 'E_USAGE', message: /argument 'NOEQ' is invalid\. expected KEY=VALUE/ },
  { name: 'exec -it without a terminal', args: fixed('devcontainer', 'exec', '-it', '--', 'sh'), code: 2, errorCode: 'E_NOT_A_TTY' },
  // DOCKER_HOST
  { name: 'DOCKER_HOST without a scheme', files: PROJECT, env: { DOCKER_HOST: 'bogus' }, args: spawn(), code: 2, errorCode: 'E_DOCKER_HOST', message: DOCKER_HOST },
  { name: 'DOCKER_HOST unix:// with a relative path', env: { DOCKER_HOST: 'unix://relative.sock' }, args: fixed('devcontainer', 'list'), code: 2, errorCode: 'E_DOCKER_HOST', message: /a unix socket needs an absolute path/ },
  { name: 'DOCKER_HOST tcp:// without a port', env: { DOCKER_HOST: 'tcp://127.0.0.1' }, args: fixed('devcontainer', 'list'), code: 2, errorCode: 'E_DOCKER_HOST', message: /the port is missing/ },
  { name: 'DOCKER_HOST http://', env: { DOCKER_HOST: 'http://127.0.0.1:2375' }, args: fixed('devcontainer', 'list'), code: 2, errorCode: 'E_DOCKER_HOST', message: /the scheme http:\/\/ is not supported/ },
  { name: 'DOCKER_HOST ssh://', files: PROJECT, env: { DOCKER_HOST: `ssh://${env.r1.user}@${env.r1.host}` }, args: spawn(), code: 2, errorCode: 'E_DOCKER_HOST', message: /pks does not reach engines over SSH through DOCKER_HOST[\s\S]*pks remote add <name> --host/ },
  { name: 'DOCKER_HOST tcp:// with DOCKER_TLS_VERIFY', env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1' }, args: fixed('devcontainer', 'list'), code: 2, errorCode: 'E_DOCKER_HOST', message: /pks does not speak TLS to engines/ },
  { name: 'DOCKER_HOST names a socket that does not exist', files: PROJECT, env: { DOCKER_HOST: 'unix:///nonexistent/pks-docker.sock' }, args: spawn(), code: 1, errorCode: 'E_ENGINE_UNREACHABLE', message: /Cannot reach the local engine \(unix:\/\/\/nonexistent\/pks-docker\.sock\): there is no socket/ },
  { name: 'DOCKER_HOST where nothing listens', env: { DOCKER_HOST: 'tcp://127.0.0.1:1' }, args: fixed('devcontainer', 'list'), code: 1, errorCode: 'E_ENGINE_UNREACHABLE', message: /Cannot reach the local engine \(tcp:\/\/127\.0\.0\.1:1\): connect ECONNREFUSED/ },
];

describe('bad input: the remote hosts file', { concurrency: 6 }, () => {
  for (const testCase of hostsFileCases) it(testCase.name, async () => void (await runner.run(testCase)));
});

describe('bad input: the command line', { concurrency: 6 }, () => {
  for (const testCase of argumentCases) it(testCase.name, async () => void (await runner.run(testCase)));
});
