// .dockerignore, as the docker CLI reads it (moby's patternmatcher): one
// pattern per line, `#` comments, `!` re-includes, paths relative to the
// context root, `*` and `?` within a path segment, `**` across segments,
// `[...]` classes; a pattern that matches a folder excludes everything in it;
// the last matching pattern decides.

import path from 'node:path';

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
  /** The cleaned pattern, for folder pruning decisions. */
  text: string;
}

export class DockerIgnore {
  private constructor(private readonly patterns: readonly Pattern[]) {}

  static parse(text: string): DockerIgnore {
    const patterns: Pattern[] = [];
    for (const rawLine of text.split(/\r?\n/)) {
      let line = rawLine.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      const cleaned = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
      if (cleaned === '' || cleaned === '.') continue;
      patterns.push({ exclusion, regex: toRegex(cleaned), text: cleaned });
    }
    return new DockerIgnore(patterns);
  }

  static empty(): DockerIgnore {
    return new DockerIgnore([]);
  }

  /** Is `relativePath` (POSIX, relative to the context root) excluded? */
  excludes(relativePath: string): boolean {
    const parents = parentPaths(relativePath);
    let excluded = false;
    for (const pattern of this.patterns) {
      if (parents.some((candidate) => pattern.regex.test(candidate))) excluded = !pattern.exclusion;
    }
    return excluded;
  }

  /**
   * Can a walk skip an excluded folder entirely? Only if no `!` pattern
   * could re-include something below it.
   */
  canSkipFolder(relativePath: string): boolean {
    if (!this.excludes(relativePath)) return false;
    return !this.patterns.some((pattern) => pattern.exclusion && couldMatchBelow(pattern.text, relativePath));
  }
}

/** `a/b/c` → [`a`, `a/b`, `a/b/c`]: a pattern matching a parent excludes its contents. */
function parentPaths(relativePath: string): string[] {
  const parts = relativePath.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Conservative: true unless the pattern's literal prefix rules the folder out. */
function couldMatchBelow(pattern: string, folder: string): boolean {
  const literal = pattern.split(/[*?[\\]/)[0] ?? '';
  const prefix = `${folder}/`;
  return literal.startsWith(prefix) || prefix.startsWith(literal) || literal === '';
}

function toRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          // `**/` matches zero or more whole folders.
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === '\\' && i + 1 < pattern.length) {
      i++;
      out += escapeRegex(pattern[i] ?? '');
    } else {
      out += escapeRegex(char);
    }
  }
  return new RegExp(`${out}$`);
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}
