// The editors --ide names: a module of its own, without imports, so the
// command declarations can list them without loading the editor code.

/**
 * Editors that open a `vscode-remote://dev-container+…` URI with
 * `--folder-uri`: VS Code, Insiders, and the forks that ship a Dev Containers
 * extension of their own (Cursor, Windsurf). Without --ide, the first on PATH
 * in this order is opened.
 */
export const EDITORS = ['code', 'code-insiders', 'cursor', 'windsurf'] as const;
export type Ide = (typeof EDITORS)[number] | 'none';
/** The choices of --ide. */
export const IDE_CHOICES = [...EDITORS, 'none'] as const;
