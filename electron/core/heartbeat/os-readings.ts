import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import type { PowerSource } from './heartbeat-policy.ts';

/** Battery level, in percent, below which the battery counts as low. */
const LOW_BATTERY_PERCENT = 20;

/**
 * Reads the power source from /sys/class/power_supply: AC when a mains supply is online or there is no
 * battery at all (desktops, virtual machines), low battery under 20 %, battery otherwise.
 */
export function readPowerSource(root = '/sys/class/power_supply'): PowerSource {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 'ac';
  }
  const read = (name: string, file: string): string | undefined => {
    try {
      return readFileSync(join(root, name, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let battery: number | undefined;
  for (const name of names) {
    const type = read(name, 'type');
    if ((type === 'Mains' || type === 'USB') && read(name, 'online') === '1') return 'ac';
    // scope "Device" marks the battery of a mouse or keyboard, not of this machine.
    if (type === 'Battery' && read(name, 'scope') !== 'Device') {
      const capacity = Number(read(name, 'capacity'));
      if (Number.isFinite(capacity)) battery = battery === undefined ? capacity : Math.min(battery, capacity);
      else battery ??= 100;
    }
  }
  if (battery === undefined) return 'ac';
  return battery < LOW_BATTERY_PERCENT ? 'low-battery' : 'battery';
}

/**
 * Describes the network: online when a non-loopback interface has a routable address; the id changes
 * when the set of interfaces or the networks they are in changes (another Wi-Fi, a VPN, a cable).
 */
export function describeNetwork(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): { online: boolean; networkId: string } {
  const parts = new Set<string>();
  for (const [name, addresses] of Object.entries(interfaces)) {
    // Container and virtual-machine bridges are there whether or not the machine has a network.
    if (/^(docker|br-|veth|virbr|vboxnet|vmnet|cni|flannel|podman)/.test(name)) continue;
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      if (address.family === 'IPv6' && address.address.toLowerCase().startsWith('fe80')) continue;
      parts.add(`${name}=${networkPrefix(address)}`);
    }
  }
  const sorted = [...parts].sort();
  return { online: sorted.length > 0, networkId: sorted.length > 0 ? sorted.join(',') : 'none' };
}

/**
 * The network an address is in, not the address itself: IPv4 masked with its netmask, IPv6 cut to its
 * /64. A new DHCP lease or a rotating IPv6 privacy address is then still the same network.
 */
function networkPrefix(address: NetworkInterfaceInfo): string {
  if (address.family === 'IPv4') {
    const ip = address.address.split('.').map(Number);
    const mask = address.netmask.split('.').map(Number);
    return `${ip.map((octet, i) => octet & (mask[i] ?? 0)).join('.')}/${address.netmask}`;
  }
  const groups = address.address.split('::')[0]?.split(':') ?? [];
  return `${groups.slice(0, 4).join(':')}::/64`;
}
