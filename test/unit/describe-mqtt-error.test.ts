import { describe, expect, it } from 'vitest';
import { describeMqttError } from '../../electron/core/sources/mqtt-source.ts';

const coded = (code: string | number, message = 'x'): Error & { code: string | number } => Object.assign(new Error(message), { code });

describe('describeMqttError', () => {
  it('tells to switch to MQTT 3.1.1 when the broker refuses the protocol version (3.1.1 code 1, MQTT 5 code 132)', () => {
    for (const code of [1, 132]) expect(describeMqttError(coded(code))).toMatch(/set protocolVersion to 4/);
  });

  it('names an untrusted certificate and how to trust its CA', () => {
    expect(describeMqttError(coded('SELF_SIGNED_CERT_IN_CHAIN'))).toMatch(/not trusted \(self signed cert in chain\): add the CA .* tls\.caFile/);
  });

  it('recognises a broker that wants a client certificate from the TLS alert text', () => {
    expect(describeMqttError(coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ssl3_read_bytes:tlsv13 alert certificate required'))).toBe(
      'the broker requires a client certificate: set tls.certFile and tls.keyFile for this connection',
    );
  });

  it('falls back to the error message for codes it does not know', () => {
    expect(describeMqttError(coded('EWEIRD', 'something odd'))).toBe('something odd');
  });
});
