import { startEarlyConnection } from './early-connection.ts';
import { applyStoredTheme } from './theme.ts';
import './styles.css';

/**
 * The window's entry: a few kilobytes that reach the core at once (early-connection.ts), then load
 * the rest of the window (start.tsx: React, i18next, the contract's schemas) while the core answers.
 */
const early = startEarlyConnection();
applyStoredTheme();
void import('./start.tsx').then(({ start }) => start(early));
