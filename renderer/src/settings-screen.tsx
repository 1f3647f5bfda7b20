import { useEffect, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiSettings, UiSettingsPatch } from '../../electron/api/contract.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { startDownload } from './download.ts';
import { ExportPanel } from './export-panel.tsx';
import { formatNumber } from './format.ts';
import { LockNote } from './lock-note.tsx';
import type { ChannelCount } from './use-channel-counts.ts';
import { lockFor, type SettingsState } from './use-settings.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Day = (typeof DAYS)[number];
type QuietHours = UiSettings['notifications']['quietHours'];
type QuietWindow = QuietHours['windows'][number];

type Update = (patch: UiSettingsPatch) => Promise<void>;

/** A refused or failed change, in words: a locked setting says so. */
function useFailureText(): (error: unknown) => string {
  const { t } = useTranslation();
  return (error) =>
    error instanceof ApiError && error.code === 'locked'
      ? t('settings.lockedError', { error: error.message })
      : t('settings.saveFailed', { error: (error as Error).message });
}

/**
 * Runs a change and keeps its outcome for the section: working, saved, or the error.
 */
function useSave(update: Update): { busy: boolean; message: { ok: boolean; text: string } | undefined; save(patch: UiSettingsPatch): void } {
  const { t } = useTranslation();
  const failure = useFailureText();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  return {
    busy,
    message,
    save(patch) {
      setBusy(true);
      setMessage(undefined);
      update(patch)
        .then(
          () => setMessage({ ok: true, text: t('settings.saved') }),
          (error: unknown) => setMessage({ ok: false, text: failure(error) }),
        )
        .finally(() => setBusy(false));
    },
  };
}

/** A section's outcome line: "Saved." as a status, an error as an alert. */
function Outcome({ message }: { message: { ok: boolean; text: string } | undefined }) {
  if (message && !message.ok) {
    return (
      <p role="alert" className="error" data-testid="settings-error">
        {message.text}
      </p>
    );
  }
  return (
    <p role="status" className="notice">
      {message?.text ?? ''}
    </p>
  );
}

/** A section of the Settings screen, with its heading. */
function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="settings-section" aria-labelledby={`settings-${id}`} data-testid={`settings-${id}`}>
      <h3 id={`settings-${id}`}>{title}</h3>
      {children}
    </section>
  );
}

/** A switch that saves as soon as it is flipped; locked, it is disabled with the reason. */
function SettingCheckbox({
  label,
  checked,
  lockReason,
  hint,
  unavailable,
  testId,
  onChange,
}: {
  label: string;
  checked: boolean;
  lockReason: string | undefined;
  hint?: string;
  /** Why this shell cannot offer it (the control is disabled and says so, without a lock). */
  unavailable?: string | undefined;
  testId?: string;
  onChange: (checked: boolean) => Promise<void> | void;
}) {
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  // The choice shows at once; once saved the settings show it (or, refused, what they still are).
  const [choice, setChoice] = useState<boolean | undefined>(undefined);
  const hintText = unavailable ?? hint;
  const described = [...(hintText ? [`${id}-hint`] : []), ...(lockReason ? [`${id}-lock`] : [])];
  return (
    <div className="field">
      <label className="check">
        <input
          type="checkbox"
          data-testid={testId}
          checked={choice ?? checked}
          disabled={lockReason !== undefined || unavailable !== undefined}
          aria-describedby={described.length > 0 ? described.join(' ') : undefined}
          onChange={(e) => {
            setChoice(e.target.checked);
            void Promise.resolve(onChange(e.target.checked)).finally(() => setChoice(undefined));
          }}
        />{' '}
        {label}
      </label>
      {hintText && (
        <span id={`${id}-hint`} className="hint">
          {hintText}
        </span>
      )}
      {lockReason && <LockNote id={`${id}-lock`} reason={lockReason} />}
    </div>
  );
}

