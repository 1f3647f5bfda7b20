/**
 * Managed policy from the operating system's own management channels (docs/policy.md):
 *
 * - Windows: the registry key `HKLM\Software\Policies\Pushdesk` (Group Policy, Intune), read with
 *   `reg query`. Its `Policy` value (REG_SZ) holds the whole policy as JSON; REG_DWORD values named
 *   after the policy's simple switches (`readReceipts`, `startAtLogin`, `urgentBypassesQuietHours`)
 *   set those, over the JSON.
 * - macOS: the managed preferences of the app's domain, `/Library/Managed Preferences/com.pushdesk.app.plist`
 *   (a configuration profile from the MDM), converted with `plutil -convert json -o - <file>`. A key
 *   `Policy` holding the policy as a JSON string, or else the keys themselves as the policy.
 *
 * Either one, when present, takes precedence over the policy.json file (which is then not read).
 *
 * The commands and files are reached only through `PolicySourceDeps`, so all of it is testable on any
 * platform; `systemPolicySources()` gives the real ones. Nothing here throws.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** A policy as read from a source, not yet validated (policy.ts's parsePolicy does that). */
export interface ManagedPolicy {
  /** The policy object (or whatever the source held, for the schema to refuse). */
  readonly raw: unknown;
  /** Where it came from, in words for errors and the UI: the registry key or the plist file. */
  readonly source: string;
  /** Set when the source exists but cannot be read or is not JSON: why, naming the value. Not applied then. */
  readonly error?: string | undefined;
}

