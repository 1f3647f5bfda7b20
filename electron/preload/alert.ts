import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ALERT_ACK_CHANNEL, ALERT_PRELOAD_GLOBAL, ALERT_SHOW_CHANNEL, type AlertBridge, type AlertView } from '../api/alert-channels.ts';

/**
 * The alert window's preload: the alert to show, and Acknowledge. Nothing else reaches the page.
 */
const bridge: AlertBridge = {
  onAlert(listener) {
    ipcRenderer.on(ALERT_SHOW_CHANNEL, (_event: IpcRendererEvent, payload: unknown) => {
      const alert = payload as Partial<AlertView> | null;
      if (typeof alert?.title !== 'string' || typeof alert.body !== 'string') return;
      listener({ title: alert.title, body: alert.body, repeats: typeof alert.repeats === 'number' ? alert.repeats : 0 });
    });
  },
  acknowledge: () => ipcRenderer.send(ALERT_ACK_CHANNEL),
};

contextBridge.exposeInMainWorld(ALERT_PRELOAD_GLOBAL, bridge);
