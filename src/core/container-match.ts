// How a command's `[container]` argument picks dev containers out of a list.
// Pure: no engine, no file system, so every rule is unit-tested.
//
// Order, first rule that matches anything wins:
//   1. the project name, exactly (several containers may share one: ambiguous);
//   2. the container name or full ID, exactly;
//   3. a prefix of the project name or of the container ID (unique, else ambiguous).
// Without an argument, the project whose folder is the current folder (or
// contains it) is meant.

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

export function matchContainers<T extends MatchableContainer>(containers: readonly T[], query: string): MatchResult<T> {
  const q = query.trim();
  if (q === '') return { matches: [], rule: undefined };
  const byProject = containers.filter((c) => c.project === q);
  if (byProject.length > 0) return { matches: byProject, rule: 'project' };

  const byName = containers.filter((c) => c.name === q || c.name === q.replace(/^\//, ''));
  if (byName.length > 0) return { matches: byName, rule: 'name' };
  const byFullId = containers.filter((c) => c.containerId === q);
  if (byFullId.length > 0) return { matches: byFullId, rule: 'id' };

  const lower = q.toLowerCase();
  const byIdPrefix = HEX.test(lower) ? containers.filter((c) => c.containerId.startsWith(lower)) : [];
  const byProjectPrefix = containers.filter((c) => c.project.startsWith(q));
  const prefixed = unique([...byProjectPrefix, ...byIdPrefix]);
  if (prefixed.length === 0) return { matches: [], rule: undefined };
  const onlyIds = byProjectPrefix.length === 0;
  return { matches: prefixed, rule: onlyIds ? 'id' : 'prefix' };
}

/**
 * The containers spawned from `cwd` or from the nearest folder above it
 * (running `pks devcontainer exec` from a sub-folder of the project works).
 */
export function matchFolder<T extends MatchableContainer>(containers: readonly T[], cwd: string): MatchResult<T> {
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
