import type { BrowserWindow, IpcMain, WebFrameMain } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../api/channels.ts';
import { forwardHubEvents, type ApiService } from '../core/api-service.ts';
import type { Hub } from '../core/hub.ts';

/**
 * Binds the UI contract to Electron IPC: the only place ipcMain is used.
 *
 * A call is accepted only from the app's own window and page (`isTrusted`); its arguments are then
 * validated by the ApiService against the contract's schemas.
 */
export function bindIpc(options: {
  ipcMain: IpcMain;
  hub: Hub;
  service: ApiService;
  window: () => BrowserWindow | undefined;
  isTrustedFrame: (frame: WebFrameMain | null) => boolean;
}): () => void {
  options.ipcMain.handle(IPC_CALL_CHANNEL, async (event, method: unknown, args: unknown) => {
    const win = options.window();
    if (!win || event.sender !== win.webContents || !options.isTrustedFrame(event.senderFrame)) {
      return { ok: false, error: { code: 'failed', message: 'refused: the call did not come from the Pushdesk window' } };
    }
    return options.service.call(method, args);
  });
  const off = forwardHubEvents(options.hub, (name, payload) => {
    const win = options.window();
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  return () => {
    off();
    options.ipcMain.removeHandler(IPC_CALL_CHANNEL);
  };
}
