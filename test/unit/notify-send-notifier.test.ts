import { describe, expect, it } from 'vitest';
import type { NotificationRequest } from '../../electron/core/notify/notifier.ts';
import { eventForOutput, notifySendArgs } from '../../electron/headless/notify-send-notifier.ts';

const base: NotificationRequest = { seq: 7, title: 'Pump 3 stopped', body: 'Pressure 9 bar', urgency: 'normal', channel: 'plant' };

/** The value of `--name=value` options in argv (before `--`). */
function options(argv: readonly string[], name: string): string[] {
  const end = argv.indexOf('--');
  return argv
    .slice(0, end < 0 ? argv.length : end)
    .filter((a) => a.startsWith(`--${name}=`))
    .map((a) => a.slice(name.length + 3));
}

/** The summary and body: the two arguments after `--`. */
function texts(argv: readonly string[]): string[] {
  return argv.slice(argv.indexOf('--') + 1);
}

describe('notifySendArgs', () => {
  it('asks for the id, names the app, urgency and category, and puts the texts after --', () => {
    expect(notifySendArgs(base, { appName: 'Pushdesk' })).toEqual([
      '--print-id',
      '--app-name=Pushdesk',
      '--urgency=normal',
      '--category=im.received',
      '--',
      'Pump 3 stopped',
      'Pressure 9 bar',
    ]);
  });

  it.each(['low', 'normal', 'critical'] as const)('passes urgency %s', (urgency) => {
    expect(options(notifySendArgs({ ...base, urgency }, { appName: 'Pushdesk' }), 'urgency')).toEqual([urgency]);
  });

  it('never expires a sticky notification and leaves the timeout to the server otherwise', () => {
    expect(options(notifySendArgs({ ...base, sticky: true }, { appName: 'Pushdesk' }), 'expire-time')).toEqual(['0']);
    expect(options(notifySendArgs({ ...base, sticky: false }, { appName: 'Pushdesk' }), 'expire-time')).toEqual([]);
    expect(options(notifySendArgs({ ...base, urgency: 'critical' }, { appName: 'Pushdesk' }), 'expire-time')).toEqual([]);
  });

  it('asks the server for no sound only when silent', () => {
    expect(options(notifySendArgs({ ...base, silent: true }, { appName: 'Pushdesk' }), 'hint')).toEqual(['boolean:suppress-sound:true']);
    expect(options(notifySendArgs({ ...base, silent: false }, { appName: 'Pushdesk' }), 'hint')).toEqual([]);
  });

  it('names a sound when the request wants one, unless it is silent', () => {
    expect(options(notifySendArgs({ ...base, sound: true }, { appName: 'Pushdesk' }), 'hint')).toEqual(['string:sound-name:message-new-instant']);
    expect(options(notifySendArgs({ ...base, sound: true, silent: true }, { appName: 'Pushdesk' }), 'hint')).toEqual(['boolean:suppress-sound:true']);
  });

  it('replaces the remembered notification only when the request asks to replace and an id is known', () => {
    const tagged = { ...base, tag: 'seq:c1:42' };
    expect(options(notifySendArgs({ ...tagged, replace: true }, { appName: 'Pushdesk', knownId: 17 }), 'replace-id')).toEqual(['17']);
    expect(options(notifySendArgs({ ...tagged, replace: true }, { appName: 'Pushdesk' }), 'replace-id')).toEqual([]);
    expect(options(notifySendArgs({ ...tagged, replace: false }, { appName: 'Pushdesk', knownId: 17 }), 'replace-id')).toEqual([]);
    expect(options(notifySendArgs(tagged, { appName: 'Pushdesk', knownId: 17 }), 'replace-id')).toEqual([]);
    expect(options(notifySendArgs({ ...tagged, replace: true }, { appName: 'Pushdesk', knownId: 0 }), 'replace-id')).toEqual([]);
  });

  it('names buttons by index, so ids never reach the command line, and adds them only when asked', () => {
    const request = {
      ...base,
      actions: [
        { id: 'ack=now', label: 'Acknowledge' },
        { id: '--help', label: 'Snooze = 1 h' },
      ],
    };
    expect(options(notifySendArgs(request, { appName: 'Pushdesk', withActions: true }), 'action')).toEqual(['action-0=Acknowledge', 'action-1=Snooze = 1 h']);
    expect(options(notifySendArgs(request, { appName: 'Pushdesk' }), 'action')).toEqual([]);
  });

  it('adds the default action for clicks when asked, before the buttons', () => {
    const request = { ...base, actions: [{ id: 'ack', label: 'Acknowledge' }] };
    expect(options(notifySendArgs(request, { appName: 'Pushdesk', withActions: true, reportClick: true }), 'action')).toEqual([
      'default=Open',
      'action-0=Acknowledge',
    ]);
    expect(options(notifySendArgs(base, { appName: 'Pushdesk', reportClick: true }), 'action')).toEqual(['default=Open']);
  });

  it('passes a configured icon and category', () => {
    const argv = notifySendArgs(base, { appName: 'Pushdesk', iconPath: '/opt/pushdesk/icon.png', category: 'device' });
    expect(options(argv, 'icon')).toEqual(['/opt/pushdesk/icon.png']);
    expect(options(argv, 'category')).toEqual(['device']);
    expect(options(notifySendArgs(base, { appName: 'Pushdesk', iconPath: '' }), 'icon')).toEqual([]);
  });

  it('escapes markup in the body only, and protects texts that start with a dash', () => {
    const argv = notifySendArgs({ ...base, title: '-u critical <b>', body: '--help & <i>x</i>' }, { appName: 'Pushdesk' });
    expect(texts(argv)).toEqual(['\u2060-u critical <b>', '\u2060--help &amp; &lt;i&gt;x&lt;/i&gt;']);
    expect(argv.filter((a) => a === '--')).toHaveLength(1);
  });

  it('protects a button label that starts with a dash', () => {
    const argv = notifySendArgs({ ...base, actions: [{ id: 'x', label: '-w' }] }, { appName: 'Pushdesk', withActions: true });
    expect(options(argv, 'action')).toEqual(['action-0=\u2060-w']);
  });

  it('removes NUL bytes from every text it passes', () => {
    const argv = notifySendArgs(
      { ...base, title: 'a\0b', body: '\0c\0', replace: true, actions: [{ id: 'i', label: 'O\0K' }] },
      { appName: 'Push\0desk', iconPath: '/tmp/i\0con.png', category: 'im\0.received', withActions: true },
    );
    expect(argv.some((a) => a.includes('\0'))).toBe(false);
    expect(texts(argv)).toEqual(['ab', 'c']);
    expect(options(argv, 'app-name')).toEqual(['Pushdesk']);
    expect(options(argv, 'action')).toEqual(['action-0=OK']);
    expect(options(argv, 'icon')).toEqual(['/tmp/icon.png']);
  });

  it('uses the app name as summary when the title is empty, which notify-send refuses', () => {
    expect(texts(notifySendArgs({ ...base, title: '', body: '' }, { appName: 'Pushdesk' }))).toEqual(['Pushdesk', '']);
    expect(texts(notifySendArgs({ ...base, title: '\0' }, { appName: 'Pushdesk' }))[0]).toBe('Pushdesk');
  });

  it('shortens a huge body to 10,000 characters without splitting a character', () => {
    const body = '😀'.repeat(20_000);
    const [, sent] = texts(notifySendArgs({ ...base, body }, { appName: 'Pushdesk' }));
    expect(Array.from(sent as string)).toHaveLength(10_000);
    expect((sent as string).endsWith('…')).toBe(true);
    expect(Array.from(sent as string).every((c) => c === '😀' || c === '…')).toBe(true);
  });
});

describe('eventForOutput', () => {
  const request: NotificationRequest = {
    ...base,
    tag: 'seq:c1:42',
    actions: [
      { id: 'ack', label: 'Acknowledge' },
      { id: 'snooze', label: 'Snooze' },
    ],
  };

  it('reads "default" as a click on the notification', () => {
    expect(eventForOutput(request, 'default')).toEqual({ kind: 'click', tag: 'seq:c1:42', seq: 7 });
  });

  it('maps a button back to the id of the request', () => {
    expect(eventForOutput(request, 'action-1')).toEqual({ kind: 'action', tag: 'seq:c1:42', seq: 7, actionId: 'snooze' });
    expect(eventForOutput(request, 'action-0')).toEqual({ kind: 'action', tag: 'seq:c1:42', seq: 7, actionId: 'ack' });
  });

  it('ignores names it did not give', () => {
    expect(eventForOutput(request, 'action-2')).toBeUndefined();
    expect(eventForOutput(request, 'ack')).toBeUndefined();
    expect(eventForOutput(request, '')).toBeUndefined();
  });

  it("reports an empty tag for a request without one", () => {
    expect(eventForOutput(base, 'default')).toEqual({ kind: 'click', tag: '', seq: 7 });
  });
});
