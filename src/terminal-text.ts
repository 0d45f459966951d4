/**
 * The one place that makes text safe for a terminal. Anything user-supplied (tenant names,
 * branch metadata, Redis keys, labels, file names, server messages quoting them) may carry
 * escape sequences that recolour, move the cursor, retitle the window or hide text. The CLI
 * passes everything it writes through here; baas's own cursor control goes through a
 * separate channel (Io.control).
 */

// ESC sequences whole: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-byte ones.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// C0 controls but tab and newline, and DEL.
// eslint-disable-next-line no-control-regex
const C0 = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
// C1 controls (U+0080-U+009F, including the one-byte CSI U+009B) and the bidirectional overrides
// that reorder what is shown ("Trojan Source"). Shown as \uXXXX: visible to a person, and
// lossless inside JSON strings (JSON.stringify leaves these characters raw).
const C1_AND_BIDI = /[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  if (!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text)) return text;
  return text
    .replace(/\r\n/g, '\n')
    .replace(ESCAPE_SEQUENCE, '')
    .replace(C0, '')
    .replace(C1_AND_BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
