import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../electron/core/config/policy.ts';
import { MAC_PREFERENCES_DOMAIN, WINDOWS_POLICY_KEY, WINDOWS_POLICY_VALUE, WINDOWS_SWITCHES } from '../../electron/core/config/policy-sources.ts';

/**
 * The Group Policy template (build/policy/pushdesk.admx with en-US/pushdesk.adml) and the macOS
 * configuration profile example: well-formed, agreeing with each other, and writing what Pushdesk's
 * policy reader (electron/core/config/policy-sources.ts) reads.
 */
const POLICY_DIR = fileURLToPath(new URL('../../build/policy', import.meta.url));
const GP_NAMESPACE = 'http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions';

// Both come with electron-builder (plist, which it uses for Info.plist, parses with @xmldom/xmldom).
const require = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const plistRequire = createRequire(require.resolve('plist'));
const { DOMParser } = plistRequire('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: Record<'warning' | 'error' | 'fatalError', (message: string) => void> }) => {
    parseFromString(text: string, type: string): XmlDocument;
  };
};
const plist = plistRequire('plist') as { parse(text: string): unknown };

interface XmlElement {
  readonly localName: string;
  readonly namespaceURI: string | null;
  readonly textContent: string | null;
  readonly parentNode: XmlElement | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
  readonly attributes: ArrayLike<{ name: string; value: string }>;
  readonly childNodes: ArrayLike<XmlElement & { nodeType: number }>;
}
interface XmlDocument {
  readonly documentElement: XmlElement;
}

/** Parses strictly: any warning or error of the parser fails the test, naming the file. */
function parseXml(file: string): XmlDocument {
  const problems: string[] = [];
  const report = (message: string) => problems.push(message);
  const text = readFileSync(join(POLICY_DIR, file), 'utf8');
  const document = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(text, 'text/xml');
  expect(problems, file).toEqual([]);
  return document;
}

const all = (root: XmlElement, name: string): XmlElement[] => Array.from(root.getElementsByTagName(name));
const children = (element: XmlElement): XmlElement[] => Array.from(element.childNodes).filter((node) => node.nodeType === 1);
const attribute = (element: XmlElement, name: string): string => {
  expect(element.hasAttribute(name), `<${element.localName}> has ${name}`).toBe(true);
  return element.getAttribute(name) as string;
};
/** An attribute that may be absent (xmldom's getAttribute answers "" then). */
const optional = (element: XmlElement | undefined, name: string): string | null => (element?.hasAttribute(name) ? element.getAttribute(name) : null);
/** Every `$(kind.id)` reference in the attributes below an element. */
function references(root: XmlElement, kind: 'string' | 'presentation'): string[] {
  const found: string[] = [];
  const visit = (element: XmlElement): void => {
    for (const { value } of Array.from(element.attributes)) for (const [, id] of value.matchAll(new RegExp(`\\$\\(${kind}\\.([^)]+)\\)`, 'g'))) found.push(id as string);
    children(element).forEach(visit);
  };
  visit(root);
  return found;
}

