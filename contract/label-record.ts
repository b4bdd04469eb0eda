// Label maps in bonk and ack payloads: names to strings in a null-prototype record.
import * as z from 'zod';

/**
 * zod's record builds a plain object, where assigning `__proto__` sets the prototype instead of a property, so a label
 * named `__proto__` (a valid Prometheus label name) would silently vanish between the edge and the device.
 */
export const labelRecordSchema = z.unknown().transform((value, ctx): Record<string, string> => {
  const out = Object.create(null) as Record<string, string>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected an object of label names to string values', input: value });
    return out;
  }
  for (const [name, text] of Object.entries(value)) {
    if (typeof text === 'string') out[name] = text;
    else ctx.addIssue({ code: 'custom', message: 'expected a string', path: [name], input: text });
  }
  return out;
});
