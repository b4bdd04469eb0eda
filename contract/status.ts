// Device availability, published retained on `<prefix>/<device>/status`; `offline` is also the last will.
export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';
export type DeviceStatus = typeof STATUS_ONLINE | typeof STATUS_OFFLINE;

export function parseStatus(payload: Uint8Array | string): DeviceStatus | undefined {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  return text === STATUS_ONLINE || text === STATUS_OFFLINE ? text : undefined;
}
