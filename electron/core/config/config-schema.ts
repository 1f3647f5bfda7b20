import { z } from 'zod';

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** An MQTT QoS level. */
const qosSchema = z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' });

/**
 * One MQTT subscription: a topic filter, its QoS and the channel its messages belong to.
 */
export const subscriptionSchema = z
  .object({
    topic: z.string().min(1, 'must be a non-empty MQTT topic filter'),
    qos: qosSchema.default(1),
    channel: z.string().min(1, 'must name the channel').max(100),
  })
  .strict();

/**
 * Where read receipts for a connection go.
 *
 * `topic` is a template: {device}, {channel} and {connection} are replaced when a receipt is sent.
 */
export const receiptTargetSchema = z
  .object({
    topic: z.string().min(1).refine((t) => !/[#+]/.test(t), 'must not contain the wildcards + or #'),
    qos: qosSchema.default(1),
  })
  .strict();

/**
 * One MQTT broker connection with its subscriptions.
 *
 * Credentials: `password` is accepted for simple setups, `passwordFile` and `passwordEnv` keep the
 * secret out of the configuration file.
 */
export const mqttConnectionSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore'),
    kind: z.literal('mqtt').default('mqtt'),
    url: z.string().refine((value) => {
      try {
        return MQTT_PROTOCOLS.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be a URL starting with mqtt://, mqtts://, ws:// or wss://'),
    username: z.string().optional(),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
    passwordEnv: z.string().optional(),
    clientId: z.string().min(1).max(128).optional(),
    keepaliveSec: z.number().int().min(0).max(65535).default(60),
    maxPayloadBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(256 * 1024),
    subscriptions: z.array(subscriptionSchema).min(1, 'needs at least one subscription'),
    receipts: receiptTargetSchema.optional(),
  })
  .strict()
  .refine((c) => [c.password, c.passwordFile, c.passwordEnv].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of password, passwordFile and passwordEnv',
    path: ['password'],
  });

/**
 * The whole configuration file.
 */
export const configSchema = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore')
      .optional(),
    connections: z
      .array(mqttConnectionSchema)
      .min(1, 'needs at least one connection')
      .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'connection ids must be unique'),
  })
  .strict();

/** A validated configuration, defaults filled in. */
export type Config = z.output<typeof configSchema>;
/** A validated MQTT connection. */
export type MqttConnectionConfig = z.output<typeof mqttConnectionSchema>;
/** A validated subscription. */
export type SubscriptionConfig = z.output<typeof subscriptionSchema>;
