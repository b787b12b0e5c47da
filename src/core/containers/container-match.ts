// How a command's `[container]` argument picks dev containers out of a list.
// Pure: no engine, no file system, so every rule is unit-tested.
//
// Order, first rule that matches anything wins:
//   1. the project name, exactly (several containers may share one: ambiguous);
//   2. the container name or full ID, exactly;
//   3. a prefix of the project name or of the container ID (unique, else ambiguous).
// Without an argument, the project whose folder is the current folder (or
// contains it) is meant. Within one rule, the `preferred` containers (the
// user's own) win over the others: another user's `hello` does not make the
// user's `hello` ambiguous, but it is still found when it is the only one.

import path from 'node:path';

export interface MatchableContainer {
  project: string;
  containerId: string;
  name: string;
  projectPath: string | null;
}

export type MatchRule = 'project' | 'name' | 'id' | 'prefix' | 'folder';

export interface MatchResult<T> {
  matches: T[];
  /** The rule that produced the matches; undefined when nothing matched. */
  rule: MatchRule | undefined;
}

const HEX = /^[0-9a-f]+$/;

export type Preference<T> = (container: T) => boolean;

/** The preferred ones among `matches` if there are any, else all of them. */
function narrow<T>(matches: T[], preferred: Preference<T> | undefined): T[] {
  if (preferred === undefined) return matches;
  const kept = matches.filter(preferred);
  return kept.length > 0 ? kept : matches;
}

export function matchContainers<T extends MatchableContainer>(containers: readonly T[], query: string, preferred?: Preference<T>): MatchResult<T> {
  const q = query.trim();
  if (q === '') return { matches: [], rule: undefined };
  const byProject = containers.filter((c) => c.project === q);
  if (byProject.length > 0) return { matches: narrow(byProject, preferred), rule: 'project' };

  const byName = containers.filter((c) => c.name === q || c.name === q.replace(/^\//, ''));
  if (byName.length > 0) return { matches: narrow(byName, preferred), rule: 'name' };
  const byFullId = containers.filter((c) => c.containerId === q);
  if (byFullId.length > 0) return { matches: byFullId, rule: 'id' };

  const lower = q.toLowerCase();
  const byIdPrefix = HEX.test(lower) ? containers.filter((c) => c.containerId.startsWith(lower)) : [];
  const byProjectPrefix = containers.filter((c) => c.project.startsWith(q));
  const prefixed = unique([...byProjectPrefix, ...byIdPrefix]);
  if (prefixed.length === 0) return { matches: [], rule: undefined };
  const onlyIds = byProjectPrefix.length === 0;
  return { matches: narrow(prefixed, preferred), rule: onlyIds ? 'id' : 'prefix' };
}

/**
 * The containers spawned from `cwd` or from the nearest folder above it
 * (running `pks devcontainer exec` from a sub-folder of the project works).
 */
export function matchFolder<T extends MatchableContainer>(containers: readonly T[], cwd: string, preferred?: Preference<T>): MatchResult<T> {
  // The user's own spawn of this folder, before another user's of the same path.
  if (preferred !== undefined) {
    const own = matchFolder(containers.filter(preferred), cwd);
    if (own.rule !== undefined) return own;
  }
  const here = path.resolve(cwd);
  let best: T[] = [];
  let bestLength = -1;
  for (const container of containers) {
    if (container.projectPath === null) continue;
    const folder = path.resolve(container.projectPath);
    if (!isSameOrInside(here, folder)) continue;
    if (folder.length > bestLength) {
      best = [container];
      bestLength = folder.length;
    } else if (folder.length === bestLength) best.push(container);
  }
  return { matches: best, rule: best.length > 0 ? 'folder' : undefined };
}

function isSameOrInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function unique<T extends MatchableContainer>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.containerId)) return false;
    seen.add(item.containerId);
    return true;
  });
}