/** A select that saves as soon as a choice is made; locked, it is disabled with the reason. */
function SettingSelect<V extends string>({
  label,
  value,
  options,
  lockReason,
  testId,
  onChange,
}: {
  label: string;
  value: V;
  options: readonly { value: V; label: string; lang?: string }[];
  lockReason: string | undefined;
  testId?: string;
  onChange: (value: V) => Promise<void> | void;
}) {
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const [choice, setChoice] = useState<V | undefined>(undefined);
  return (
    <div className="field">
      <label htmlFor={`${id}-select`}>{label}</label>
      <select
        id={`${id}-select`}
        data-testid={testId}
        value={choice ?? value}
        disabled={lockReason !== undefined}
        aria-describedby={lockReason ? `${id}-lock` : undefined}
        onChange={(e) => {
          const chosen = options.find((o) => o.value === e.target.value);
          if (!chosen) return;
          setChoice(chosen.value);
          void Promise.resolve(onChange(chosen.value)).finally(() => setChoice(undefined));
        }}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value} lang={o.lang}>
            {o.label}
          </option>
        ))}
      </select>
      {lockReason && <LockNote id={`${id}-lock`} reason={lockReason} />}
    </div>
  );
}

/** Quiet hours: on or off, the weekly windows, and whether urgent messages pass. Saved as a whole. */
function QuietHoursForm({ value, locks, update }: { value: QuietHours; locks: SettingsState['locks']; update: Update }) {
  const { t } = useTranslation();
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const { busy, message, save } = useSave(update);
  const [draft, setDraft] = useState<QuietHours>(value);
  const [problems, setProblems] = useState<ReadonlyMap<number, string>>(new Map());
  // What the core has is shown again whenever it changes (saved here, in another window, or from the tray).
  const serverValue = JSON.stringify(value);
  useEffect(() => {
    setDraft(JSON.parse(serverValue) as QuietHours);
    setProblems(new Map());
  }, [serverValue]);

  const lock = lockFor(locks, 'notifications.quietHours');
  const lockOf = (field: string): string | undefined => (lock ?? lockFor(locks, `notifications.quietHours.${field}`))?.reason;
  const setWindow = (index: number, change: Partial<QuietWindow>): void =>
    setDraft((d) => ({ ...d, windows: d.windows.map((w, i) => (i === index ? { ...w, ...change } : w)) }));
  const toggleDay = (index: number, day: Day, on: boolean): void =>
    setDraft((d) => ({
      ...d,
      windows: d.windows.map((w, i) => (i !== index ? w : { ...w, days: DAYS.filter((x) => (x === day ? on : w.days.includes(x))) })),
    }));

  const submit = (): void => {
    const found = new Map<number, string>();
    draft.windows.forEach((w, i) => {
      if (w.days.length === 0) found.set(i, t('settings.quiet.errorDays'));
      else if (!/^\d\d:\d\d$/.test(w.start) || !/^\d\d:\d\d$/.test(w.end)) found.set(i, t('settings.quiet.errorTimes'));
    });
    setProblems(found);
    if (found.size > 0) {
      requestAnimationFrame(() => document.querySelector<HTMLElement>(`#${id} [aria-invalid="true"]`)?.focus());
      return;
    }
    save({ notifications: { quietHours: draft } });
  };

  const windowsLocked = lockOf('windows');
  /** The id of the note that says why a field is locked (the section's, or the field's own). */
  const noteId = (field: string): string | undefined => (lock ? `${id}-lock` : lockOf(field) ? `${id}-lock-${field}` : undefined);
  /** The field's own lock note, when the field (not the whole section) is locked. */
  const fieldNote = (field: string): ReactNode => {
    const reason = lock ? undefined : lockOf(field);
    return reason === undefined ? null : <LockNote id={`${id}-lock-${field}`} reason={reason} />;
  };
  return (
    <form
      id={id}
      className="quiet-hours"
      aria-labelledby={`${id}-legend`}
      noValidate
      data-testid="quiet-hours"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h4 id={`${id}-legend`}>{t('settings.quiet.heading')}</h4>
      <p className="hint">{t('settings.quiet.intro')}</p>
      {lock && <LockNote id={`${id}-lock`} reason={lock.reason} />}
      <div className="field">
        <label className="check">
          <input
            type="checkbox"
            data-testid="quiet-enabled"
            checked={draft.enabled}
            disabled={lockOf('enabled') !== undefined}
            aria-describedby={noteId('enabled')}
            onChange={(e) => setDraft((d) => ({ ...d, enabled: e.target.checked }))}
          />{' '}
          {t('settings.quiet.enabled')}
        </label>
        {fieldNote('enabled')}
      </div>
      {draft.windows.length === 0 && <p className="muted">{t('settings.quiet.noWindows')}</p>}
      {draft.windows.map((w, i) => {
        const problem = problems.get(i);
        const errId = `${id}-w${i}-error`;
        return (
          <fieldset key={i} className="quiet-window" disabled={windowsLocked !== undefined} aria-describedby={noteId('windows')} data-testid="quiet-window">
            <legend>{t('settings.quiet.window', { n: i + 1 })}</legend>
            <div className="days" role="group" aria-label={t('settings.quiet.days')}>
              {DAYS.map((day, di) => (
                <label key={day} className="day">
                  <input
                    type="checkbox"
                    checked={w.days.includes(day)}
                    aria-invalid={problem !== undefined && di === 0 ? true : undefined}
                    aria-describedby={problem !== undefined ? errId : undefined}
                    onChange={(e) => toggleDay(i, day, e.target.checked)}
                  />{' '}
                  {t(`settings.days.${day}`)}
                </label>
              ))}
            </div>
            <label>
              {t('settings.quiet.start')} <input type="time" value={w.start} required onChange={(e) => setWindow(i, { start: e.target.value })} />
            </label>{' '}
            <label>
              {t('settings.quiet.end')} <input type="time" value={w.end} required onChange={(e) => setWindow(i, { end: e.target.value })} />
            </label>{' '}
            <button type="button" onClick={() => setDraft((d) => ({ ...d, windows: d.windows.filter((_, j) => j !== i) }))}>
              {t('settings.quiet.removeWindow', { n: i + 1 })}
            </button>
            {problem !== undefined && (
              <p id={errId} className="field-error">
                {problem}
              </p>
            )}
          </fieldset>
        );
      })}
      <button
        type="button"
        disabled={windowsLocked !== undefined || draft.windows.length >= 14}
        aria-describedby={noteId('windows')}
        onClick={() => setDraft((d) => ({ ...d, windows: [...d.windows, { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '07:00' }] }))}
      >
        {t('settings.quiet.addWindow')}
      </button>
      {fieldNote('windows')}
      <div className="field">
        <label className="check">
          <input
            type="checkbox"
            checked={draft.urgentBypass}
            disabled={lockOf('urgentBypass') !== undefined}
            aria-describedby={noteId('urgentBypass')}
            onChange={(e) => setDraft((d) => ({ ...d, urgentBypass: e.target.checked }))}
          />{' '}
          {t('settings.quiet.urgentBypass')}
        </label>
        {fieldNote('urgentBypass')}
      </div>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy || lock !== undefined} aria-describedby={lock ? `${id}-lock` : undefined} data-testid="quiet-save">
          {t('settings.quiet.save')}
        </button>
      </div>
      <Outcome message={message} />
    </form>
  );
}

