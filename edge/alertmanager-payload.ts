// Alertmanager webhook payload (version 4), validated strictly on the fields the edge uses and loosely elsewhere.
// Fields: prometheus/alertmanager notify/webhook (see FACTS.md "Alertmanager"); other keys are kept, not checked.
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());

export const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved'], { error: 'expected "firing" or "resolved"' }),
  labels: stringMap,
  // Nanosecond precision and any offset occur in practice ("2026-11-25T11:09:59.658146904Z").
  startsAt: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' }),
  fingerprint: z.string().optional(),
  annotations: stringMap.optional(),
});
export type Alert = z.infer<typeof alertSchema>;

export const notificationSchema = z.looseObject({
  version: z.string().optional(),
  receiver: z.string().optional(),
  status: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  alerts: z.array(alertSchema),
});
export type AlertmanagerNotification = z.infer<typeof notificationSchema>;
