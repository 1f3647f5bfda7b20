import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, PRELOAD_GLOBAL, type PreloadBridge } from '../api/channels.ts';

/**
 * The preload: exposes the UI contract's transport and nothing else. The page never sees ipcRenderer.
 */
const bridge: PreloadBridge = {
  call: (method, args) => ipcRenderer.invoke(IPC_CALL_CHANNEL, String(method), args),
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (typeof name === 'string') listener(name, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.off(IPC_EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, bridge);
