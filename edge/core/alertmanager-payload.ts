// Alertmanager webhook payload (version 4), validated strictly on the fields the edge uses and loosely elsewhere.
// Fields: prometheus/alertmanager notify/webhook (docs/alertmanager.md); other keys are kept, not checked.
import { z } from 'zod';

/** An unpaired UTF-16 surrogate: a string JSON can carry (`"\ud800"`) but that is not UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * One rule for every label (and annotation) name: Prometheus' label name as Alertmanager 0.27+ accepts it, any
 * non-empty UTF-8 string. The classic `[a-zA-Z_][a-zA-Z0-9_]*` is a subset of it, and Alertmanager 0.27+ (and Grafana)
 * send names outside it, e.g. OpenTelemetry's `service.name`; refusing those would be a 400 Alertmanager never retries.
 */
function labelNameProblem(name: string): string | undefined {
  if (name === '') return 'name "" is not valid; expected a non-empty name';
  // JSON.stringify writes a lone surrogate (and any control character) as a \u escape: the answer stays printable text.
  if (LONE_SURROGATE.test(name)) return `name ${JSON.stringify(name.slice(0, 40))} is not valid; expected UTF-8 text`;
  return undefined;
}

/**
 * Names to string values, built into a null-prototype record: on a plain object, assigning `__proto__` sets the
 * prototype instead of a property, so a label named `__proto__` (a valid name) would vanish; here it is kept like
 * `constructor` or any other. zod's record builds a plain object, hence this transform.
 */
const labelSet = z.unknown().transform((value, ctx): Record<string, string> => {
  const out = Object.create(null) as Record<string, string>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected an object of label names to string values', input: value });
    return out;
  }
  for (const [name, text] of Object.entries(value)) {
    const problem = labelNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    else if (typeof text === 'string') out[name] = text;
    else ctx.addIssue({ code: 'custom', message: 'expected a string', path: [name], input: text });
  }
  return out;
});

export const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved'], { error: 'expected "firing" or "resolved"' }),
  labels: labelSet,
  // Nanosecond precision and any offset occur in practice ("2026-11-25T11:09:59.658146904Z").
  startsAt: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' }),
  fingerprint: z.string().optional(),
  annotations: labelSet.optional(),
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
