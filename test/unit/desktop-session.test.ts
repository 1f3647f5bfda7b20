import { describe, expect, it } from 'vitest';
import { parseNotifyCalls } from '../helpers/desktop-session.ts';

/** What dbus-monitor prints for the bus's greeting, before any Notify call. */
const greeting = `signal time=1700000000.000100 sender=org.freedesktop.DBus -> destination=:1.3 serial=2 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameAcquired
   string ":1.3"
signal time=1700000000.000200 sender=org.freedesktop.DBus -> destination=:1.3 serial=4 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameLost
   string ":1.3"
`;

/** A notify-send call with a critical urgency hint and an extra hint after it. */
const criticalCall = `method call time=1700000001.123456 sender=:1.7 -> destination=org.freedesktop.Notifications serial=7 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "notify-send"
   uint32 0
   string ""
   string "Boiler pressure"
   string "Pressure is 9 bar"
   array [
   ]
   array [
      dict entry(
         string "urgency"
         variant             byte 2
      )
      dict entry(
         string "sender-pid"
         variant             int64 4242
      )
   ]
   int32 -1
`;

/** A call from another app with no hints, a replaces id and a timeout, and quotes in the texts. */
const plainCall = `method call time=1700000002.000001 sender=:1.9 -> destination=org.freedesktop.Notifications serial=12 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "pushdesk"
   uint32 17
   string "dialog-information"
   string "He said "hi""
   string "a "quoted" body"
   array [
      string "default"
      string "Open"
   ]
   array [
   ]
   int32 5000
`;

/** The server's reply and an unrelated call; neither is a Notify call. */
const noise = `method return time=1700000001.200000 sender=:1.4 -> destination=:1.7 serial=9 reply_serial=7
   uint32 1
method call time=1700000001.300000 sender=:1.7 -> destination=org.freedesktop.Notifications serial=8 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=GetServerInformation
signal time=1700000001.400000 sender=:1.4 -> destination=(null destination) serial=10 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=NotificationClosed
   uint32 1
   uint32 1
`;

describe('parseNotifyCalls', () => {
  it('returns no calls for empty text or text without Notify calls', () => {
    expect(parseNotifyCalls('')).toEqual([]);
    expect(parseNotifyCalls(greeting + noise)).toEqual([]);
  });

  it('reads app name, replaces id, summary, body, urgency hint and expire timeout', () => {
    expect(parseNotifyCalls(criticalCall)).toEqual([
      {
        appName: 'notify-send',
        replacesId: 0,
        summary: 'Boiler pressure',
        body: 'Pressure is 9 bar',
        urgency: 2,
        expireTimeoutMs: -1,
      },
    ]);
  });

  it('reads strings up to the last quote on the line, since dbus-monitor does not escape quotes', () => {
    const [call] = parseNotifyCalls(plainCall);
    expect(call?.summary).toBe('He said "hi"');
    expect(call?.body).toBe('a "quoted" body');
  });

  it('reports urgency as undefined when the hint was not sent, and reads non-default numbers', () => {
    expect(parseNotifyCalls(plainCall)).toEqual([
      {
        appName: 'pushdesk',
        replacesId: 17,
        summary: 'He said "hi"',
        body: 'a "quoted" body',
        urgency: undefined,
        expireTimeoutMs: 5000,
      },
    ]);
  });

  it('finds every Notify call in order among signals, replies and other calls', () => {
    const calls = parseNotifyCalls(greeting + criticalCall + noise + plainCall);
    expect(calls.map((c) => c.summary)).toEqual(['Boiler pressure', 'He said "hi"']);
    expect(calls.map((c) => c.urgency)).toEqual([2, undefined]);
  });

  it('reads low and normal urgency bytes', () => {
    const low = criticalCall.replace('byte 2', 'byte 0');
    const normal = criticalCall.replace('byte 2', 'byte 1');
    expect(parseNotifyCalls(low + normal).map((c) => c.urgency)).toEqual([0, 1]);
  });

  it('reads an empty body as an empty string', () => {
    const [call] = parseNotifyCalls(criticalCall.replace('string "Pressure is 9 bar"', 'string ""'));
    expect(call?.body).toBe('');
    expect(call?.summary).toBe('Boiler pressure');
  });
});

describe('parseNotifyCalls with text that spans lines', () => {
  it('reads a body with newlines, quotes and lines that look like headers or arguments', () => {
    const text = [
      'method call time=1.0 sender=:1.9 -> destination=:1.3 serial=8 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify',
      '   string "Pushdesk"',
      '   uint32 0',
      '   string ""',
      '   string "Sum "q""',
      '   string "line one',
      '   indented two',
      'signal three"',
      '   array [',
      '   ]',
      '   array [',
      '      dict entry(',
      '         string "urgency"',
      '         variant             byte 2',
      '      )',
      '   ]',
      '   int32 0',
      '',
    ].join('\n');
    const [call] = parseNotifyCalls(text);
    expect(call).toEqual({
      appName: 'Pushdesk',
      replacesId: 0,
      summary: 'Sum "q"',
      body: 'line one\n   indented two\nsignal three',
      urgency: 2,
      expireTimeoutMs: 0,
    });
  });
});
