import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigWithPolicy } from '../../electron/core/config/policy.ts';
import {
  loadManagedPolicy,
  MAC_MANAGED_PREFERENCES,
  parseRegQuery,
  readMacManagedPreferences,
  readWindowsRegistryPolicy,
  systemPolicySources,
  type CommandResult,
  type PolicySourceDeps,
} from '../../electron/core/config/policy-sources.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/policy', name), 'utf8');

/** Deps whose commands answer from a table, recording each call; files from a set. */
function fakeDeps(answers: Record<string, CommandResult>, files: readonly string[] = []): PolicySourceDeps & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    exec: (file, args) => {
      calls.push([file, ...args]);
      return answers[file] ?? { status: null, stdout: '', stderr: `${file}: not found` };
    },
    exists: (path) => files.includes(path),
    readFile: () => {
      throw new Error('not used');
    },
  };
}

const REG_MISSING: CommandResult = { status: 1, stdout: '', stderr: 'ERROR: The system was unable to find the specified registry key or value.\r\n' };

describe('parseRegQuery', () => {
  it('reads the values of real reg query output (CRLF, four-space columns, subkeys ignored)', () => {
    const values = parseRegQuery(fixture('reg-query-policy.txt'));
    expect(values.map((v) => [v.name, v.type])).toEqual([
      ['Policy', 'REG_SZ'],
      ['startAtLogin', 'REG_DWORD'],
      ['Notes', 'REG_SZ'],
    ]);
    expect(JSON.parse(values[0]?.data ?? '')).toMatchObject({ heartbeat: { acIntervalSec: 20 } });
    expect(values[1]?.data).toBe('0x1');
    // Data with four spaces in it stays whole.
    expect(values[2]?.data).toBe('set by GPO    2025');
  });

  it('reads an empty string value and a default value', () => {
    expect(parseRegQuery('\r\nHKEY_LOCAL_MACHINE\\X\r\n    (Default)    REG_SZ    \r\n    Empty    REG_SZ\r\n')).toEqual([
      { name: '(Default)', type: 'REG_SZ', data: '' },
      { name: 'Empty', type: 'REG_SZ', data: '' },
    ]);
  });
});

describe('the Windows registry', () => {
  it('gives the Policy value as the policy, with the REG_DWORD switches over it', () => {
    const deps = fakeDeps({ reg: { status: 0, stdout: fixture('reg-query-policy.txt') } });
    const managed = readWindowsRegistryPolicy(deps);
    expect(deps.calls).toEqual([['reg', 'query', 'HKLM\\Software\\Policies\\Pushdesk', '/reg:64']]);
    expect(managed?.source).toBe('registry HKLM\\Software\\Policies\\Pushdesk');
    expect(managed?.error).toBeUndefined();
    expect(managed?.raw).toMatchObject({ readReceipts: false, startAtLogin: true, lock: ['heartbeat', 'readReceipts'], mandatoryChannels: [{ connectionId: 'corp' }] });
  });

  it('takes the simple switches alone', () => {
    const managed = readWindowsRegistryPolicy(fakeDeps({ reg: { status: 0, stdout: fixture('reg-query-switches.txt') } }));
    expect(managed).toEqual({ raw: { readReceipts: false, urgentBypassesQuietHours: true }, source: 'registry HKLM\\Software\\Policies\\Pushdesk' });
  });

  it('is no policy when the key does not exist, or holds nothing of Pushdesk\u2019s', () => {
    expect(readWindowsRegistryPolicy(fakeDeps({ reg: REG_MISSING }))).toBeUndefined();
    expect(readWindowsRegistryPolicy(fakeDeps({ reg: { status: 0, stdout: '\r\nHKEY_LOCAL_MACHINE\\Software\\Policies\\Pushdesk\r\n    Other    REG_SZ    x\r\n' } }))).toBeUndefined();
    expect(readWindowsRegistryPolicy(fakeDeps({}))).toBeUndefined();
  });

  it.each([
    ['    Policy    REG_SZ    {"lock": [', 'the value Policy is not valid JSON'],
    ['    Policy    REG_SZ    [1,2]', 'the value Policy must hold a JSON object'],
    ['    Policy    REG_DWORD    0x1', 'the value Policy must be a string (REG_SZ)'],
    ['    readReceipts    REG_SZ    no', 'the value readReceipts must be a REG_DWORD, 0 or 1'],
    ['    readReceipts    REG_DWORD    0x2', 'the value readReceipts must be a REG_DWORD, 0 or 1'],
  ])('says what is wrong with %j, so the policy is reported and not applied', (line, error) => {
    const managed = readWindowsRegistryPolicy(fakeDeps({ reg: { status: 0, stdout: `\r\nHKEY_LOCAL_MACHINE\\Software\\Policies\\Pushdesk\r\n${line}\r\n\r\n` } }));
    expect(managed?.raw).toBeUndefined();
    expect(managed?.error).toContain(error);
  });

  it('joins the lines of a REG_MULTI_SZ policy', () => {
    const managed = readWindowsRegistryPolicy(fakeDeps({ reg: { status: 0, stdout: '\r\nHKEY_LOCAL_MACHINE\\Software\\Policies\\Pushdesk\r\n    Policy    REG_MULTI_SZ    {"lock":\\0["theme"]}\r\n' } }));
    expect(managed?.raw).toEqual({ lock: ['theme'] });
  });
});

