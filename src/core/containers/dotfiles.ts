// Dotfiles as the reference CLI installs them (`--dotfiles-repository`,
// `--dotfiles-install-command`, `--dotfiles-target-path`): once per
// container, after postCreateCommand and before postStartCommand, as the
// remote user with remoteEnv. The repository is cloned INSIDE the container
// (its git, its network), then the install command runs in the clone — or
// the first of the conventional scripts, or, with none, the dotfiles are
// linked into the home folder. Every value reaches the container as an
// argument of a fixed script, never spliced into a command line.

import { OperationError } from '../../common/errors.js';
import { execCapture } from './exec.js';
import { hookEnv, type HookTarget } from './hooks.js';

export interface DotfilesOptions {
  /** A git URL, a path, or `owner/repo` (a GitHub repository). */
  repository: string;
  /** Run in the clone instead of the conventional scripts. */
  installCommand?: string | undefined;
  /** Where to clone; `~` is the remote user's home. Default `~/dotfiles`. */
  targetPath: string;
}

export const DEFAULT_DOTFILES_TARGET = '~/dotfiles';

/** Written (as root) once the dotfiles are installed: a new container has none, so a rebuild installs them again. */
const MARKER = '/var/lib/pks/hooks/dotfiles';
/** Lines of a failing install's output shown in the error. */
const TAIL_LINES = 20;

/** `owner/repo` means GitHub, as in the reference CLI; URLs and paths are taken as they are. */
export function dotfilesRepositoryUrl(repository: string): string {
  if (repository.includes(':') || /^\.{0,2}\//.test(repository)) return repository;
  return `https://github.com/${repository}.git`;
}

const PROBE = ['[ -e "$1" ] && echo installed', 'command -v git >/dev/null 2>&1 || echo no-git', 'exit 0'].join('\n');

const INSTALL = [
  'target=$1; repo=$2; install=$3',
  'case "$target" in "~") target=$HOME ;; "~/"*) target="$HOME/${target#"~/"}" ;; esac',
  'if [ ! -e "$target" ]; then git clone -- "$repo" "$target" || exit; fi',
  'cd "$target" || exit',
  'if [ -n "$install" ]; then',
  '  if [ -f "./$install" ]; then run="./$install"; elif [ -f "$install" ]; then run=$install',
  '  else echo "pks: $install is not in $target" >&2; exit 126; fi',
  '  [ -x "$run" ] || chmod +x "$run" || exit',
  '  echo "pks: running $run in $target"',
  '  exec "$run"',
  'fi',
  'for f in install.sh install bootstrap.sh bootstrap script/bootstrap setup.sh setup script/setup; do',
  '  if [ -f "$f" ]; then',
  '    [ -x "$f" ] || chmod +x "$f" || exit',
  '    echo "pks: running ./$f in $target"',
  '    exec "./$f"',
  '  fi',
  'done',
  'linked=',
  'for f in .[!.]* ..?*; do',
  '  [ -e "$f" ] && [ "$f" != .git ] || continue',
  '  ln -sfn "$PWD/$f" "$HOME/$f" || exit',
  '  linked="$linked $f"',
  'done',
  'if [ -n "$linked" ]; then echo "pks: linked into $HOME:$linked"; else echo "pks: no install script and no dotfiles in $target"; fi',
].join('\n');

function tail(text: string): string[] {
  return text.trimEnd().split('\n').slice(-TAIL_LINES);
}

/**
 * Installs the dotfiles unless this container has them already; returns
 * whether it did. Without git in the container, or when the clone or the
 * install fails, an E_DOTFILES_FAILED error (the container is kept; the next
 * spawn tries again).
 */
export async function installDotfiles(target: HookTarget, options: DotfilesOptions, say: (message: string) => void): Promise<boolean> {
  const { engine, containerId } = target;
  const user = target.remoteUser;
  const env = hookEnv(target);
  const probe = await execCapture(engine, containerId, { cmd: ['/bin/sh', '-c', PROBE, 'pks-dotfiles', MARKER], user, env });
  if (probe.stdout.includes('installed')) return false;
  const repository = dotfilesRepositoryUrl(options.repository);
  if (probe.stdout.includes('no-git')) {
    throw new OperationError('E_DOTFILES_FAILED', `Cannot install the dotfiles: git is not installed in the container ${target.containerName} (pks clones ${repository} inside it).`, {
      hint: 'Add git to the image (its Dockerfile or a Feature), or spawn without --dotfiles-repository.',
    });
  }
  say(`Installing dotfiles from ${repository} into ${options.targetPath}`);
  // The clone's and the install's output, line by line, as a hook's is shown.
  let partial = '';
  const run = await execCapture(engine, containerId, {
    cmd: ['/bin/sh', '-c', INSTALL, 'pks-dotfiles', options.targetPath, repository, options.installCommand ?? ''],
    user,
    env,
    workdir: '/',
    onOutput: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) say(`  ${line.replace(/^pks: /, '')}`);
    },
  });
  if (partial !== '') say(`  ${partial.replace(/^pks: /, '')}`);
  if (run.exitCode !== 0) {
    throw new OperationError('E_DOTFILES_FAILED', `Installing the dotfiles from ${repository} failed with exit code ${run.exitCode}.`, {
      hint: `The container ${target.containerName} is kept; fix the repository or the command and spawn again (it tries again), or spawn without --dotfiles-repository.`,
      details: tail(run.stdout + run.stderr),
    });
  }
  await execCapture(engine, containerId, { cmd: ['/bin/sh', '-c', 'mkdir -p "${1%/*}" && : > "$1"', 'pks-marker', MARKER], user: 'root' });
  return true;
}
