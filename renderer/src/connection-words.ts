import type { TFunction } from 'i18next';
import type { UiConnectionStatus } from '../../electron/api/contract.ts';
import { formatNumber } from './format.ts';

/**
 * A connection's reasons in the window's language, from the codes and numbers the core sends beside
 * its English words (see connectionStatusSchema). Anything without a code is shown in the core's words.
 * The failure itself (`lastError`) stays as the core gives it: plain English words.
 */

/** Why the connection is in its state: "已连接", "3.2 秒后重试（第 4 次）", … */
export function localiseStateReason(status: UiConnectionStatus, t: TFunction, language: string): string {
  const code = status.stateCode;
  if (code === 'other') return status.stateReason;
  if (code === 'reconnecting-in') {
    if (status.retryInSec === null || status.attempt === null) return status.stateReason;
    const params = { sec: formatNumber(status.retryInSec, language, 1), attempt: formatNumber(status.attempt, language) };
    return status.lastError === null
      ? t('connections.reason.retrying', params)
      : t('connections.reason.retryingAfter', { ...params, why: status.lastError });
  }
  return t(`connections.reason.${code}`);
}

/** Why the heartbeat is what it is: "交流电源，30 秒", "battery, adaptive, 180 s"; empty before the first decision. */
export function localiseHeartbeatReason(heartbeat: UiConnectionStatus['heartbeat'], t: TFunction, language: string): string {
  const { profile } = heartbeat;
  if (profile === null) return heartbeat.reason;
  if (profile === 'asleep' || profile === 'offline') return t(`connections.heartbeatReason.${profile}`);
  const sec = formatNumber(heartbeat.profileSec, language);
  let words: string;
  if (profile === 'ac') words = t('connections.heartbeatReason.ac', { sec });
  else if (profile === 'low-battery' && !heartbeat.critical) words = t('connections.heartbeatReason.lowBattery', { sec });
  else {
    words = t(heartbeat.adaptive ? 'connections.heartbeatReason.batteryAdaptive' : 'connections.heartbeatReason.battery', { sec });
    if (profile === 'low-battery') words = t('connections.heartbeatReason.critical', { reason: words });
  }
  return heartbeat.serverAskedSec === null
    ? words
    : t('connections.heartbeatReason.serverAsks', { reason: words, sec: formatNumber(heartbeat.serverAskedSec, language) });
}
