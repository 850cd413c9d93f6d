// Building the page: every piece of text from a run goes in as a text node, never as
// HTML, so that a run's content (written by a model or a user) cannot become markup.

/** Which page the reader is on: a page drawn after an await checks it is still wanted. */
export const page = { visit: 0 };

/** An element with attributes, listeners and children (strings become text nodes). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "style") Object.assign(element.style, value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Seconds as people read them: 85 ms, 1.24 s, 3 min 20 s, 2 h 5 min. */
export function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 60) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${Math.floor(value / 3600)} h ${Math.round((value % 3600) / 60)} min`;
}

/** A time since the epoch (seconds), in the reader's locale. */
export function when(epoch) {
  return new Date(epoch * 1000).toLocaleString();
}

/** A count with its noun, plural when it is not 1. */
export function count(n, noun) {
  return `${n.toLocaleString()} ${noun}${n === 1 ? "" : "s"}`;
}

/** The JSON the server sent at `path` (relative to the page), or an Error with its reason. */
export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

/** A notice of something that went wrong. */
export function problem(text) {
  return h("p", { class: "problem", role: "alert" }, text);
}
