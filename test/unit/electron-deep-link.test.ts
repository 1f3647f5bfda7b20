import { describe, expect, it } from 'vitest';
import type { Logger } from '../../electron/core/logger.ts';
import {
  deepLinkFromArgv,
  handleDeepLink,
  MAX_LINK_LENGTH,
  parseDeepLink,
  type DeepLinkActions,
  type DeepLinkResult,
} from '../../electron/main/deep-link.ts';

const reason = (result: DeepLinkResult): string => (result.ok ? `accepted: ${JSON.stringify(result.link)}` : result.reason);

describe('parsing pushdesk:// links', () => {
  it('opens a message by its number', () => {
    expect(parseDeepLink('pushdesk://message/42')).toEqual({ ok: true, link: { kind: 'message', seq: 42 } });
    // Windows appends a slash to some links; the scheme and kind are not case-sensitive.
    expect(parseDeepLink('pushdesk://message/42/')).toEqual({ ok: true, link: { kind: 'message', seq: 42 } });
    expect(parseDeepLink('PushDesk://Message/7')).toEqual({ ok: true, link: { kind: 'message', seq: 7 } });
  });

  it.each([
    ['pushdesk://message/', /needs a message number/],
    ['pushdesk://message/0', /needs a message number/],
    ['pushdesk://message/-1', /needs a message number/],
    ['pushdesk://message/1.5', /needs a message number/],
    ['pushdesk://message/007', /needs a message number/],
    ['pushdesk://message/0x10', /needs a message number/],
    ['pushdesk://message/1e3', /needs a message number/],
    ['pushdesk://message/12abc', /needs a message number/],
    ['pushdesk://message/1/2', /needs a message number/],
    ['pushdesk://message/%31', /needs a message number/],
    ['pushdesk://message/99999999999999999', /too large/],
    ['pushdesk://message/9007199254740993', /too large/],
    ['pushdesk://message/5?x=1', /takes no parameters/],
  ])('refuses a bad message number: %s', (link, why) => {
    expect(reason(parseDeepLink(link))).toMatch(why);
  });

  it('opens a channel by its percent-encoded name', () => {
    expect(parseDeepLink('pushdesk://channel/Ops')).toEqual({ ok: true, link: { kind: 'channel', channel: 'Ops' } });
    expect(parseDeepLink('pushdesk://channel/Build%20Alerts%2FCI')).toEqual({ ok: true, link: { kind: 'channel', channel: 'Build Alerts/CI' } });
    expect(parseDeepLink('pushdesk://channel/%E8%BF%90%E7%BB%B4')).toEqual({ ok: true, link: { kind: 'channel', channel: '运维' } });
  });

  it.each([
    ['pushdesk://channel/', /needs a name/],
    ['pushdesk://channel/%20%20', /is empty/],
    ['pushdesk://channel/a/b', /encode "\/"/],
    ['pushdesk://channel/%E0%A4%A', /badly percent-encoded/],
    ['pushdesk://channel/Ops%0Aevil', /control/],
    ['pushdesk://channel/abc%E2%80%AEgpj.exe', /text-direction/],
    [`pushdesk://channel/${'a'.repeat(101)}`, /longer than 100/],
    ['pushdesk://channel/Ops?select=1', /takes no parameters/],
  ])('refuses a bad channel link: %s', (link, why) => {
    expect(reason(parseDeepLink(link))).toMatch(why);
  });

  it('proposes a connection with its address and an optional name', () => {
    expect(parseDeepLink('pushdesk://add-connection?url=mqtts%3A%2F%2Fbroker.example.com%3A8883&name=Office%20broker')).toEqual({
      ok: true,
      link: { kind: 'add-connection', url: 'mqtts://broker.example.com:8883', name: 'Office broker' },
    });
    expect(parseDeepLink('pushdesk://add-connection/?url=https://ntfy.example.com')).toEqual({
      ok: true,
      link: { kind: 'add-connection', url: 'https://ntfy.example.com/', name: undefined },
    });
    // The host is shown as the browser would resolve it: a look-alike Unicode host appears as punycode.
    expect(parseDeepLink('pushdesk://add-connection?url=wss%3A%2F%2F%D0%B0pple.com%2Fmqtt')).toMatchObject({
      ok: true,
      link: { url: 'wss://xn--pple-43d.com/mqtt' },
    });
  });

  it.each([
    ['pushdesk://add-connection', /needs \?url=/],
    ['pushdesk://add-connection?', /needs \?url=/],
    ['pushdesk://add-connection?name=x', /needs \?url=/],
    ['pushdesk://add-connection?url=', /needs \?url=/],
    ['pushdesk://add-connection?url=javascript:alert(1)', /must start with mqtt/],
    ['pushdesk://add-connection?url=file:///etc/passwd', /must start with mqtt/],
    ['pushdesk://add-connection?url=not%20a%20url', /spaces/],
    ['pushdesk://add-connection?url=mqtt%3A%2F%2Fuser%3Apw%40broker.example', /user name or password/],
    ['pushdesk://add-connection?url=mqtt://a.example&url=mqtt://b.example', /given twice/],
    ['pushdesk://add-connection?url=mqtt://a.example&password=x', /unknown parameter "password"/],
    ['pushdesk://add-connection?url=mqtt://a.example&name=%E2%80%AEevil', /text-direction/],
    [`pushdesk://add-connection?url=mqtt://a.example&name=${'n'.repeat(65)}`, /longer than 64/],
    [`pushdesk://add-connection?url=mqtt://${'h'.repeat(1100)}.example`, /longer than 1024/],
    ['pushdesk://add-connection?url=%ZZ', /badly percent-encoded/],
    ['pushdesk://add-connection/extra?url=mqtt://a.example', /has no path/],
  ])('refuses a bad add-connection link: %s', (link, why) => {
    expect(reason(parseDeepLink(link))).toMatch(why);
  });

  it.each([
    [42, /not a string/],
    ['', /not a pushdesk/],
    ['https://example.com/message/1', /scheme is "https"/],
    ['pushdeskx://message/1', /scheme is "pushdeskx"/],
    ['pushdesk:message/1', /not a pushdesk/],
    ['pushdesk:/message/1', /not a pushdesk/],
    ['pushdesk://message/1#top', /fragment/],
    ['pushdesk://user:pw@message/1', /user name or password/],
    ['pushdesk://message:8080/1', /port/],
    ['pushdesk://settings/reset', /not a kind of link/],
    ['pushdesk://message/1 --inspect', /spaces/],
    ['pushdesk://message/1"--gpu-launcher=calc', /needs a message number/],
    ['pushdesk://message/1\u0000', /control/],
    ['pushdesk://channel/Öps', /non-ASCII/],
    [`pushdesk://channel/${'a'.repeat(MAX_LINK_LENGTH)}`, /longer than 2048/],
  ])('refuses anything else: %s', (link, why) => {
    expect(reason(parseDeepLink(link))).toMatch(why);
  });
});

