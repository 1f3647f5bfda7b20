import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../electron/core/secrets.ts';

/**
 * What every SecretStore must do, whatever keeps the secrets (after MQTT.js's abstract store suite):
 * each implementation's test file runs it with its own factory.
 *
 * `open` may be called more than once in a test: stores that persist must return what an earlier
 * instance kept (a restart of the shell).
 */
export function secretStoreContract(label: string, setup: () => { open: () => SecretStore; cleanup?: () => void }): void {
  describe(`${label}: the SecretStore contract`, () => {
    let open: () => SecretStore;
    let cleanup: (() => void) | undefined;
    beforeEach(() => {
      ({ open, cleanup } = setup());
    });
    afterEach(() => cleanup?.());

    it('has nothing at first: get gives undefined and list is empty', () => {
      const store = open();
      expect(store.get('office')).toBeUndefined();
      expect(store.list()).toEqual([]);
    });

    it('gives back exactly what was set, spaces, quotes and non-ASCII included', () => {
      const store = open();
      const value = ' p@ss "wörd" \\ 🔑 ';
      store.set('office', value);
      expect(store.get('office')).toBe(value);
    });

    it('replaces a value that is set again and keeps the others', () => {
      const store = open();
      store.set('office', 'first');
      store.set('cloud', 'token');
      store.set('office', 'second');
      expect(store.get('office')).toBe('second');
      expect(store.get('cloud')).toBe('token');
    });

    it('lists the names, sorted, and never the values', () => {
      const store = open();
      store.set('zeta', 'value-z');
      store.set('alpha', 'value-a');
      expect(store.list()).toEqual(['alpha', 'zeta']);
    });

    it('forgets a deleted secret, and deleting an unknown name does nothing', () => {
      const store = open();
      store.set('office', 'pw');
      store.set('cloud', 'token');
      store.delete('office');
      store.delete('never-set');
      expect(store.get('office')).toBeUndefined();
      expect(store.list()).toEqual(['cloud']);
    });

    it('does not take an inherited property for a secret', () => {
      const store = open();
      expect(store.get('constructor')).toBeUndefined();
      expect(store.get('__proto__')).toBeUndefined();
    });

    it('refuses a name that could not be referred to from the configuration', () => {
      const store = open();
      expect(() => store.set('../escape', 'x')).toThrow(/secret name "\.\.\/escape" must be 1 to 64 letters/);
      expect(() => store.set('', 'x')).toThrow(/must be 1 to 64/);
      expect(store.list()).toEqual([]);
    });

    it('keeps what was set for the next instance (a restart)', () => {
      const first = open();
      first.set('office', 'kept');
      const second = open();
      expect(second.get('office')).toBe('kept');
    });
  });
}
