// Feature installation order, per the spec's feature-dependencies algorithm
// (and the reference CLI's reading of it): rounds of a topological sort over
// hard (`dependsOn`) and soft (`installsAfter`) edges; in each round only the
// candidates with the highest `overrideFeatureInstallOrder` priority are
// committed, in a stable order (resource or path, tag, options, digest). A
// round that commits nothing means a cycle, reported with the Features left.

import { OperationError } from '../common/errors.js';
import type { FeatureRef } from './feature-ref.js';
import type { FeatureOptionValues } from './feature-options.js';

export interface OrderNode {
  ref: FeatureRef;
  /** The options the user gave (not the defaults): part of a Feature's identity. */
  given: FeatureOptionValues;
  /** Content identity of a published Feature. */
  manifestDigest?: string | undefined;
  /** Other ids this Feature was published under (`legacyIds`), for soft matches. */
  legacyIds?: readonly string[] | undefined;
  /** Features this one must be installed after (resolved `dependsOn`). */
  dependsOn: OrderNode[];
  /** `installsAfter` entries, parsed; only those matching a queued Feature count. */
  installsAfter: FeatureRef[];
}

let collator: Intl.Collator | undefined;

/** Made on first use: a collator loads ICU data (~7 ms), which a spawn without Features need not pay. */
function compareText(a: string, b: string): number {
  collator ??= new Intl.Collator('en');
  return collator.compare(a, b);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareText(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return compareText(String(a), String(b));
}

/** Fewer options first, then by sorted keys, then by values. */
export function compareOptions(a: FeatureOptionValues, b: FeatureOptionValues): number {
  const aKeys = Object.keys(a).sort();
  const bKeys = Object.keys(b).sort();
  if (aKeys.length !== bKeys.length) return aKeys.length - bKeys.length;
  for (let i = 0; i < aKeys.length; i++) {
    const aKey = aKeys[i] ?? '';
    const bKey = bKeys[i] ?? '';
    if (aKey !== bKey) return compareText(aKey, bKey);
    const byValue = compareValues(a[aKey], b[bKey]);
    if (byValue !== 0) return byValue;
  }
  return 0;
}

/** The round's stable sort; 0 means "the same Feature" (see featuresEqual). */
export function compareFeatures(a: OrderNode, b: OrderNode): number {
  if (a.ref.kind !== b.ref.kind) return compareText(a.ref.userId, b.ref.userId);
  if (a.ref.kind === 'local' && b.ref.kind === 'local') {
    return compareText(a.ref.path, b.ref.path) || compareOptions(a.given, b.given);
  }
  if (a.ref.kind === 'oci' && b.ref.kind === 'oci') {
    if (a.manifestDigest !== undefined && a.manifestDigest === b.manifestDigest && compareOptions(a.given, b.given) === 0) return 0;
    const byResource = compareText(a.ref.resource, b.ref.resource);
    if (byResource !== 0) return byResource;
    if (a.ref.tag !== undefined && b.ref.tag !== undefined && a.ref.tag !== b.ref.tag) return compareText(a.ref.tag, b.ref.tag);
    return compareOptions(a.given, b.given) || compareText(a.manifestDigest ?? '', b.manifestDigest ?? '');
  }
  if (a.ref.kind === 'tarball' && b.ref.kind === 'tarball') {
    if (a.manifestDigest !== undefined && a.manifestDigest === b.manifestDigest && compareOptions(a.given, b.given) === 0) return 0;
    return compareText(a.ref.url, b.ref.url) || compareOptions(a.given, b.given) || compareText(a.manifestDigest ?? '', b.manifestDigest ?? '');
  }
  return 0;
}

/** Same contents with the same options: installed once. */
export function featuresEqual(a: OrderNode, b: OrderNode): boolean {
  return a.ref.kind === b.ref.kind && compareFeatures(a, b) === 0;
}

/** Does `node` satisfy an `installsAfter` (or override-order) entry? Versions and options do not matter. */
export function satisfiesSoftReference(node: OrderNode, wanted: FeatureRef): boolean {
  if (node.ref.kind === 'local' && wanted.kind === 'local') return node.ref.path === wanted.path;
  if (node.ref.kind === 'tarball' && wanted.kind === 'tarball') return node.ref.url === wanted.url;
  if (node.ref.kind === 'oci' && wanted.kind === 'oci') {
    if (node.ref.resource === wanted.resource) return true;
    const namespace = node.ref.resource.slice(0, node.ref.resource.length - node.ref.id.length);
    return (node.legacyIds ?? []).some((legacy) => `${namespace}${legacy}` === wanted.resource);
  }
  return false;
}

function describe(node: OrderNode): string {
  return node.ref.userId;
}

/**
 * Orders `nodes` (already de-duplicated) for installation. `overrideOrder`
 * is devcontainer.json's overrideFeatureInstallOrder, parsed.
 */
export function orderFeatures<N extends OrderNode>(nodes: readonly N[], overrideOrder: readonly FeatureRef[] = []): N[] {
  const priority = new Map<N, number>();
  for (const node of nodes) {
    const index = overrideOrder.findIndex((wanted) => satisfiesSoftReference(node, wanted));
    priority.set(node, index < 0 ? 0 : overrideOrder.length - index);
  }
  // Soft edges only count towards Features that are queued.
  const softEdges = new Map<N, N[]>();
  for (const node of nodes) {
    softEdges.set(node, nodes.filter((other) => other !== node && node.installsAfter.some((wanted) => satisfiesSoftReference(other, wanted))));
  }
  const installed: N[] = [];
  const isInstalled = (dependency: OrderNode): boolean => installed.some((done) => done === dependency || featuresEqual(done, dependency));
  let worklist = [...nodes];
  while (worklist.length > 0) {
    const round = worklist.filter(
      (node) => node.dependsOn.every(isInstalled) && (softEdges.get(node) ?? []).every(isInstalled),
    );
    if (round.length === 0) {
      throw new OperationError(
        'E_FEATURE_CYCLE',
        `The Features cannot be ordered: their dependencies form a cycle among ${worklist.map(describe).join(', ')}.`,
        { hint: 'Check "dependsOn" and "installsAfter" in those Features\' devcontainer-feature.json; one of them must not depend on the others.' },
      );
    }
    const top = Math.max(...round.map((node) => priority.get(node) ?? 0));
    const committed = round.filter((node) => (priority.get(node) ?? 0) === top).sort(compareFeatures);
    installed.push(...committed);
    worklist = worklist.filter((node) => !committed.includes(node));
  }
  return installed;
}
