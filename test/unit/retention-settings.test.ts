import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { retentionSettings } from '../../electron/core/hub.ts';

const DAY = 24 * 3600_000;
const connections = [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 't', channel: 'T' }] }];

describe('retentionSettings', () => {
  it('keeps 365 days by default, also when retention sets only other fields', () => {
    expect(retentionSettings(parseConfig({ connections }).store).defaults).toEqual({ maxAgeMs: 365 * DAY, maxCount: undefined });
    const sized = retentionSettings(parseConfig({ connections, store: { retention: { maxSizeMb: 500 } } }).store);
    expect(sized.defaults).toEqual({ maxAgeMs: 365 * DAY, maxCount: undefined });
    expect(sized.maxBytes).toBe(500 * 1024 * 1024);
  });

  it('keeps messages of any age when maxAgeDays is null', () => {
    const forever = retentionSettings(parseConfig({ connections, store: { retention: { maxAgeDays: null, maxCount: 1000 } } }).store);
    expect(forever.defaults).toEqual({ maxAgeMs: undefined, maxCount: 1000 });
  });

  it('gives a channel rule the general value of each field it leaves out', () => {
    const settings = retentionSettings(
      parseConfig({
        connections,
        store: { retention: { maxAgeDays: 90, maxCount: 5000, channels: { Builds: { maxCount: 100 }, Audit: { maxAgeDays: null } } } },
      }).store,
    );
    expect(settings.channels.get('Builds')).toEqual({ maxAgeMs: 90 * DAY, maxCount: 100 });
    expect(settings.channels.get('Audit')).toEqual({ maxAgeMs: undefined, maxCount: 5000 });
    expect(settings.defaults).toEqual({ maxAgeMs: 90 * DAY, maxCount: 5000 });
  });
});
