import { useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiConnectionInput, UiConnectionView } from '../../electron/api/contract.ts';
import { ApiError, fieldErrors, type ApiClient } from './api-client.ts';
import { formatNumber } from './format.ts';

type Kind = 'mqtt' | 'ntfy';

/** The schemes each kind of connection takes (as URL.protocol gives them). */
const SCHEMES: Record<Kind, readonly string[]> = { mqtt: ['mqtt:', 'mqtts:', 'ws:', 'wss:'], ntfy: ['http:', 'https:'] };
const CONNECTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NTFY_TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

/** One topic → channel row of the form; `key` keeps React's rows apart when one is removed. */
interface Row {
  readonly key: number;
  readonly topic: string;
  readonly channel: string;
}

/** What the form holds. */
export interface ConnectionDraft {
  readonly id: string;
  readonly kind: Kind;
  readonly url: string;
  readonly username: string;
  /** Typed in, never read back: the core keeps secrets write-only. */
  readonly secret: string;
  readonly clearSecret: boolean;
  readonly verifyTls: boolean;
  readonly rows: readonly Row[];
}

let nextRowKey = 1;
const row = (topic = '', channel = ''): Row => ({ key: nextRowKey++, topic, channel });

/** An empty form, or one filled from a connection to edit. */
export function draftOf(view: UiConnectionView | undefined): ConnectionDraft {
  if (!view) return { id: '', kind: 'mqtt', url: '', username: '', secret: '', clearSecret: false, verifyTls: true, rows: [row()] };
  return {
    id: view.id,
    kind: view.kind,
    url: view.url,
    username: view.username ?? '',
    secret: '',
    clearSecret: false,
    verifyTls: view.verifyTls,
    rows: view.subscriptions.length > 0 ? view.subscriptions.map((s) => row(s.topic, s.channel)) : [row()],
  };
}

/** A connection a confirmed pushdesk://add-connection link proposes (the connectionProposed event). */
export interface ConnectionProposal {
  readonly url: string;
  readonly name: string | null;
}

/**
 * A proposed name made into a connection id: letters, digits, dot, dash and underscore, starting with
 * a letter or digit, at most 64; accents dropped, anything else becomes a dash ("Plant floor (Line 2)"
 * → "Plant-floor-Line-2"). Empty when nothing of it fits: the person names it.
 */
export function idFromName(name: string | null): string {
  if (name === null) return '';
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const id = ascii
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return CONNECTION_ID.test(id) ? id : '';
}

/** The form filled from a proposal: its address, the kind its scheme means (http(s) is ntfy), its name as the id. */
export function draftOfProposal(proposal: ConnectionProposal): ConnectionDraft {
  const url = proposal.url.trim();
  return { ...draftOf(undefined), id: idFromName(proposal.name), kind: /^https?:/i.test(url) ? 'ntfy' : 'mqtt', url };
}

/** The form's required fields, in order: a proposal's focus goes to the first one left empty. */
const REQUIRED = ['connection.id', 'connection.url', 'connection.subscriptions.0.topic', 'connection.subscriptions.0.channel'] as const;

/** The form as the contract's connection input. */
export function inputOf(d: ConnectionDraft): UiConnectionInput {
  return {
    id: d.id.trim(),
    kind: d.kind,
    url: d.url.trim(),
    ...(d.username.trim() === '' ? {} : { username: d.username.trim() }),
    ...(d.secret === '' || d.clearSecret ? {} : { secret: d.secret }),
    ...(d.clearSecret ? { clearSecret: true } : {}),
    verifyTls: d.kind === 'mqtt' ? d.verifyTls : true,
    subscriptions: d.rows.map((r) => ({ topic: r.topic.trim(), channel: r.channel.trim() })),
  };
}

/** A field's error: the words, and whether they are a translation key (ours) or the core's words. */
interface FieldProblem {
  readonly key?: string;
  readonly text?: string;
}
type Problems = ReadonlyMap<string, FieldProblem>;

/**
 * The obvious mistakes, found before anything is sent: by the same dotted paths the core uses
 * ("connection.url", "connection.subscriptions.0.topic").
 */
