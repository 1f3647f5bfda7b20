import { describe, expect, it } from 'vitest';
import { defaultClientId } from '../../electron/core/hub.ts';

describe('defaultClientId', () => {
  it('is stable for a device and connection and 23 characters long', () => {
    const id = defaultClientId('wall-screen-1', 'office');
    expect(id).toBe(defaultClientId('wall-screen-1', 'office'));
    expect(id).toMatch(/^pd-[0-9a-f]{20}$/);
  });

  it('differs between devices whose ids share a long prefix', () => {
    expect(defaultClientId('wall-screen-1', 'office')).not.toBe(defaultClientId('wall-screen-2', 'office'));
  });

  it('differs between connections of one device', () => {
    expect(defaultClientId('d', 'a')).not.toBe(defaultClientId('d', 'b'));
  });
});
