/**
 * Escapes text for notification servers that read markup in the body.
 *
 * Linux notification servers that announce body-markup (GNOME, KDE, dunst) interpret `<b>`, `<a>` and
 * entities in a notification's body; message text is plain text, so `&`, `<` and `>` are escaped.
 */
export function escapeBodyMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