export function validateDraft(d: ConnectionDraft): Map<string, FieldProblem> {
  const problems = new Map<string, FieldProblem>();
  const id = d.id.trim();
  if (id === '') problems.set('connection.id', { key: 'form.error.idEmpty' });
  else if (!CONNECTION_ID.test(id)) problems.set('connection.id', { key: 'form.error.idChars' });
  const url = d.url.trim();
  if (url === '') problems.set('connection.url', { key: 'form.error.urlEmpty' });
  else {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // not a URL at all
    }
    if (!SCHEMES[d.kind].includes(protocol)) problems.set('connection.url', { key: d.kind === 'mqtt' ? 'form.error.urlMqtt' : 'form.error.urlNtfy' });
  }
  if (d.rows.length === 0) problems.set('connection.subscriptions', { key: 'form.error.noTopics' });
  d.rows.forEach((r, i) => {
    const topic = r.topic.trim();
    if (topic === '') problems.set(`connection.subscriptions.${i}.topic`, { key: 'form.error.topicEmpty' });
    else if (d.kind === 'ntfy' && !NTFY_TOPIC.test(topic)) problems.set(`connection.subscriptions.${i}.topic`, { key: 'form.error.ntfyTopic' });
    if (r.channel.trim() === '') problems.set(`connection.subscriptions.${i}.channel`, { key: 'form.error.channelEmpty' });
  });
  return problems;
}

/** The field a path of the core's error belongs to ("replaceId" is the id being edited). */
function fieldPath(path: string): string {
  if (path === 'replaceId' || path === 'id') return 'connection.id';
  return path.startsWith('connection.') || path === 'connection' ? path : `connection.${path}`;
}

/** The id of a field's element and of its error text, from the form's id and the field's path. */
const fieldId = (formId: string, path: string): string => `${formId}-${path.replace(/\./g, '-')}`;
const errorId = (formId: string, path: string): string => `${fieldId(formId, path)}-error`;

/**
 * Adds a connection or edits one: the fields, topic → channel rows, Test and Save.
 *
 * Mistakes are shown next to their field (aria-invalid, the message as its description) and the
 * first wrong field gets the focus; the core's own field errors come back the same way.
 */
