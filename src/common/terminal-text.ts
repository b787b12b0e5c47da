// Text pks did not write itself (labels, engine replies, build output, what a
// remote host says) made safe to show on a terminal. A label is anyone's to
// set on a shared engine: printed raw, `\e]0;…\a` retitles the window, `\e[2J`
// clears the screen, an OSC 52 writes the clipboard. So every control
// character is shown as visible text (`\x1b`, `\x9b`, `\u202e`), the way `ls`
// and `git` quote odd file names, and only colour (SGR) codes may go through,
// and only to a terminal that wants colour.

const ESC = '\x1b';

/** Colour and text attributes only (`ESC [ 1;31 m`): the one kind of sequence worth keeping. */
const SGR = new RegExp(`${ESC}\\[[0-9;:]*m`, 'g');

/**
 * C0 and C1 controls and DEL (Cc), the invisible marks that reorder text
 * (bidi controls: "Trojan Source") and the line and paragraph separators.
 */
const CONTROL = /[\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}]/gu;
/** The same but \t and \n, which are layout in multi-line text. */
const CONTROL_KEEP_LAYOUT = /(?![\t\n])[\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}]/gu;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function visible(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One value (a label, a name, a table cell) on one line: every control
 * character, \n and \t included, becomes visible text.
 */
export function escapeControls(value: string): string {
  return value.replace(CONTROL, visible);
}

/**
 * Several lines pks composed around such values: \n and \t stay layout (a CR
 * before a newline is dropped), every other control character becomes visible.
 */
export function escapeControlsKeepingLayout(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL_KEEP_LAYOUT, visible);
}

/** Removes colour codes (SGR) and leaves every other sequence to be escaped. */
export function stripColour(text: string): string {
  return text.replace(SGR, '');
}

/**
 * Output of a program pks relays (a build, a lifecycle hook): with `colour`
 * its colour codes go through and every other control is escaped; without,
 * the colour codes are dropped first.
 */
export function programOutputForTerminal(text: string, colour: boolean): string {
  if (!colour) return escapeControlsKeepingLayout(stripColour(text));
  const kept: string[] = [];
  let last = 0;
  for (const match of text.matchAll(SGR)) {
    kept.push(escapeControlsKeepingLayout(text.slice(last, match.index)), match[0]);
    last = match.index + match[0].length;
  }
  kept.push(escapeControlsKeepingLayout(text.slice(last)));
  return kept.join('');
}

/**
 * JSON.stringify escapes C0 controls (`\u001b`) but writes C1 controls,
 * bidi overrides and line separators raw; this escapes those too, so JSON on
 * a terminal is as safe as text. The value parsed back is unchanged.
 */
export function jsonForTerminal(value: unknown, indent?: number): string {
  // JSON.stringify leaves no C0 control raw inside strings; the newlines left are its indentation.
  return JSON.stringify(value, null, indent).replace(CONTROL_KEEP_LAYOUT, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