describe('macOS managed preferences', () => {
  it('converts the plist with plutil and takes its keys as the policy, without the profile\u2019s bookkeeping', () => {
    expect(fixture('com.pushdesk.app.plist')).toContain('<key>readReceipts</key>');
    const deps = fakeDeps({ plutil: { status: 0, stdout: fixture('com.pushdesk.app.plutil.json') } }, [MAC_MANAGED_PREFERENCES]);
    const managed = readMacManagedPreferences(deps);
    expect(deps.calls).toEqual([['plutil', '-convert', 'json', '-o', '-', '/Library/Managed Preferences/com.pushdesk.app.plist']]);
    expect(managed).toEqual({
      raw: { readReceipts: false, startAtLogin: true, heartbeat: { acIntervalSec: 20 }, lock: ['heartbeat', 'readReceipts'] },
      source: 'managed preferences /Library/Managed Preferences/com.pushdesk.app.plist',
    });
  });

  it('takes a Policy key holding JSON as the whole policy', () => {
    const deps = fakeDeps({ plutil: { status: 0, stdout: JSON.stringify({ Policy: '{"theme":"dark","lock":["theme"]}', PayloadUUID: 'x' }) } }, [MAC_MANAGED_PREFERENCES]);
    expect(readMacManagedPreferences(deps)?.raw).toEqual({ theme: 'dark', lock: ['theme'] });
  });

  it('is no policy without the file, and never runs plutil then', () => {
    const deps = fakeDeps({});
    expect(readMacManagedPreferences(deps)).toBeUndefined();
    expect(deps.calls).toEqual([]);
  });

  it.each([
    [{ status: 1, stdout: '', stderr: 'Property List error: Unexpected character' }, 'plutil could not read the file: Property List error'],
    [{ status: 0, stdout: 'nope' }, 'plutil gave no JSON'],
    [{ status: 0, stdout: '[1]' }, 'the preferences are not a dictionary'],
    [{ status: 0, stdout: '{"Policy": 3}' }, 'the key Policy must be a string'],
    [{ status: 0, stdout: '{"Policy": "{"}' }, 'the key Policy is not valid JSON'],
  ])('says what is wrong when plutil answers %j', (answer, error) => {
    expect(readMacManagedPreferences(fakeDeps({ plutil: answer }, [MAC_MANAGED_PREFERENCES]))?.error).toContain(error);
  });
});

describe('loadManagedPolicy', () => {
  it('reads the registry on Windows, managed preferences on macOS, and nothing elsewhere', () => {
    const deps = fakeDeps({ reg: { status: 0, stdout: fixture('reg-query-switches.txt') }, plutil: { status: 0, stdout: '{"theme":"light"}' } }, [MAC_MANAGED_PREFERENCES]);
    expect(loadManagedPolicy('win32', deps)?.raw).toEqual({ readReceipts: false, urgentBypassesQuietHours: true });
    expect(loadManagedPolicy('darwin', deps)?.raw).toEqual({ theme: 'light' });
    expect(loadManagedPolicy('linux', deps)).toBeUndefined();
    expect(deps.calls.map((c) => c[0])).toEqual(['reg', 'plutil']);
  });

  it('turns a source that throws into an error, not a crash', () => {
    const deps: PolicySourceDeps = { ...fakeDeps({}), exec: () => { throw new Error('spawn EACCES'); } };
    expect(loadManagedPolicy('win32', deps)).toEqual({ raw: undefined, source: 'registry HKLM\\Software\\Policies\\Pushdesk', error: 'spawn EACCES' });
  });

  it('runs real commands through systemPolicySources, reporting a missing program as a failure', () => {
    const deps = systemPolicySources();
    expect(deps.exec(process.execPath, ['-e', 'process.stdout.write("hi")'])).toMatchObject({ status: 0, stdout: 'hi' });
    expect(deps.exec('pushdesk-no-such-program', []).status).toBeNull();
    expect(deps.exists(tmpdir())).toBe(true);
    expect(deps.exists(join(tmpdir(), 'pushdesk-no-such-file'))).toBe(false);
  });
});

describe('a registry policy through loadConfigWithPolicy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-sources-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('provisions, makes mandatory and locks as the registry says, over the policy file', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections: [], heartbeat: { acIntervalSec: 45 } }));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ heartbeat: { acIntervalSec: 99 }, lock: ['heartbeat'] }));
    const managed = loadManagedPolicy('win32', fakeDeps({ reg: { status: 0, stdout: fixture('reg-query-policy.txt') } }));
    const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false, managed);
    expect(config.heartbeat.acIntervalSec).toBe(20);
    expect(config.connections.map((c) => [c.id, c.subscriptions.map((s) => s.topic)])).toEqual([['corp', ['corp/announcements', 'corp/security']]]);
    expect(policy).toMatchObject({
      source: 'registry HKLM\\Software\\Policies\\Pushdesk',
      readReceipts: false,
      startAtLogin: true,
      provisionedConnections: ['corp'],
      mandatory: [{ connectionId: 'corp', topic: 'corp/security' }],
      locked: ['heartbeat', 'readReceipts'],
      error: undefined,
    });
  });
});