/** Retention: how old and how many messages the history keeps. Saved as a whole. */
function RetentionForm({ value, locks, update }: { value: UiSettings['retention']; locks: SettingsState['locks']; update: Update }) {
  const { t, i18n } = useTranslation();
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const { busy, message, save } = useSave(update);
  const [forever, setForever] = useState(value.maxAgeDays === null);
  const [days, setDays] = useState(String(value.maxAgeDays ?? 365));
  const [unlimited, setUnlimited] = useState(value.maxCount === null);
  const [count, setCount] = useState(String(value.maxCount ?? 100000));
  const [problems, setProblems] = useState<{ days?: string; count?: string }>({});
  useEffect(() => {
    setForever(value.maxAgeDays === null);
    if (value.maxAgeDays !== null) setDays(String(value.maxAgeDays));
    setUnlimited(value.maxCount === null);
    if (value.maxCount !== null) setCount(String(value.maxCount));
  }, [value.maxAgeDays, value.maxCount]);

  const lock = lockFor(locks, 'retention');
  const ageLock = lock ?? lockFor(locks, 'retention.maxAgeDays');
  const countLock = lock ?? lockFor(locks, 'retention.maxCount');
  const submit = (): void => {
    const found: { days?: string; count?: string } = {};
    const d = Number(days);
    const c = Number(count);
    if (!forever && !(days.trim() !== '' && d > 0 && d <= 36500)) found.days = t('settings.retention.errorDays', { max: formatNumber(36500, i18n.language) });
    if (!unlimited && !(count.trim() !== '' && Number.isInteger(c) && c >= 1)) found.count = t('settings.retention.errorCount');
    setProblems(found);
    if (found.days || found.count) {
      requestAnimationFrame(() => document.getElementById(found.days ? `${id}-days` : `${id}-count`)?.focus());
      return;
    }
    save({ retention: { maxAgeDays: forever ? null : d, maxCount: unlimited ? null : c } });
  };
  const describe = (...ids: (string | false | undefined)[]): string | undefined => {
    const list = ids.filter((x): x is string => typeof x === 'string');
    return list.length > 0 ? list.join(' ') : undefined;
  };
  return (
    <form
      className="retention"
      aria-labelledby={`${id}-heading`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h4 id={`${id}-heading`} className="visually-hidden">
        {t('settings.retention.heading')}
      </h4>
      <p className="hint">{t('settings.retention.intro')}</p>
      <div className="field">
        <label htmlFor={`${id}-days`}>{t('settings.retention.maxAgeDays')}</label>
        <input
          id={`${id}-days`}
          type="number"
          min={1}
          max={36500}
          value={days}
          disabled={forever || ageLock !== undefined}
          aria-invalid={problems.days ? true : undefined}
          aria-describedby={describe(problems.days && `${id}-days-error`, ageLock && `${id}-age-lock`)}
          onChange={(e) => setDays(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={forever} disabled={ageLock !== undefined} onChange={(e) => setForever(e.target.checked)} /> {t('settings.retention.keepForever')}
        </label>
        {problems.days && (
          <span id={`${id}-days-error`} className="field-error">
            {problems.days}
          </span>
        )}
        {ageLock && <LockNote id={`${id}-age-lock`} reason={ageLock.reason} />}
      </div>
      <div className="field">
        <label htmlFor={`${id}-count`}>{t('settings.retention.maxCount')}</label>
        <input
          id={`${id}-count`}
          type="number"
          min={1}
          step={1}
          value={count}
          disabled={unlimited || countLock !== undefined}
          aria-invalid={problems.count ? true : undefined}
          aria-describedby={describe(problems.count && `${id}-count-error`, countLock && (lock ? `${id}-age-lock` : `${id}-count-lock`))}
          onChange={(e) => setCount(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={unlimited} disabled={countLock !== undefined} onChange={(e) => setUnlimited(e.target.checked)} /> {t('settings.retention.unlimited')}
        </label>
        {problems.count && (
          <span id={`${id}-count-error`} className="field-error">
            {problems.count}
          </span>
        )}
        {countLock && !lock && <LockNote id={`${id}-count-lock`} reason={countLock.reason} />}
      </div>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy || (ageLock !== undefined && countLock !== undefined)}>
          {t('settings.retention.save')}
        </button>
      </div>
      <Outcome message={message} />
    </form>
  );
}

/** The diagnostics bundle: headless, downloaded from the bridge; on the desktop, saved where the person chose. */
function DiagnosticsButton({ api }: { api: ApiClient }) {
  const { t } = useTranslation();
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = (): void => {
    setBusy(true);
    setOutcome(undefined);
    api
      .call('exportDiagnostics', {})
      .then(
        (result) => {
          if (result.href !== null) {
            startDownload(result.href);
            setOutcome({ ok: true, text: t('settings.diagnostics.started') });
          } else if (result.path !== null) {
            setOutcome({ ok: true, text: t('settings.diagnostics.saved', { path: result.path }) });
          } else {
            setOutcome({ ok: true, text: t('settings.diagnostics.cancelled') });
          }
        },
        (error: Error) => setOutcome({ ok: false, text: t('settings.diagnostics.failed', { error: error.message }) }),
      )
      .finally(() => setBusy(false));
  };
  return (
    <div className="field">
      <p className="hint">{t('settings.diagnostics.intro')}</p>
      <button type="button" onClick={run} disabled={busy} data-testid="diagnostics">
        {t('settings.diagnostics.button')}
      </button>
      <Outcome message={outcome} />
    </div>
  );
}

/** The Settings screen: notifications, privacy, appearance, the system, history, diagnostics. */
export function SettingsScreen({
  api,
  state,
  update,
  channels,
}: {
  api: ApiClient;
  state: SettingsState;
  update: Update;
  channels: readonly ChannelCount[];
}) {
  const { t } = useTranslation();
  const failure = useFailureText();
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const s = state.settings;
  const reason = (path: string): string | undefined => lockFor(state.locks, path)?.reason;
  /** Saves a change made by a switch or a select at once, and says how it went. */
  const change = (patch: UiSettingsPatch): Promise<void> => {
    setOutcome(undefined);
    return update(patch).then(
      () => setOutcome({ ok: true, text: t('settings.saved') }),
      (error: unknown) => setOutcome({ ok: false, text: failure(error) }),
    );
  };

  return (
    <>
      <h2>{t('settings.heading')}</h2>
      {state.error !== undefined && (
        <p role="alert" className="error">
          {t('settings.loadFailed', { error: state.error })}
        </p>
      )}
      {s === undefined ? (
        state.error === undefined && <p className="empty">{t('history.loading')}</p>
      ) : (
        <>
          <Outcome message={outcome} />
          <Section id="notifications" title={t('settings.notifications')}>
            <SettingCheckbox
              label={t('settings.sound')}
              testId="setting-sound"
              checked={s.notifications.sound}
              lockReason={reason('notifications.sound')}
              onChange={(sound) => change({ notifications: { sound } })}
            />
            <QuietHoursForm value={s.notifications.quietHours} locks={state.locks} update={update} />
          </Section>
          <Section id="privacy" title={t('settings.privacy')}>
            <SettingCheckbox
              label={t('settings.readReceipts')}
              hint={t('settings.readReceiptsHint')}
              testId="setting-read-receipts"
              checked={s.readReceipts}
              lockReason={reason('readReceipts')}
              onChange={(readReceipts) => change({ readReceipts })}
            />
          </Section>
          <Section id="appearance" title={t('settings.appearance')}>
            <SettingSelect
              label={t('language.label')}
              testId="language"
              value={s.language}
              lockReason={reason('language')}
              options={[
                { value: 'system', label: t('language.system') },
                { value: 'en', label: t('language.en'), lang: 'en' },
                { value: 'zh-CN', label: t('language.zh-CN'), lang: 'zh-CN' },
              ]}
              onChange={(language) => change({ language })}
            />
            <SettingSelect
              label={t('theme.label')}
              testId="theme"
              value={s.theme}
              lockReason={reason('theme')}
              options={[
                { value: 'system', label: t('theme.system') },
                { value: 'light', label: t('theme.light') },
                { value: 'dark', label: t('theme.dark') },
              ]}
              onChange={(theme) => change({ theme })}
            />
          </Section>
          <Section id="system" title={t('settings.system')}>
            <SettingCheckbox
              label={t('settings.startAtLogin')}
              testId="setting-start-at-login"
              checked={s.startAtLogin ?? false}
              lockReason={reason('startAtLogin')}
              unavailable={s.startAtLogin === null ? t('settings.startAtLoginDesktopOnly') : undefined}
              onChange={(startAtLogin) => change({ startAtLogin })}
            />
          </Section>
          <Section id="retention" title={t('settings.retention.heading')}>
            <RetentionForm value={s.retention} locks={state.locks} update={update} />
          </Section>
          <Section id="export" title={t('export.label')}>
            <ExportPanel api={api} channels={channels.map((c) => c.channel)} />
          </Section>
          <Section id="diagnostics" title={t('settings.diagnostics.heading')}>
            <DiagnosticsButton api={api} />
          </Section>
        </>
      )}
    </>
  );
}
