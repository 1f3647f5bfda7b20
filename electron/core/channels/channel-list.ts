import type { UiChannelEntry, UiChannelRule } from '../../api/contract.ts';
import type { ConnectionConfig, OfferedChannel } from '../config/config-schema.ts';
import type { ChannelCount } from '../store/message-store.ts';

/** Where an offered channel was listed. */
export type OfferSource = 'config' | 'policy' | 'directory';

/** One channel a connection offers, and who offers it. */
export interface Offer extends OfferedChannel {
  readonly source: OfferSource;
}

/** What the channel directory is built from. */
export interface ChannelListInput {
  /** The connections as they run: their subscriptions are what is subscribed. */
  readonly connections: readonly ConnectionConfig[];
  /** Per connection id, the channels offered (configured subscriptions, directories), first listing wins. */
  readonly offers: ReadonlyMap<string, readonly Offer[]>;
  /** Subscriptions IT made mandatory, as `connectionId + "\u0000" + topic`. */
  readonly mandatory: ReadonlySet<string>;
  /** Subscriptions the person added, as `connectionId + "\u0000" + topic`. */
  readonly addedByPerson: ReadonlySet<string>;
  readonly counts: readonly ChannelCount[];
  /** The rule of each channel as the notification rules apply it. */
  readonly rule: (channel: string) => UiChannelRule;
  /** Why the person may not change a channel's rule, or null. */
  readonly ruleLockedReason: (channel: string) => string | null;
}

/** The key of a subscription in the sets above. */
export function subscriptionKey(connectionId: string, topic: string): string {
  return `${connectionId}\u0000${topic}`;
}

/**
 * The Channels screen's list: per connection, every subscription (subscribed) and every offered channel
 * not subscribed, each with its unread count and notification rule. A topic appears once per
 * connection; the subscribed entry wins over an offer of the same topic.
 */
export function buildChannelList(input: ChannelListInput): UiChannelEntry[] {
  const counts = new Map(input.counts.map((c) => [c.channel, c]));
  const entries: UiChannelEntry[] = [];
  for (const connection of input.connections) {
    const offers = input.offers.get(connection.id) ?? [];
    const offered = new Map<string, Offer>();
    for (const offer of offers) if (!offered.has(offer.topic)) offered.set(offer.topic, offer);
    const seen = new Set<string>();
    const entry = (topic: string, channel: string, kind: 'notification' | 'data', subscribed: boolean): UiChannelEntry => {
      const key = subscriptionKey(connection.id, topic);
      const offer = offered.get(topic);
      const mandatory = input.mandatory.has(key);
      const count = counts.get(channel);
      return {
        connectionId: connection.id,
        topic,
        channel,
        description: offer?.description ?? null,
        kind,
        source: mandatory ? 'policy' : input.addedByPerson.has(key) && offer === undefined ? 'user' : (offer?.source ?? 'config'),
        subscribed,
        mandatory,
        unread: count?.unread ?? 0,
        total: count?.total ?? 0,
        rule: input.rule(channel),
        ruleLockedReason: input.ruleLockedReason(channel),
      };
    };
    for (const sub of connection.subscriptions) {
      seen.add(sub.topic);
      entries.push(entry(sub.topic, sub.channel, 'kind' in sub ? sub.kind : 'notification', true));
    }
    for (const offer of offered.values()) {
      if (seen.has(offer.topic)) continue;
      entries.push(entry(offer.topic, offer.channel, offer.kind, false));
    }
  }
  return entries;
}