describe('finding a link among command-line arguments', () => {
  it('takes the pushdesk:// argument wherever Chromium put it', () => {
    expect(deepLinkFromArgv(['C:\\Pushdesk\\Pushdesk.exe', '--allow-file-access-from-files', '--', 'pushdesk://message/3'])).toBe('pushdesk://message/3');
    expect(deepLinkFromArgv(['/opt/Pushdesk/pushdesk', 'PUSHDESK://channel/Ops', '--no-sandbox'])).toBe('PUSHDESK://channel/Ops');
    expect(deepLinkFromArgv(['/opt/Pushdesk/pushdesk', '--data-dir', '/tmp/x'])).toBeUndefined();
  });
});

describe('acting on a link', () => {
  const setup = (answer: boolean) => {
    const done: string[] = [];
    const logged: [string, string, unknown][] = [];
    const logger: Logger = {
      info: (m, f) => logged.push(['info', m, f]),
      warn: (m, f) => logged.push(['warn', m, f]),
      error: (m, f) => logged.push(['error', m, f]),
    };
    const actions: DeepLinkActions = {
      logger,
      openMessage: (seq) => done.push(`message ${seq}`),
      openChannel: (channel) => done.push(`channel ${channel}`),
      confirmAddConnection: async (url, name) => (done.push(`asked ${url} ${name}`), answer),
      addConnection: (url) => void done.push(`added ${url}`),
    };
    return { done, logged, actions };
  };

  it('opens a message or a channel', async () => {
    const { done, actions } = setup(false);
    await handleDeepLink('pushdesk://message/9', actions);
    await handleDeepLink('pushdesk://channel/Ops', actions);
    expect(done).toEqual(['message 9', 'channel Ops']);
  });

  it('adds a connection only when the person says yes', async () => {
    const declined = setup(false);
    await handleDeepLink('pushdesk://add-connection?url=mqtt://a.example&name=A', declined.actions);
    expect(declined.done).toEqual(['asked mqtt://a.example A']);
    const accepted = setup(true);
    await handleDeepLink('pushdesk://add-connection?url=mqtt://a.example&name=A', accepted.actions);
    expect(accepted.done).toEqual(['asked mqtt://a.example A', 'added mqtt://a.example']);
  });

  it('does nothing for a refused link but log why, without the link itself', async () => {
    const { done, logged, actions } = setup(true);
    const raw = 'pushdesk://add-connection?url=mqtt%3A%2F%2Fme%3Asecret%40a.example';
    const link = await handleDeepLink(raw, actions);
    expect(link).toBeUndefined();
    expect(done).toEqual([]);
    expect(logged).toEqual([['warn', 'pushdesk:// link refused', { reason: 'the server address must not carry a user name or password', length: raw.length }]]);
    expect(JSON.stringify(logged)).not.toContain('secret');
  });
});
