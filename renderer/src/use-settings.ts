import { useCallback, useEffect, useState } from 'react';
import type { UiLock, UiSettings, UiSettingsPatch } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';

/** The settings as the core last sent them, with the locks; undefined until they arrive. */
export interface SettingsState {
  readonly settings: UiSettings | undefined;
  readonly locks: readonly UiLock[];
  /** Why they could not be read, if they could not. */
  readonly error: string | undefined;
}

const INITIAL: SettingsState = { settings: undefined, locks: [], error: undefined };

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
  const [state, setState] = useState<SettingsState>(INITIAL);
  useEffect(() => {
    let closed = false;
    const load = (): void => {
      api.call('getSettings', {}).then(
        (result) => {
          if (!closed) setState({ settings: result.settings, locks: result.locks, error: undefined });
        },
        (error: Error) => {
          if (!closed) setState((s) => ({ ...s, error: error.message }));
        },
      );
    };
    const offs = [api.onOpen(load), api.on('settingsChanged', (p) => setState({ settings: p.settings, locks: p.locks, error: undefined }))];
    return () => {
      closed = true;
      offs.forEach((off) => off());
    };
  }, [api]);
  const update = useCallback(
    async (patch: UiSettingsPatch): Promise<void> => {
      const result = await api.call('updateSettings', { patch });
      setState({ settings: result.settings, locks: result.locks, error: undefined });
    },
    [api],
  );
  return [state, update];
}
