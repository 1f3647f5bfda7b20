import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { SecretStore } from '../secrets.ts';
import { configSchema, issueMessage, type Config, type ConnectionConfig } from './config-schema.ts';

/**
 * A configuration that cannot be used, with every problem named by its field.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Formats a zod issue path as `connections[0].url`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Turns zod issues into lines of the form `field: what is wrong`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${fieldName(issue.path)}: ${issueMessage(issue)}`);
}

/**
 * Validates a parsed configuration object.
 *
 * @throws ConfigError naming each invalid field.
 */
export function parseConfig(value: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

/**
 * Reads and validates a JSON configuration file.
 *
 * Relative file names (`passwordFile`, `tls.caFile`, `tls.certFile`, `tls.keyFile`) are taken relative to
 * the configuration file's folder.
 *
 * @throws ConfigError when the file is missing, is not JSON, or does not match the schema (after `prepare`).
 */
export function loadConfigFile(path: string, prepare: (raw: unknown) => unknown = (raw) => raw): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  // `prepare` is where a managed policy is applied, before validation (see policy.ts).
  const config = parseConfig(prepare(value), path);
  const near = (file: string | undefined): string | undefined => (file === undefined ? undefined : resolve(dirname(path), file));
  return {
    ...config,
    connections: config.connections.map((c) => ({
      ...c,
      ...(c.passwordFile === undefined ? {} : { passwordFile: near(c.passwordFile) }),
      ...(c.kind !== 'mqtt' || c.tls === undefined
        ? {}
        : {
            tls: {
              ...c.tls,
              ...(c.tls.caFile === undefined ? {} : { caFile: near(c.tls.caFile) }),
              ...(c.tls.certFile === undefined ? {} : { certFile: near(c.tls.certFile) }),
              ...(c.tls.keyFile === undefined ? {} : { keyFile: near(c.tls.keyFile) }),
            },
          }),
    })),
  };
}

/**
 * Resolves a connection's password from `password`, `passwordFile`, `passwordEnv` or `passwordSecret`.
 *
 * `passwordSecret` is looked up in `secrets`, the shell's secret store. Error messages name the
 * connection and where the secret should have come from, never a value.
 *
 * @throws ConfigError when the file cannot be read, the variable is not set, or the named secret is not
 * in the store (or the store cannot be read, or the shell has none).
 */
export function resolvePassword(
  connection: ConnectionConfig,
  env: NodeJS.ProcessEnv = process.env,
  secrets?: SecretStore,
): string | undefined {
  if (connection.password !== undefined) return connection.password;
  if (connection.passwordFile !== undefined) {
    try {
      return readFileSync(connection.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`connection "${connection.id}"`, [
        `passwordFile: cannot read ${connection.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ]);
    }
  }
  if (connection.passwordEnv !== undefined) {
    const value = env[connection.passwordEnv];
    if (value === undefined) {
      throw new ConfigError(`connection "${connection.id}"`, [
        `passwordEnv: the environment variable ${connection.passwordEnv} is not set`,
      ]);
    }
    return value;
  }
  if (connection.passwordSecret !== undefined) {
    const name = connection.passwordSecret;
    const problem = (why: string): ConfigError => new ConfigError(`connection "${connection.id}"`, [`passwordSecret: ${why}`]);
    if (secrets === undefined) throw problem(`the secret "${name}" cannot be looked up: this shell was started without a secret store`);
    let value: string | undefined;
    try {
      value = secrets.get(name);
    } catch (error) {
      throw problem(`cannot read the secret "${name}": ${(error as Error).message}`);
    }
    if (value === undefined) throw problem(`no secret named "${name}" is stored${secrets.howToSet ? `; ${secrets.howToSet(name)}` : ''}`);
    return value;
  }
  return undefined;
}
