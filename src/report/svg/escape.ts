/**
 * Escaping for text that goes into HTML or SVG. Tensor names come from the model file
 * and are hostile input: every string from a model passes through here before it is
 * written into markup, in text and in attribute values alike.
 */
import { escapeUnseen, UNSEEN } from '../../errors.js';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for element content and quoted attribute values: control characters not
 * allowed in XML become U+FFFD, and bidi, zero-width and other invisible characters are
 * shown as visible escapes (`\u{202e}`), as in the terminal, so a name cannot read
 * differently from what it is.
 */
export function escapeXml(s: string): string {
  return s
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g, '\ufffd')
    .replace(UNSEEN, (ch) => (/[\t\n\r\u0000-\u001f]/.test(ch) ? ch : escapeUnseen(ch)));
}
