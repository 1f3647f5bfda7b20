import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient, preloadTransport, webSocketTransport } from './api-client.ts';
import { App } from './app.tsx';
import { bridgeSocketUrl, type EarlyConnection } from './early-connection.ts';
import { initI18n } from './i18n/index.ts';
import { loadFirstPage } from './use-hub-state.ts';

/**
 * Draws the window, its transport taking over the connection main.tsx started, with the history's
 * first page when it has come (see loadFirstPage).
 */
export async function start(connection: EarlyConnection): Promise<void> {
  const transport =
    connection.kind === 'bridge' ? preloadTransport(connection.early.bridge, connection.early) : webSocketTransport(bridgeSocketUrl(), connection.early);
  initI18n();
  const api = createApiClient(transport, { replayEarly: true });
  const first = await loadFirstPage(api);
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <App api={api} first={first} />
    </StrictMode>,
  );
}
