import { redact } from '../core/diagnostics.ts';
import { createShellLogger, type Logger } from '../core/logger.ts';

/**
 * The desktop shell's logger: JSON lines to stderr and to a rotating file in the app's logs folder
 * (pushdesk.log, 5 MB, two older files kept), with secrets removed before either sees a line.
 *
 * A logs folder that cannot be written does not stop the app: it logs to stderr alone and says why in
 * its first line. Electron's own electron-log/main is not used: it registers IPC listeners for renderer
 * logging at import, and the renderer reaches the main process only through the contract.
 */
export function createAppLogger(options: { logsDir: string; write?: (line: string) => void }): { logger: Logger; file: string | undefined } {
  const write = options.write === undefined ? {} : { write: options.write };
  try {
    return createShellLogger({ dir: options.logsDir, redact, ...write });
  } catch (error) {
    const fallback = createShellLogger({ redact, ...write });
    fallback.logger.warn('logging to stderr only', { error: (error as Error).message });
    return fallback;
  }
}