export function ConnectionForm({
  api,
  editing,
  proposal,
  onDone,
}: {
  api: ApiClient;
  /** The connection being edited; undefined adds one. */
  editing: UiConnectionView | undefined;
  /** Adding a connection a link proposed: the form starts with it, and says where it came from. */
  proposal?: ConnectionProposal | undefined;
  /** Called after a save (with the saved id) or on Cancel. */
  onDone: (savedId: string | undefined) => void;
}) {
  const { t, i18n } = useTranslation();
  const formId = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const formRef = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState<ConnectionDraft>(() => (editing === undefined && proposal ? draftOfProposal(proposal) : draftOf(editing)));
  const [problems, setProblems] = useState<Problems>(new Map());
  const [formError, setFormError] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // Set when problems were found on a submit: the first wrong field is focused once they are drawn.
  const [focusRequest, setFocusRequest] = useState(0);

  // Focus moves in layout effects: right after the render, before anything else is typed or drawn.
  useLayoutEffect(() => {
    if (focusRequest === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], [data-invalid="true"]')?.focus();
  }, [focusRequest]);
  useLayoutEffect(() => {
    const form = formRef.current;
    if (!form) return;
    // A proposal: the first required field it left empty (the name, or the first topic); else the first field.
    const empty = proposal
      ? REQUIRED.map((path) => document.getElementById(fieldId(formId, path))).find((el): el is HTMLInputElement => el instanceof HTMLInputElement && el.value.trim() === '')
      : undefined;
    (empty ?? form.querySelector<HTMLElement>('input, select'))?.focus();
    // Once, when the form opens.
  }, []);

  const set = (change: Partial<ConnectionDraft>): void => setDraft((d) => ({ ...d, ...change }));
  const setRow = (index: number, change: Partial<Row>): void =>
    setDraft((d) => ({ ...d, rows: d.rows.map((r, i) => (i === index ? { ...r, ...change } : r)) }));

  /** Shows problems (ours or the core's); true when there were none. */
  const show = (found: Problems, message = ''): boolean => {
    setProblems(found);
    setFormError(message);
    if (found.size > 0 || message !== '') setFocusRequest((n) => n + 1);
    return found.size === 0 && message === '';
  };
  /** Shows a refused call's errors: each field's next to it, the rest above the buttons. */
  const showFailure = (error: unknown, prefix: string): void => {
    const fields = fieldErrors(error);
    const found = new Map<string, FieldProblem>();
    const rest: string[] = [];
    for (const f of fields) {
      const path = fieldPath(f.path);
      if (document.getElementById(fieldId(formId, path))) {
        if (!found.has(path)) found.set(path, { text: f.message });
      } else rest.push(f.message);
    }
    const message = fields.length === 0 ? (error as Error).message : rest.join('; ');
    show(found, message === '' ? '' : t(prefix, { error: message }));
  };

  const save = (): void => {
    setOutcome(undefined);
    if (!show(validateDraft(draft))) return;
    setBusy(true);
    api
      .call('saveConnection', { connection: inputOf(draft), ...(editing ? { replaceId: editing.id } : {}) })
      .then(
        (result) => onDone(result.connection.id),
        (error: unknown) => showFailure(error, error instanceof ApiError && error.code === 'locked' ? 'form.lockedError' : 'form.saveFailed'),
      )
      .finally(() => setBusy(false));
  };
  const test = (): void => {
    setOutcome(undefined);
    if (!show(validateDraft(draft))) return;
    setBusy(true);
    api
      .call('testConnection', { connection: inputOf(draft) })
      .then(
        (result) =>
          setOutcome({
            ok: result.ok,
            text: t(result.ok ? 'form.testOk' : 'form.testFailed', { message: result.message, ms: formatNumber(Math.round(result.elapsedMs), i18n.language) }),
          }),
        (error: unknown) => showFailure(error, 'form.testError'),
      )
      .finally(() => setBusy(false));
  };

  /** A field's accessibility attributes: its id, aria-invalid, and its hint and error as description. */
  const a11y = (path: string, hintIds: readonly string[] = []) => {
    const problem = problems.get(path);
    const described = [...hintIds, ...(problem ? [errorId(formId, path)] : [])];
    return {
      id: fieldId(formId, path),
      'aria-invalid': problem ? (true as const) : undefined,
      'aria-describedby': described.length > 0 ? described.join(' ') : undefined,
    };
  };
  const errorOf = (path: string): ReactNode => {
    const problem = problems.get(path);
    if (!problem) return null;
    return (
      <span id={errorId(formId, path)} className="field-error" data-testid="field-error">
        {problem.key !== undefined ? t(problem.key) : problem.text}
      </span>
    );
  };

  const secretHintId = `${formId}-secret-hint`;
  const headingId = `${formId}-heading`;
  const proposedId = `${formId}-proposed`;
  const showProposal = proposal !== undefined && editing === undefined;
  return (
    <form
      ref={formRef}
      className="connection-form"
      aria-labelledby={headingId}
      aria-describedby={showProposal ? proposedId : undefined}
      noValidate
      data-testid="connection-form"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <h3 id={headingId}>{editing ? t('form.editHeading', { id: editing.id }) : t('form.addHeading')}</h3>
      {showProposal && (
        <p id={proposedId} className="proposal-note" data-testid="proposal-note">
          {t('form.proposed')}
        </p>
      )}
      <div className="field">
        <label htmlFor={fieldId(formId, 'connection.id')}>{t('form.id')}</label>
        <input type="text" {...a11y('connection.id')} value={draft.id} maxLength={64} autoComplete="off" spellCheck="false" onChange={(e) => set({ id: e.target.value })} />
        {errorOf('connection.id')}
      </div>
      <div className="field">
        <label htmlFor={fieldId(formId, 'connection.kind')}>{t('form.kind')}</label>
        <select {...a11y('connection.kind')} value={draft.kind} onChange={(e) => set({ kind: e.target.value === 'ntfy' ? 'ntfy' : 'mqtt' })}>
          <option value="mqtt">{t('form.kindMqtt')}</option>
          <option value="ntfy">{t('form.kindNtfy')}</option>
        </select>
        {errorOf('connection.kind')}
      </div>
      <div className="field">
        <label htmlFor={fieldId(formId, 'connection.url')}>{t('form.url')}</label>
        <input
          type="url"
          {...a11y('connection.url', [`${formId}-url-hint`])}
          value={draft.url}
          maxLength={2000}
          autoComplete="off"
          spellCheck="false"
          placeholder={t(draft.kind === 'mqtt' ? 'form.urlPlaceholderMqtt' : 'form.urlPlaceholderNtfy')}
          onChange={(e) => set({ url: e.target.value })}
        />
        <span id={`${formId}-url-hint`} className="hint">
          {t(draft.kind === 'mqtt' ? 'form.urlHintMqtt' : 'form.urlHintNtfy')}
        </span>
        {errorOf('connection.url')}
      </div>
      <div className="field">
        <label htmlFor={fieldId(formId, 'connection.username')}>{t('form.username')}</label>
        <input type="text" {...a11y('connection.username')} value={draft.username} maxLength={256} autoComplete="off" onChange={(e) => set({ username: e.target.value })} />
        {errorOf('connection.username')}
      </div>
      <div className="field">
        <label htmlFor={fieldId(formId, 'connection.secret')}>{t('form.secret')}</label>
        <input
          type="password"
          {...a11y('connection.secret', [secretHintId])}
          value={draft.secret}
          maxLength={4096}
          autoComplete="new-password"
          disabled={draft.clearSecret}
          onChange={(e) => set({ secret: e.target.value })}
        />
        <span id={secretHintId} className="hint">
          {t('form.secretHint')} {editing?.hasSecret ? t('form.secretKeep') : ''}
        </span>
        {errorOf('connection.secret')}
        {editing?.hasSecret && (
          <label className="check">
            <input type="checkbox" checked={draft.clearSecret} onChange={(e) => set({ clearSecret: e.target.checked, secret: '' })} /> {t('form.clearSecret')}
          </label>
        )}
      </div>
      {draft.kind === 'mqtt' && (
        <div className="field">
          <label className="check">
            <input type="checkbox" {...a11y('connection.verifyTls', [`${formId}-tls-hint`])} checked={draft.verifyTls} onChange={(e) => set({ verifyTls: e.target.checked })} />{' '}
            {t('form.verifyTls')}
          </label>
          <span id={`${formId}-tls-hint`} className="hint">
            {t('form.verifyTlsHint')}
          </span>
          {errorOf('connection.verifyTls')}
        </div>
      )}
      <fieldset className="topics">
        <legend>{t('form.topics')}</legend>
        <table className="topic-table">
          <thead>
            <tr>
              <th scope="col">{t('form.topic')}</th>
              <th scope="col">{t('form.channel')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('form.rowActions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.rows.map((r, i) => (
              <tr key={r.key}>
                <td>
                  <input
                    type="text"
                    {...a11y(`connection.subscriptions.${i}.topic`)}
                    aria-label={t('form.topicN', { n: i + 1 })}
                    value={r.topic}
                    maxLength={1000}
                    spellCheck="false"
                    onChange={(e) => setRow(i, { topic: e.target.value })}
                  />
                  {errorOf(`connection.subscriptions.${i}.topic`)}
                </td>
                <td>
                  <input
                    type="text"
                    {...a11y(`connection.subscriptions.${i}.channel`)}
                    aria-label={t('form.channelN', { n: i + 1 })}
                    value={r.channel}
                    maxLength={100}
                    onChange={(e) => setRow(i, { channel: e.target.value })}
                  />
                  {errorOf(`connection.subscriptions.${i}.channel`)}
                </td>
                <td>
                  <button type="button" aria-label={t('form.removeRowN', { n: i + 1 })} onClick={() => setDraft((d) => ({ ...d, rows: d.rows.filter((_, j) => j !== i) }))}>
                    {t('form.removeRow')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button
          type="button"
          id={fieldId(formId, 'connection.subscriptions')}
          data-invalid={problems.has('connection.subscriptions') ? 'true' : undefined}
          aria-describedby={problems.has('connection.subscriptions') ? errorId(formId, 'connection.subscriptions') : undefined}
          onClick={() => setDraft((d) => ({ ...d, rows: [...d.rows, row()] }))}
        >
          {t('form.addRow')}
        </button>
        {errorOf('connection.subscriptions')}
      </fieldset>
      {formError !== '' && (
        <p role="alert" className="error" data-testid="form-error">
          {formError}
        </p>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          {t('form.save')}
        </button>
        <button type="button" disabled={busy} onClick={test}>
          {t('form.test')}
        </button>
        <button type="button" onClick={() => onDone(undefined)}>
          {t('form.cancel')}
        </button>
      </div>
      <p role="status" className={outcome ? (outcome.ok ? 'test-ok' : 'test-failed') : undefined} data-testid="test-outcome">
        {busy ? t('form.working') : (outcome?.text ?? '')}
      </p>
    </form>
  );
}
