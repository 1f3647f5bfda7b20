import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ExportRequest } from '../core/api-service.ts';
import type { StoredMessage } from '../core/message/message.ts';
import { writeExport } from '../core/store/export.ts';

/**
 * Writes an export to a file the person chooses (the desktop shell's save dialog, injected so this
 * runs without Electron in tests).
 *
 * @returns the file and the count, or nulls when the person cancelled the dialog.
 */
export async function exportToChosenFile(
  request: ExportRequest,
  ports: {
    choose: (defaultName: string) => Promise<string | undefined>;
    messages: (filter: Omit<ExportRequest, 'format'> & { format?: undefined }) => Iterable<StoredMessage>;
  },
): Promise<{ href: null; path: string | null; count: number | null }> {
  const path = await ports.choose(`pushdesk-${new Date().toISOString().slice(0, 10)}.${request.format}`);
  if (path === undefined) return { href: null, path: null, count: null };
  const out = createWriteStream(path, { mode: 0o600 });
  const filter = { ...request, format: undefined };
  const count = await writeExport(ports.messages(filter), request.format, async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain');
  });
  out.end();
  await once(out, 'finish');
  return { href: null, path, count };
}
