// `pks devcontainer list`: the one command people run without thinking, so it
// loads only the engine client and the discovery code (see bench/list.ts).

import { OperationError, UsageError, errorMessage, isPksError } from '../../../common/errors.js';
import type { DevcontainerSummary } from '../../../core/containers/discovery.js';
import { listAllHosts, listOneHost, type HostListing } from '../../../core/containers/discovery-hosts.js';
import { LOCAL_HOST_ID } from '../../../core/containers/labels.js';
import { isOwnedBy, localUserName } from '../../../core/containers/owner.js';
import { writeCompletionCache } from '../../../store/completion-cache.js';
import { activeForwards, forwardsTo, type ForwardEntry } from '../../../store/forward-registry.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { present, type View } from '../../present.js';
import { relativeTime } from '../../relative-time.js';
import { retryPolicy } from '../../retry-notices.js';
import { sshPrompts } from '../../ssh-prompts.js';
import { renderTable, type Column } from '../../table.js';

export interface ListFlags {
  remote?: string | undefined;
  allRemotes?: boolean | undefined;
  all?: boolean | undefined;
  includeForeign?: boolean | undefined;
  /** Other local users' containers too (by default only the user's own and those of unknown owner). */
  allUsers?: boolean | undefined;
  /** IDs only (12 characters, as the table and docker ps -q show them), one per line; no notes. */
  quiet?: boolean | undefined;
  format: OutputFormat;
}

/** "3 hours", "2 days"; the table's AGE column. */
export function age(iso: string, now: Date = new Date()): string {
  const text = relativeTime(iso, now);
  return text === 'just now' ? 'less than a minute' : text.replace(/ ago$/, '');
}

/** `running`, `exited (137)`: the state, with the exit code where the engine gives one. */
export function statusCell(container: DevcontainerSummary): string {
  const code = /^Exited \((-?\d+)\)/.exec(container.statusText)?.[1];
  return code === undefined ? container.status : `${container.status} (${code})`;
}

/** The 12 characters docker shows, and what every pks command accepts as an ID prefix. */
function shortId(id: string): string {
  return id.slice(0, 12);
}

const COLUMNS: readonly Column<DevcontainerSummary>[] = [
  { header: 'PROJECT', value: (c) => (c.foreign ? `${c.project} (foreign)` : c.compose === null ? c.project : `${c.project} (compose, ${c.compose.services} service${c.compose.services === 1 ? '' : 's'})`) },
  { header: 'CONTAINER', value: (c) => shortId(c.containerId) },
  { header: 'STATUS', value: statusCell },
  { header: 'HOST', value: (c) => c.host },
  { header: 'AGE', value: (c) => age(c.createdAt) },
  { header: 'IMAGE', value: (c) => c.image },
];

/** With --all-users: who spawned each one ("-" when unknown), after HOST. */
const OWNER_COLUMNS: readonly Column<DevcontainerSummary>[] = [
  ...COLUMNS.slice(0, 4),
  { header: 'OWNER', value: (c) => c.spawnedBy ?? '-' },
  ...COLUMNS.slice(4),
];

export interface ListResult {
  /** What is shown: the user's own (and those of unknown owner) unless --all-users. */
  containers: DevcontainerSummary[];
  /** Other users' containers left out of `containers`. */
  hidden: number;
  user: string;
  listings: HostListing[];
  failed: Array<Extract<HostListing, { ok: false }>>;
  /** The forwards running on this machine (`forward`, `shell`, `connect`), read for JSON output. */
  forwards: ForwardEntry[];
}


