import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { connectionInputSchema, UiConnectionView } from '../../api/contract.ts';
import { connectionSchema, issueMessage, type ConnectionConfig } from './config-schema.ts';

/** A connection as the form gives it, validated by the contract. */
export type ConnectionInput = z.output<typeof connectionInputSchema>;

/** One invalid field of a call's arguments: a dotted path ("connection.url") and why. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** Arguments the contract accepted but the core did not: each field named, for the form. */
export class FieldErrors extends Error {
  readonly fields: readonly FieldProblem[];

  constructor(fields: readonly FieldProblem[]) {
    super(fields.map((f) => `${f.path}: ${f.message}`).join('; '));
    this.name = 'FieldErrors';
    this.fields = fields;
  }
}

/** A call refused because a managed policy (or the shell) locks what it would change. */
export class LockedError extends Error {
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.name = 'LockedError';
    this.path = path;
  }
}

/**
 * The name under which a connection's secret is kept in the secret store: `c.` and the connection id
 * (or a hash of it when the id is too long for a secret name).
 */
export function connectionSecretName(id: string): string {
  const name = `c.${id}`;
  return name.length <= 64 ? name : `c.${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/** What to do with the connection's secret when the form is saved. */
export type SecretChange = { readonly kind: 'keep' } | { readonly kind: 'set'; readonly value: string } | { readonly kind: 'clear' };

/**
 * Turns the form into a connection configuration (JSON, as the person's settings keep it), starting
 * from the connection being edited so that what the form does not show (receipts, presence, TLS files,
 * channel rules of subscriptions it keeps) stays as it was.
 *
 * A secret entered goes to the secret store under `connectionSecretName(id)` and the configuration only
 * names it (`passwordSecret`); a plain `password` of the edited connection moves there too, so no secret
 * is ever written to a settings file.
 *
 * @throws FieldErrors naming each invalid field as `connection.<field>`.
 */
export function connectionFromInput(
  input: ConnectionInput,
  existing: ConnectionConfig | undefined,
): { config: ConnectionConfig; json: Record<string, unknown>; secret: SecretChange } {
  const base: Record<string, unknown> = existing && existing.kind === input.kind ? structuredClone(existing) as unknown as Record<string, unknown> : {};
  const json: Record<string, unknown> = { ...base, id: input.id, kind: input.kind, url: input.url.trim() };
  const username = input.username?.trim();
  if (username) json.username = username;
  else delete json.username;
  // Subscriptions keep their other fields (QoS, kind, receipts) when the topic stays.
  const before = new Map(((base.subscriptions as Record<string, unknown>[] | undefined) ?? []).map((s) => [s.topic as string, s]));
  json.subscriptions = input.subscriptions.map((s) => ({ ...(before.get(s.topic.trim()) ?? {}), topic: s.topic.trim(), channel: s.channel.trim() }));
  if (input.kind === 'mqtt') {
    const tls = { ...((base.tls as Record<string, unknown> | undefined) ?? {}) };
    if (input.verifyTls) delete tls.rejectUnauthorized;
    else tls.rejectUnauthorized = false;
    if (Object.keys(tls).length > 0) json.tls = tls;
    else delete json.tls;
  }
  const secretName = connectionSecretName(input.id);
  const secret: SecretChange =
    input.secret !== undefined && input.secret !== ''
      ? { kind: 'set', value: input.secret }
      : input.clearSecret
        ? { kind: 'clear' }
        : typeof base.password === 'string'
          ? { kind: 'set', value: base.password }
          : { kind: 'keep' };
  if (secret.kind === 'set') {
    for (const field of ['password', 'passwordFile', 'passwordEnv']) delete json[field];
    json.passwordSecret = secretName;
  } else if (secret.kind === 'clear') {
    for (const field of ['password', 'passwordFile', 'passwordEnv', 'passwordSecret']) delete json[field];
  } else if (existing && existing.id !== input.id && json.passwordSecret === connectionSecretName(existing.id)) {
    // Renamed: the kept secret moves with it (the caller copies it from the old name).
    json.passwordSecret = secretName;
  }
  const parsed = connectionSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => {
      const [first] = issue.path;
      // The configuration's password fields are one field in the form: the secret.
      const formField = typeof first === 'string' && /^password/.test(first) ? 'secret' : issue.path.join('.');
      return { path: `connection.${formField || 'id'}`, message: issueMessage(issue) };
    });
    throw new FieldErrors(fields);
  }
  return { config: parsed.data, json, secret };
}

/** A connection as the form shows it; `lockedReason` set when the person may not change it. */
export function connectionView(
  config: ConnectionConfig,
  source: UiConnectionView['source'],
  lockedReason: string | null,
  hasSecret: boolean,
): UiConnectionView {
  return {
    id: config.id,
    kind: config.kind,
    url: config.url,
    username: config.username ?? null,
    hasSecret,
    verifyTls: config.kind === 'mqtt' ? config.tls?.rejectUnauthorized !== false : true,
    subscriptions: config.subscriptions.map((s) => ({ topic: s.topic, channel: s.channel })),
    source,
    lockedReason,
  };
}
