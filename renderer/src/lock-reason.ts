import type { TFunction } from 'i18next';

/**
 * A lock reason the core sends (in English) in the forms it writes them (electron/core/settings/user-settings.ts
 * lockReason and connectionLockedReason):
 *
 * - "Set by your organisation (managed policy /etc/pushdesk/policy.json)", or "(managed policy)" without a file;
 * - "Set up by your organisation (managed policy …)" for a connection the policy provides;
 * - also "Set by your organisation (/etc/pushdesk/policy.json)" and "Set by your organisation" alone.
 *
 * The source is the policy's file, or "registry HKLM\…" (Windows) or "managed preferences /Library/…" (macOS).
 */
export interface KnownLockReason {
  /** "Set by" a setting, "Set up by" a connection the organisation provides. */
  readonly kind: 'set' | 'setUp';
  /** Where the policy comes from, when the reason names it. */
  readonly source: { readonly kind: 'file' | 'registry' | 'preferences'; readonly where: string } | undefined;
}

const ORGANISATION = /^Set (by|up by) your organisation(?: \((.*)\))?\.?$/s;

/** The parts of a lock reason in one of the core's forms; undefined for anything else. */
export function parseLockReason(reason: string): KnownLockReason | undefined {
  const match = ORGANISATION.exec(reason.trim());
  if (!match) return undefined;
  const kind = match[1] === 'by' ? 'set' : 'setUp';
  let inside = (match[2] ?? '').trim();
  if (inside === 'managed policy') inside = '';
  else if (inside.startsWith('managed policy ')) inside = inside.slice('managed policy '.length).trim();
  if (inside === '') return { kind, source: undefined };
  if (inside.startsWith('registry ')) return { kind, source: { kind: 'registry', where: inside.slice('registry '.length) } };
  if (inside.startsWith('managed preferences ')) return { kind, source: { kind: 'preferences', where: inside.slice('managed preferences '.length) } };
  return { kind, source: { kind: 'file', where: inside } };
}

/** A lock reason in the window's language: the core's known forms translated, anything else as given. */
export function localiseLockReason(reason: string, t: TFunction): string {
  const known = parseLockReason(reason);
  if (!known) return reason;
  if (!known.source) return t(known.kind === 'set' ? 'lock.set' : 'lock.setUp');
  const source =
    known.source.kind === 'file'
      ? known.source.where
      : t(known.source.kind === 'registry' ? 'lock.sourceRegistry' : 'lock.sourcePreferences', { where: known.source.where });
  return t(known.kind === 'set' ? 'lock.setFrom' : 'lock.setUpFrom', { source });
}
