// JSON shown folded: objects and arrays are <details> that open one level at a time.
import { h } from "./dom.js";

/**
 * A folded view of a JSON value.
 * @param {*} value - the value
 * @param {string} label - what it is ("arguments", "result")
 * @param {string} key - a stable key, so that what a reader opened stays open on redraw
 * @param {boolean} open - whether the first level starts open
 */
export function jsonTree(value, label, key, open = false) {
  if (!isComposite(value)) {
    return h("div", { class: "json json-line" }, h("span", { class: "json-key" }, `${label}: `), scalar(value));
  }
  return node(value, label, key, open);
}

/** Text that may be JSON (a tool's result as the model reads it): folded if it is, else as written. */
export function textView(text, label, key) {
  try {
    return jsonTree(JSON.parse(text), label, key);
  } catch {
    return h("div", { class: "json json-line" }, h("span", { class: "json-key" }, `${label}: `), h("code", { class: "json-raw" }, text));
  }
}

/** A call's arguments: folded JSON, or the text as written when it is not JSON. */
export function argumentsView(args, key, open = false) {
  if (args.text !== null && args.json === null) {
    return h("div", { class: "json json-line" }, h("span", { class: "json-key" }, "arguments (not JSON): "), h("code", { class: "json-raw" }, args.text));
  }
  return jsonTree(args.json, "arguments", key, open);
}

function node(value, label, key, open) {
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const details = h("details", { class: "json", dataset: { key }, open });
  details.append(
    h("summary", {}, h("span", { class: "json-key" }, String(label)), " ", h("span", { class: "json-size" }, size(value))),
  );
  const body = h("div", { class: "json-body" });
  for (const [name, item] of entries) {
    if (isComposite(item)) body.append(node(item, name, `${key}/${name}`, false));
    else body.append(h("div", { class: "json-line" }, h("span", { class: "json-key" }, `${name}: `), scalar(item)));
  }
  details.append(body);
  return details;
}

function isComposite(value) {
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

function size(value) {
  const n = Object.keys(value).length;
  return Array.isArray(value) ? `[${n}]` : `{${n}}`;
}

function scalar(value) {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return h("span", { class: `json-${type}` }, JSON.stringify(value));
}