/** The result of running a command. */
export interface CommandResult {
  /** The exit code; null when it could not run or was killed. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr?: string | undefined;
}

/** What the sources need from the system. */
export interface PolicySourceDeps {
  /** Runs a program without a shell. Must not throw: a failure is a non-zero or null status. */
  readonly exec: (file: string, args: readonly string[]) => CommandResult;
  readonly exists: (path: string) => boolean;
  readonly readFile: (path: string) => string;
}

/** The registry key of the policy (Group Policy's place for an application's policies). */
export const WINDOWS_POLICY_KEY = 'HKLM\\Software\\Policies\\Pushdesk';
/** The name of the value holding the whole policy as JSON. */
export const WINDOWS_POLICY_VALUE = 'Policy';
/** The policy's simple switches that may also be given as REG_DWORD values (0 or 1). */
export const WINDOWS_SWITCHES = ['readReceipts', 'startAtLogin', 'urgentBypassesQuietHours'] as const;

/** The macOS preferences domain: the app's bundle id. */
export const MAC_PREFERENCES_DOMAIN = 'com.pushdesk.app';
/** The computer-wide managed preferences file an MDM's configuration profile produces. */
export const MAC_MANAGED_PREFERENCES = `/Library/Managed Preferences/${MAC_PREFERENCES_DOMAIN}.plist`;

/** One value of a registry key as `reg query` prints it. */
export interface RegistryValue {
  readonly name: string;
  /** REG_SZ, REG_DWORD, REG_MULTI_SZ, … */
  readonly type: string;
  /** As printed: REG_DWORD as 0x…, REG_MULTI_SZ with `\0` between the strings. */
  readonly data: string;
}

/**
 * Parses the output of `reg query <key>` (or `… /v <name>`): a line naming the key, then one line per
 * value, indented by four spaces, with name, type and data separated by four spaces:
 *
 * ```text
 * HKEY_LOCAL_MACHINE\Software\Policies\Pushdesk
 *     Policy    REG_SZ    {"lock":["heartbeat"]}
 *     readReceipts    REG_DWORD    0x0
 * ```
 *
 * Subkeys (lines without indentation after the first) and their values are ignored: with `/s` absent,
 * reg prints only the subkeys' names.
 */
export function parseRegQuery(output: string): RegistryValue[] {
  const values: RegistryValue[] = [];
  for (const line of output.split(/\r?\n/)) {
    const match = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/.exec(line);
    if (match === null) continue;
    // The default value prints as "(Default)" (or a translation of it); nothing here uses it.
    values.push({ name: match[1] as string, type: match[2] as string, data: match[3] ?? '' });
  }
  return values;
}

/** The text of a string value, or undefined for other types. REG_MULTI_SZ lines are joined with newlines. */
function stringOf(value: RegistryValue): string | undefined {
  if (value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ') return value.data;
  if (value.type === 'REG_MULTI_SZ') return value.data.split('\\0').join('\n');
  return undefined;
}

/**
 * Reads the policy from the Windows registry, or undefined when the key does not exist or holds none
 * of the values above.
 */
export function readWindowsRegistryPolicy(deps: Pick<PolicySourceDeps, 'exec'>): ManagedPolicy | undefined {
  const source = `registry ${WINDOWS_POLICY_KEY}`;
  // The 64-bit view: the one Group Policy writes, whatever the bitness of the running program.
  const result = deps.exec('reg', ['query', WINDOWS_POLICY_KEY, '/reg:64']);
  // reg exits with 1 when the key does not exist: no policy there.
  if (result.status !== 0) return undefined;
  const values = parseRegQuery(result.stdout);
  const byName = new Map(values.map((v) => [v.name.toLowerCase(), v]));
  const policyValue = byName.get(WINDOWS_POLICY_VALUE.toLowerCase());
  const switches = WINDOWS_SWITCHES.filter((name) => byName.has(name.toLowerCase()));
  if (policyValue === undefined && switches.length === 0) return undefined;
  let raw: Record<string, unknown> = {};
  if (policyValue !== undefined) {
    const text = stringOf(policyValue);
    if (text === undefined) return { raw: undefined, source, error: `the value ${WINDOWS_POLICY_VALUE} must be a string (REG_SZ) holding the policy as JSON, not ${policyValue.type}` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { raw: undefined, source, error: `the value ${WINDOWS_POLICY_VALUE} is not valid JSON: ${(error as Error).message}` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { raw: undefined, source, error: `the value ${WINDOWS_POLICY_VALUE} must hold a JSON object` };
    }
    raw = parsed as Record<string, unknown>;
  }
  for (const name of switches) {
    const value = byName.get(name.toLowerCase()) as RegistryValue;
    const number = value.type === 'REG_DWORD' ? Number.parseInt(value.data, 16) : Number.NaN;
    if (number !== 0 && number !== 1) return { raw: undefined, source, error: `the value ${name} must be a REG_DWORD, 0 or 1` };
    raw = { ...raw, [name]: number === 1 };
  }
  return { raw, source };
}

/** Keys the management system may add to a managed preferences file that are not the app's settings. */
const MAC_BOOKKEEPING_KEY = /^(Payload|mcx_)/;

/**
 * Reads the policy from macOS managed preferences, or undefined when the file does not exist.
 */
export function readMacManagedPreferences(deps: PolicySourceDeps, path: string = MAC_MANAGED_PREFERENCES): ManagedPolicy | undefined {
  if (!deps.exists(path)) return undefined;
  const source = `managed preferences ${path}`;
  const result = deps.exec('plutil', ['-convert', 'json', '-o', '-', path]);
  if (result.status !== 0) {
    const why = (result.stderr ?? '').trim().slice(0, 300);
    return { raw: undefined, source, error: `plutil could not read the file${why === '' ? '' : `: ${why}`}` };
  }
  let prefs: unknown;
  try {
    prefs = JSON.parse(result.stdout);
  } catch (error) {
    return { raw: undefined, source, error: `plutil gave no JSON: ${(error as Error).message}` };
  }
  if (prefs === null || typeof prefs !== 'object' || Array.isArray(prefs)) return { raw: undefined, source, error: 'the preferences are not a dictionary' };
  const keys = Object.fromEntries(Object.entries(prefs).filter(([key]) => !MAC_BOOKKEEPING_KEY.test(key)));
  if (WINDOWS_POLICY_VALUE in keys) {
    const text = keys[WINDOWS_POLICY_VALUE];
    if (typeof text !== 'string') return { raw: undefined, source, error: `the key ${WINDOWS_POLICY_VALUE} must be a string holding the policy as JSON` };
    try {
      return { raw: JSON.parse(text), source };
    } catch (error) {
      return { raw: undefined, source, error: `the key ${WINDOWS_POLICY_VALUE} is not valid JSON: ${(error as Error).message}` };
    }
  }
  return { raw: keys, source };
}

/**
 * The managed policy from the platform's management channel, when there is one: the Windows registry,
 * or macOS managed preferences. Undefined elsewhere and when none is set; the policy.json file applies then.
 *
 * Pass the result to loadConfigWithPolicy as `managed`: it takes precedence over the policy file.
 */
export function loadManagedPolicy(platform: NodeJS.Platform, deps: PolicySourceDeps): ManagedPolicy | undefined {
  try {
    if (platform === 'win32') return readWindowsRegistryPolicy(deps);
    if (platform === 'darwin') return readMacManagedPreferences(deps);
  } catch (error) {
    // The deps promise not to throw; a source that does anyway must not stop the app unconfigured.
    return { raw: undefined, source: platform === 'win32' ? `registry ${WINDOWS_POLICY_KEY}` : `managed preferences ${MAC_MANAGED_PREFERENCES}`, error: (error as Error).message };
  }
  return undefined;
}

/** The real commands and files: `reg` and `plutil` run without a shell, with a 10 s limit. */
export function systemPolicySources(): PolicySourceDeps {
  return {
    exec: (file, args) => {
      const result = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000, windowsHide: true, maxBuffer: 4 * 1024 * 1024 });
      return { status: result.error === undefined ? result.status : null, stdout: result.stdout ?? '', stderr: result.stderr ?? (result.error?.message ?? '') };
    },
    exists: (path) => existsSync(path),
    readFile: (path) => readFileSync(path, 'utf8'),
  };
}
