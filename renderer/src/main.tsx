import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PRELOAD_GLOBAL, type PreloadBridge } from '../../electron/api/channels.ts';
import { createApiClient, preloadTransport, webSocketTransport } from './api-client.ts';
import { App } from './app.tsx';
import { initI18n } from './i18n/index.ts';
import { applyStoredTheme } from './theme.ts';
import './styles.css';

const bridge = (window as unknown as Record<string, PreloadBridge | undefined>)[PRELOAD_GLOBAL];
const transport = bridge
  ? preloadTransport(bridge)
  : webSocketTransport(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);

applyStoredTheme();
initI18n();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App api={createApiClient(transport)} />
  </StrictMode>,
);
