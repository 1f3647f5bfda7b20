import { useTranslation } from 'react-i18next';
import { localiseLockReason } from './lock-reason.ts';

/** A padlock, drawn (not a font glyph, so it shows wherever the fonts lack one); named for screen readers. */
export function LockIcon() {
  const { t } = useTranslation();
  return (
    <svg className="lock-icon" role="img" aria-label={t('lock.icon')} viewBox="0 0 16 16" width="14" height="14" focusable="false">
      <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z" />
    </svg>
  );
}

/**
 * Why a control cannot be changed: a lock and the reason, in words. Give the control
 * `aria-describedby={id}` so a screen reader says the reason with it.
 *
 * `reason` may be the core's English words: its known forms ("Set by your organisation (managed policy
 * <file>)", …) are shown in the window's language, anything else as given.
 */
export function LockNote({ id, reason }: { id: string; reason: string }) {
  const { t } = useTranslation();
  return (
    <p id={id} className="lock-note" data-testid="lock-note">
      <LockIcon /> {localiseLockReason(reason, t)}
    </p>
  );
}
