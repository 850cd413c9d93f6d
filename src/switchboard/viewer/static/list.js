// The list of runs, newest first, filtered by status, model and tool.
import { count, getJson, h, page, problem, when } from "./dom.js";

const STATUSES = ["", "running", "paused", "finished", "failed"];

/** Draw the list of runs into `main`, filtered as `query` (URLSearchParams) says. */
export async function showRuns(main, query) {
  const form = filters(query);
  const list = h("div", { class: "runs", "aria-busy": "true" });
  main.replaceChildren(h("h1", {}, "Runs"), form, list);
  const params = new URLSearchParams();
  for (const name of ["status", "model", "tool"]) {
    if (query.get(name)) params.set(name, query.get(name));
  }
  const visit = page.visit;
  try {
    const { runs, scanned } = await getJson(`api/runs?${params}`);
    if (visit !== page.visit) return; // the reader went elsewhere meanwhile
    list.replaceChildren(...runs.map(card));
    if (!runs.length) list.append(h("p", { class: "empty" }, "No runs match."));
    if (scanned !== null) list.append(h("p", { class: "note" }, `Searched the newest ${count(scanned, "run")}.`));
  } catch (error) {
    list.replaceChildren(problem(`The runs could not be read: ${error.message}`));
  }
  list.removeAttribute("aria-busy");
}

function filters(query) {
  const status = h(
    "select",
    { name: "status", "aria-label": "status" },
    STATUSES.map((s) => h("option", { value: s, selected: s === (query.get("status") || "") }, s || "any status")),
  );
  const model = h("input", { name: "model", type: "search", placeholder: "model", "aria-label": "model", value: query.get("model") || "" });
  const tool = h("input", { name: "tool", type: "search", placeholder: "tool", "aria-label": "tool", value: query.get("tool") || "" });
  const form = h("form", { class: "filters", role: "search" }, status, model, tool, h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const input of [status, model, tool]) if (input.value.trim()) params.set(input.name, input.value.trim());
    location.hash = `#/?${params}`;
  });
  status.addEventListener("change", () => form.requestSubmit());
  return form;
}

function card(run) {
  const tokens = run.input_tokens + run.output_tokens;
  const facts = [count(run.steps, "step"), count(run.calls, "call")];
  if (run.errors) facts.push(count(run.errors, "error"));
  if (run.pending) facts.push(`${run.pending} pending`);
  if (tokens) facts.push(count(tokens, "token"));
  return h(
    "a",
    { class: "run-card", href: `#/runs/${encodeURIComponent(run.run_id)}`, dataset: { runId: run.run_id } },
    h(
      "div",
      { class: "run-card-head" },
      h("span", { class: `badge status-${run.status}` }, run.status),
      h("span", { class: "run-model" }, run.model || "unknown model"),
      h("time", { class: "run-time" }, when(run.created_at)),
    ),
    h("p", { class: "run-prompt" }, run.prompt || "(no prompt)"),
    h("p", { class: "run-facts" }, facts.join(" · ")),
    run.tools.length ? h("p", { class: "run-tools" }, "tools: ", run.tools.join(", ")) : null,
  );
}
