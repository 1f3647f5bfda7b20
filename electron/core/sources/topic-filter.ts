/**
 * Whether an MQTT topic matches a subscription filter with `+` and `#` wildcards.
 *
 * Written here because mqtt.js does not export its matcher; follows MQTT 3.1.1 section 4.7: `#` matches
 * the parent level too, and wildcards do not match topics starting with `$`. A shared subscription
 * (`$share/group/filter`) matches as its filter.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const shared = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  const effective = shared ? (shared[1] as string) : filter;
  const f = effective.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}
