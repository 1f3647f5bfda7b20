import { useCallback, useEffect, useMemo } from 'react';
import type { UiLock, UiSettings, UiSettingsPatch } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { useCoreCall } from './use-core-call.ts';

/** The settings as the core last sent them, with the locks; undefined until they arrive. */
export interface SettingsState {
  readonly settings: UiSettings | undefined;
  readonly locks: readonly UiLock[];
  /** Why they could not be read, if they could not. */
  readonly error: string | undefined;
}

const NO_LOCKS: readonly UiLock[] = [];

/**
 * The lock that applies to a setting: one on its own path or on an object above it
 * ("notifications" locks "notifications.sound"), or undefined when the person may change it.
 */
export function lockFor(locks: readonly UiLock[], path: string): UiLock | undefined {
  for (let at = path; at !== ''; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') {
    const lock = locks.find((l) => l.path === at);
    if (lock) return lock;
  }
  return undefined;
}

/**
 * Keeps the settings in step with the core (they are read again after every reconnection and follow
 * settingsChanged); `update` sends a change and resolves with the new settings, or rejects with the
 * core's error (code "locked" for a locked setting).
 */
export function useSettings(api: ApiClient): [SettingsState, (patch: UiSettingsPatch) => Promise<void>] {
  const { result, error, setResult } = useCoreCall(api, 'getSettings');
  useEffect(() => api.on('settingsChanged', (payload) => setResult(payload)), [api, setResult]);
  const state = useMemo<SettingsState>(() => ({ settings: result?.settings, locks: result?.locks ?? NO_LOCKS, error }), [result, error]);
  const update = useCallback(
    async (patch: UiSettingsPatch): Promise<void> => {
      setResult(await api.call('updateSettings', { patch }));
    },
    [api, setResult],
  );
  return [state, update];
}
