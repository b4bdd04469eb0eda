// Small DOM helpers shared by the dashboard's modules.
export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text, never HTML). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** The clock time for today, the date too for older moments (a reload shows bonks of other days). */
export function formatTime(date) {
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
}

export function timeEl(date) {
  return el('time', { datetime: date.toISOString() }, formatTime(date));
}

export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