/** The dev containers on one engine or every one; an engine that could not be listed is in `failed`. */
export async function listDevcontainers(ctx: Context, flags: ListFlags): Promise<ListResult> {
  if (flags.allRemotes === true && flags.remote !== undefined) {
    throw new UsageError('--remote and --all-remotes cannot be combined.', {
      hint: 'Use --remote <id> for one host, --all-remotes for the local engine and every registered host.',
    });
  }
  const listOptions = { env: ctx.env, all: flags.all === true, includeForeign: flags.includeForeign === true, retry: retryPolicy(ctx) };
  const listings: HostListing[] =
    flags.allRemotes === true
      ? await listAllHosts(listOptions)
      : [await listOneHost({ ...listOptions, remote: flags.remote, prompts: sshPrompts(ctx) })];

  const listed = listings.flatMap((listing) => (listing.ok ? listing.containers : []));
  const user = localUserName(ctx.env);
  const containers = flags.allUsers === true ? listed : listed.filter((c) => isOwnedBy(c, user));
  const failed = listings.filter((listing): listing is Extract<HostListing, { ok: false }> => !listing.ok);
  const forwards = flags.format === 'json' ? await activeForwards(ctx.env) : [];
  return { containers, hidden: listed.length - containers.length, user, listings, failed, forwards };
}

/** The JSON document is the array of containers (`[]` when empty); the table for people, notes on stderr. */
export function listView(flags: ListFlags): View<ListResult> {
  return {
    json: (result) => result.containers.map((c) => ({ ...c, forwards: forwardsTo(result.forwards, c.host, c.containerId) })),
    text(result, reporter) {
      const { containers, failed, listings, hidden, user } = result;
      if (flags.quiet === true) {
        if (containers.length > 0) reporter.data(containers.map((c) => shortId(c.containerId)).join('\n'));
        return;
      }
      if (containers.length > 0) reporter.data(renderTable(flags.allUsers === true ? OWNER_COLUMNS : COLUMNS, containers));
      else if (failed.length < listings.length) reporter.info(emptyMessage(flags, listings));
      if (hidden > 0) reporter.info(`${hidden} dev container${hidden === 1 ? '' : 's'} of other users not shown (you are ${user}; --all-users shows them).`);
    },
  };
}

/** Each engine that could not be listed, as an error; then the exit status says the list is partial. */
function reportUnlisted(ctx: Context, result: ListResult): void {
  const { failed, listings } = result;
  for (const listing of failed) {
    const error = listing.error;
    ctx.reporter.log({
      level: 'error',
      message: `${listing.description}: ${errorMessage(error)}`,
      code: isPksError(error) ? error.code : 'E_INTERNAL',
      ...(isPksError(error) && error.hint !== undefined ? { hint: error.hint } : {}),
    });
  }
  if (failed.length > 0) {
    const names = failed.map((listing) => listing.host).join(', ');
    const remote = failed.find((listing) => listing.host !== LOCAL_HOST_ID);
    throw new OperationError(
      'E_LIST_PARTIAL',
      `${failed.length} of ${listings.length} engines could not be listed (${names}); the list above is partial.`,
      remote === undefined ? {} : { hint: `Check the host with: pks remote test ${remote.host}` },
    );
  }
}

export async function runList(ctx: Context, flags: ListFlags): Promise<void> {
  const result = await listDevcontainers(ctx, flags);
  present(ctx.reporter, flags.format, result, listView(flags));
  await cacheForCompletion(ctx, result.listings);
  reportUnlisted(ctx, result);
}

/** What shell completion offers for each engine listed, as it must not connect to a host itself. */
async function cacheForCompletion(ctx: Context, listings: readonly HostListing[]): Promise<void> {
  await Promise.all(
    listings.map(async (listing) => {
      if (!listing.ok) return;
      try {
        await writeCompletionCache(ctx.env, listing.host, listing.containers.flatMap((c) => [c.name, c.project]));
      } catch (error) {
        ctx.reporter.debug(`completion cache for ${listing.host} not written: ${errorMessage(error)}`);
      }
    }),
  );
}

function emptyMessage(flags: ListFlags, listings: readonly HostListing[]): string {
  // Only the engines that answered: the others are reported as errors below.
  const answered = listings.filter((listing) => listing.ok);
  const where = answered.length === 1 ? (answered[0]?.description ?? 'the engine') : `${answered.length} engines`;
  const what = flags.all === true ? 'No dev containers' : 'No running dev containers';
  const more = flags.all === true ? '' : ' (--all includes stopped ones)';
  return `${what} on ${where}${more}.`;
}