const admx = parseXml('pushdesk.admx').documentElement;
const adml = parseXml('en-US/pushdesk.adml').documentElement;
const strings = new Map(all(adml, 'string').map((s) => [attribute(s, 'id'), s.textContent ?? '']));
const presentations = new Map(all(adml, 'presentation').map((p) => [attribute(p, 'id'), p]));
const policies = all(admx, 'policy');
const policyNamed = (name: string): XmlElement => {
  const found = policies.find((p) => p.getAttribute('name') === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
};

describe('the Group Policy template', () => {
  it('is an ADMX and an ADML in the Group Policy namespace, of the same revision', () => {
    expect([admx.localName, admx.namespaceURI]).toEqual(['policyDefinitions', GP_NAMESPACE]);
    expect([adml.localName, adml.namespaceURI]).toEqual(['policyDefinitionResources', GP_NAMESPACE]);
    expect(attribute(adml, 'revision')).toBe(attribute(admx, 'revision'));
    const required = attribute(all(admx, 'resources')[0] as XmlElement, 'minRequiredRevision');
    expect(Number(attribute(adml, 'revision'))).toBeGreaterThanOrEqual(Number(required));
    expect(all(admx, 'target').map((t) => attribute(t, 'prefix'))).toEqual(['pushdesk']);
  });

  it('has every string and presentation it names in the ADML, and nothing the ADMX does not use', () => {
    const usedStrings = new Set(references(admx, 'string'));
    for (const id of usedStrings) expect(strings.has(id), `string ${id}`).toBe(true);
    expect([...strings.keys()].filter((id) => !usedStrings.has(id))).toEqual([]);
    for (const id of strings.keys()) expect(strings.get(id)?.trim(), `string ${id} has text`).not.toBe('');
    const usedPresentations = new Set(references(admx, 'presentation'));
    for (const id of usedPresentations) expect(presentations.has(id), `presentation ${id}`).toBe(true);
    expect([...presentations.keys()].filter((id) => !usedPresentations.has(id))).toEqual([]);
    // Ids are unique within each table.
    expect(strings.size).toBe(all(adml, 'string').length);
    expect(presentations.size).toBe(all(adml, 'presentation').length);
  });

  it('gives each policy element a control in its presentation, and each control an element', () => {
    for (const policy of policies) {
      const elements = all(policy, 'elements').flatMap(children);
      const presentation = optional(policy, 'presentation');
      if (elements.length === 0) {
        expect(presentation, `${policy.getAttribute('name')} has nothing to present`).toBeNull();
        continue;
      }
      const controls = children(presentations.get(/^\$\(presentation\.(.+)\)$/.exec(presentation ?? '')?.[1] ?? '') as XmlElement);
      expect(controls.map((c) => attribute(c, 'refId')).sort()).toEqual(elements.map((e) => attribute(e, 'id')).sort());
      // A text element shows in a textBox (with a label); other pairings would not show in the editor.
      const kinds: Record<string, string> = { text: 'textBox', multiText: 'multiTextBox', decimal: 'decimalTextBox', boolean: 'checkBox', enum: 'dropdownList', list: 'listBox' };
      for (const element of elements) {
        const control = controls.find((c) => c.getAttribute('refId') === element.getAttribute('id')) as XmlElement;
        expect(control.localName).toBe(kinds[element.localName]);
        if (control.localName === 'textBox') expect(all(control, 'label')).toHaveLength(1);
      }
    }
  });

  it('refers only to categories and platforms it defines', () => {
    const categories = new Set(all(admx, 'category').map((c) => attribute(c, 'name')));
    const platforms = new Set(all(admx, 'definition').map((d) => attribute(d, 'name')));
    for (const policy of policies) {
      expect(categories.has(attribute(all(policy, 'parentCategory')[0] as XmlElement, 'ref'))).toBe(true);
      expect(platforms.has(attribute(all(policy, 'supportedOn')[0] as XmlElement, 'ref'))).toBe(true);
    }
    expect(new Set(policies.map((p) => attribute(p, 'name'))).size).toBe(policies.length);
  });

  it('writes the JSON policy where Pushdesk reads it: HKLM\\Software\\Policies\\Pushdesk, Policy, a REG_SZ', () => {
    const policy = policyNamed('Policy');
    expect(attribute(policy, 'class')).toBe('Machine');
    expect(`HKLM\\${attribute(policy, 'key')}`).toBe(WINDOWS_POLICY_KEY);
    const [text, ...others] = all(policy, 'elements').flatMap(children);
    expect(others).toEqual([]);
    expect(text?.localName).toBe('text');
    expect(optional(text, 'valueName')).toBe(WINDOWS_POLICY_VALUE);
    // REG_SZ: not expandable (REG_EXPAND_SZ), not a multiText (REG_MULTI_SZ); room for a long policy.
    expect(optional(text, 'expandable') ?? 'false').toBe('false');
    expect(Number(optional(text, 'maxLength'))).toBeGreaterThanOrEqual(100_000);
    expect(optional(text, 'key') ?? attribute(policy, 'key')).toBe(attribute(policy, 'key'));
  });

  it("offers each of the reader's switches as an on/off policy writing a REG_DWORD 1 or 0", () => {
    const switches = policies.filter((p) => p.hasAttribute('valueName'));
    expect(switches.map((p) => attribute(p, 'valueName')).sort()).toEqual([...WINDOWS_SWITCHES].sort());
    for (const policy of switches) {
      expect(attribute(policy, 'class')).toBe('Machine');
      expect(`HKLM\\${attribute(policy, 'key')}`).toBe(WINDOWS_POLICY_KEY);
      expect(all(all(policy, 'enabledValue')[0] as XmlElement, 'decimal').map((d) => d.getAttribute('value'))).toEqual(['1']);
      expect(all(all(policy, 'disabledValue')[0] as XmlElement, 'decimal').map((d) => d.getAttribute('value'))).toEqual(['0']);
    }
  });

  it('gives an example in its explanation that is a valid policy', () => {
    const example = /^\{.*\}$/m.exec(strings.get('Policy_Explain') ?? '')?.[0];
    expect(example).toBeDefined();
    expect(parsePolicy(JSON.parse(example as string), 'the ADML example').error).toBeUndefined();
  });
});

describe('the macOS configuration profile example', () => {
  const text = readFileSync(join(POLICY_DIR, 'com.pushdesk.app.mobileconfig'), 'utf8');
  const profile = plist.parse(text) as Record<string, unknown> & { PayloadContent: Record<string, unknown>[] };

  it('is a well-formed property list', () => {
    parseXml('com.pushdesk.app.mobileconfig');
    expect(profile).toMatchObject({ PayloadType: 'Configuration', PayloadVersion: 1, PayloadScope: 'System' });
  });

  it('sets the Policy key of the com.pushdesk.app domain, which Pushdesk reads', () => {
    expect(profile.PayloadContent).toHaveLength(1);
    const [payload] = profile.PayloadContent;
    expect(payload).toMatchObject({ PayloadType: MAC_PREFERENCES_DOMAIN, PayloadVersion: 1, PayloadEnabled: true });
    expect(typeof payload?.[WINDOWS_POLICY_VALUE]).toBe('string');
  });

  it('holds a valid policy as its JSON string, without passwords', () => {
    const policy = JSON.parse(profile.PayloadContent[0]?.[WINDOWS_POLICY_VALUE] as string) as Record<string, unknown>;
    expect(parsePolicy(policy, 'the profile example')).toEqual({ policy: expect.any(Object), error: undefined });
    expect(JSON.stringify(policy)).not.toMatch(/"password"/);
  });

  it('has its own UUID and identifier for the profile and for the payload', () => {
    const uuid = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;
    const [payload] = profile.PayloadContent;
    expect(profile.PayloadUUID).toMatch(uuid);
    expect(payload?.PayloadUUID).toMatch(uuid);
    expect(payload?.PayloadUUID).not.toBe(profile.PayloadUUID);
    expect(payload?.PayloadIdentifier).not.toBe(profile.PayloadIdentifier);
  });
});
