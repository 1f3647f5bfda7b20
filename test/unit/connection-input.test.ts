import { describe, expect, it } from 'vitest';
import { connectionInputSchema } from '../../electron/api/contract.ts';
import { connectionSchema, type ConnectionConfig } from '../../electron/core/config/config-schema.ts';
import { connectionFromInput, connectionSecretName, connectionView, FieldErrors } from '../../electron/core/config/connection-input.ts';

const input = (over: Record<string, unknown> = {}) =>
  connectionInputSchema.parse({ id: 'plant', kind: 'mqtt', url: 'mqtts://broker.example:8883', subscriptions: [{ topic: 'a/#', channel: 'A' }], ...over });

const fieldsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof FieldErrors) return error.fields.map((f) => f.path);
    throw error;
  }
  throw new Error('expected FieldErrors');
};

describe('a connection entered in the form', () => {
  it('becomes a configuration with the secret named, never written', () => {
    const { config, json, secret } = connectionFromInput(input({ username: 'desk', secret: 'hunter2' }), undefined);
    expect(secret).toEqual({ kind: 'set', value: 'hunter2' });
    expect(config).toMatchObject({ id: 'plant', kind: 'mqtt', username: 'desk', passwordSecret: 'c.plant' });
    expect(JSON.stringify(json)).not.toContain('hunter2');
    expect(connectionSchema.parse(json)).toEqual(config);
  });

  it('names each invalid field as connection.<field>, the secret fields as connection.secret', () => {
    expect(fieldsOf(() => connectionFromInput(input({ url: 'http://broker' }), undefined))).toEqual(['connection.url']);
    expect(fieldsOf(() => connectionFromInput(input({ kind: 'ntfy', subscriptions: [{ topic: 'has space', channel: 'A' }], url: 'https://ntfy.example' }), undefined))).toEqual([
      'connection.subscriptions.0.topic',
    ]);
    // ntfy: a user name needs a password.
    expect(fieldsOf(() => connectionFromInput(input({ kind: 'ntfy', url: 'https://ntfy.example', subscriptions: [{ topic: 'alerts', channel: 'A' }], username: 'me' }), undefined))).toEqual([
      'connection.username',
    ]);
  });

  it('keeps what the form does not show when editing, and moves a plain password to the secret store', () => {
    const existing = connectionSchema.parse({
      id: 'plant',
      url: 'mqtts://broker.example:8883',
      username: 'desk',
      password: 'from-the-file',
      tls: { caFile: '/etc/ca.pem' },
      receipts: { topic: 'receipts/{device}' },
      subscriptions: [{ topic: 'a/#', channel: 'A', qos: 2, critical: true }],
    }) as ConnectionConfig;
    const { config, json, secret } = connectionFromInput(input({ username: 'desk', subscriptions: [{ topic: 'a/#', channel: 'A' }, { topic: 'b', channel: 'B' }] }), existing);
    expect(secret).toEqual({ kind: 'set', value: 'from-the-file' });
    expect(JSON.stringify(json)).not.toContain('from-the-file');
    expect(config).toMatchObject({ passwordSecret: 'c.plant', receipts: { topic: 'receipts/{device}' } });
    expect(config.kind === 'mqtt' && config.tls?.caFile).toBe('/etc/ca.pem');
    expect(config.subscriptions[0]).toMatchObject({ topic: 'a/#', qos: 2, critical: true });
    expect(config.subscriptions[1]).toMatchObject({ topic: 'b', qos: 1 });
  });

  it('keeps the stored secret unless a new one is entered or it is cleared; verification off shows in TLS', () => {
    const existing = connectionSchema.parse({ id: 'plant', url: 'mqtts://b:8883', username: 'u', passwordSecret: 'c.plant', subscriptions: [{ topic: 'a/#', channel: 'A' }] }) as ConnectionConfig;
    expect(connectionFromInput(input({ username: 'u' }), existing).secret).toEqual({ kind: 'keep' });
    const cleared = connectionFromInput(input({ clearSecret: true }), existing);
    expect(cleared.secret).toEqual({ kind: 'clear' });
    expect(cleared.config.passwordSecret).toBeUndefined();
    const insecure = connectionFromInput(input({ verifyTls: false }), undefined).config;
    expect(insecure.kind === 'mqtt' && insecure.tls?.rejectUnauthorized).toBe(false);
    expect(connectionView(insecure, 'user', null, false).verifyTls).toBe(false);
  });

  it('gives every connection id a valid secret name', () => {
    expect(connectionSecretName('plant')).toBe('c.plant');
    const long = connectionSecretName('x'.repeat(64));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^c\.[0-9a-f]{40}$/);
  });
});
