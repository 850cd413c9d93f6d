// One run: its head, its pending calls, its answer, and its steps and calls on a timeline.
import { pendingPanel } from "./decide.js";
import { count, getJson, h, page, problem, seconds, when } from "./dom.js";
import { argumentsView, jsonTree, textView } from "./tree.js";

let following = null; // the EventSource of the run shown live, if any

/** Stop following the run shown (the reader went elsewhere). */
export function leaveRun() {
  if (following) following.close();
  following = null;
}

/** Draw run `runId` into `main`, and follow it live while it runs. */
export async function showRun(main, runId) {
  const visit = page.visit;
  main.replaceChildren(h("p", { class: "note" }, "Loading…"));
  let run;
  try {
    run = await getJson(`api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    if (visit === page.visit) main.replaceChildren(back(), problem(error.message));
    return;
  }
  if (visit !== page.visit) return; // the reader went elsewhere meanwhile
  const current = () => visit === page.visit;
  const redraw = (data) => {
    if (current()) draw(main, data, () => current() && follow(main, runId, redraw));
  };
  redraw(run);
  if (isLive(run)) follow(main, runId, redraw);
}

function isLive(run) {
  return run.status === "running" || run.resume.in_flight;
}

function follow(main, runId, redraw) {
  leaveRun();
  const source = new EventSource(`api/runs/${encodeURIComponent(runId)}/events`);
  following = source;
  source.addEventListener("run", (event) => redraw(JSON.parse(event.data)));
  source.addEventListener("end", () => {
    source.close();
    if (following === source) following = null;
    main.querySelector(".live")?.remove();
  });
}

/** Draw the run, keeping open what the reader opened (a live run is drawn again and again). */
function draw(main, run, onResume) {
  const opened = new Set([...main.querySelectorAll("details[open]")].map((d) => d.dataset.key));
  const parts = [
    head(run),
    run.status === "paused" && run.pending_calls.length ? pendingPanel(run, onResume) : null,
    run.answer !== null ? h("section", { class: "answer" }, h("h2", {}, "Answer"), h("p", { class: "answer-text" }, run.answer)) : null,
    timeline(run),
  ];
  main.replaceChildren(...parts.filter(Boolean));
  for (const details of main.querySelectorAll("details")) {
    if (opened.has(details.dataset.key)) details.open = true;
  }
  main.dataset.runStatus = run.status;
}

function back() {
  return h("a", { class: "back", href: "#/" }, "← all runs");
}

function head(run) {
  const facts = [
    h("span", { class: `badge status-${run.status}` }, run.status),
    run.model ? h("span", {}, run.model) : null,
    h("time", {}, when(run.created_at)),
    h("span", {}, count(run.steps, "step")),
    h("span", {}, count(run.calls, "call")),
    h("span", {}, `${run.input_tokens.toLocaleString()} in / ${run.output_tokens.toLocaleString()} out tokens`),
    h("span", {}, seconds(run.axis.seconds)),
  ];
  return h(
    "section",
    { class: "run-head" },
    back(),
    h("h1", {}, "Run ", h("code", { class: "run-id" }, run.run_id)),
    h("p", { class: "run-facts" }, facts),
    run.prompt ? h("p", { class: "run-prompt" }, run.prompt) : null,
    run.status === "running" ? h("p", { class: "live", role: "status" }, "live: updates as the run goes on") : null,
    run.state_error ? problem(`The run's state cannot be read here: ${run.state_error}`) : null,
  );
}

function timeline(run) {
  const steps = run.timeline.map((step) => stepView(step, run));
  return h(
    "section",
    { class: "timeline", "aria-label": "timeline" },
    h("h2", {}, "Timeline"),
    h(
      "div",
      { class: "row axis-row" },
      h("div", { class: "label" }),
      h("div", { class: "track axis" }, breaks(run), h("span", { class: "axis-start" }, "0 s"), h("span", { class: "axis-end" }, seconds(run.axis.seconds))),
      h("div", { class: "meta" }),
    ),
    steps.length ? steps : h("p", { class: "empty" }, "No step recorded yet."),
  );
}

function breaks(run) {
  return run.axis.breaks.map((cut) =>
    h("div", { class: "break", title: `${seconds(cut.skipped)} idle, drawn short`, style: place(cut.start, cut.end - cut.start) }, h("span", {}, `⋯ ${seconds(cut.skipped)}`)),
  );
}

function place(left, width) {
  return { left: `${(left * 100).toFixed(4)}%`, width: `${(width * 100).toFixed(4)}%` };
}

function stepView(step, run) {
  const latency = step.latency === null ? "" : seconds(step.latency);
  const tokens = step.input_tokens || step.output_tokens ? `${step.input_tokens} in / ${step.output_tokens} out` : "";
  const modelRow = h(
    "div",
    { class: "row model-row", dataset: { step: step.index } },
    h("div", { class: "label" }, h("b", {}, `Step ${step.index + 1}`), " model", step.model ? h("span", { class: "muted" }, ` ${step.model}`) : null, marks(step.marks)),
    track(run, h("div", { class: `bar model${step.finished_at === null ? " open" : ""}`, style: place(step.bar.left, step.bar.width), title: latency })),
    h("div", { class: "meta" }, [latency, tokens, step.stop_reason].filter(Boolean).join(" · ")),
  );
  const key = `step/${step.index}`;
  return h(
    "div",
    { class: "step", dataset: { step: step.index } },
    modelRow,
    step.messages.length ? messages(step.messages, `${key}/request`) : null,
    step.text ? h("p", { class: "turn-text" }, step.text) : null,
    step.calls.map((call) => callView(call, step, run)),
  );
}

function callView(call, step, run) {
  const duration = call.finished_at !== null && call.started_at !== null ? seconds(call.finished_at - call.started_at) : "";
  const shown = call.bar
    ? h("div", { class: `bar call status-${call.status}`, dataset: { callId: call.call_id }, style: place(call.bar.left, call.bar.width), title: duration })
    : h("div", { class: `tick status-${call.status}`, dataset: { callId: call.call_id }, style: { left: `${((step.bar.left + step.bar.width) * 100).toFixed(4)}%` }, title: call.status });
  const key = `call/${step.index}/${call.call_id}`;
  const result = call.result;
  return h(
    "div",
    { class: `call status-${call.status}`, dataset: { callId: call.call_id } },
    h(
      "div",
      { class: "row call-row" },
      h("div", { class: "label" }, h("span", { class: "tool" }, call.tool), " ", h("code", { class: "call-id" }, call.call_id), marks(call.marks)),
      track(run, shown),
      h("div", { class: "meta" }, [duration, call.status].filter(Boolean).join(" · ")),
    ),
    h(
      "div",
      { class: "call-io" },
      argumentsView(call.arguments, `${key}/arguments`),
      result && result.is_error ? h("p", { class: "error-text" }, result.content) : null,
      result && !result.is_error ? textView(result.content, "result", `${key}/result`) : null,
      result ? jsonTree(result, "stored result", `${key}/stored`) : null,
    ),
  );
}

function track(run, bar) {
  return h("div", { class: "track" }, breaks(run), bar);
}

function marks(list) {
  return list.map((mark) => h("span", { class: `mark mark-${mark.kind}`, title: mark.text }, mark.label));
}

function messages(list, key) {
  return h(
    "details",
    { class: "messages", dataset: { key } },
    h("summary", {}, `request: ${count(list.length, "new message")}`),
    list.map((message) => messageView(message)),
  );
}

function messageView(message) {
  const type = message.type || "?";
  let text = message.content ?? message.text ?? "";
  if (type === "assistant" && message.tool_calls?.length) {
    text = [text, ...message.tool_calls.map((c) => `→ ${c.name}(${typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments)})`)].filter(Boolean).join("\n");
  }
  const role = type === "tool_result" ? `result of ${message.name} ${message.call_id}` : type;
  return h("div", { class: `message message-${type}${message.is_error ? " is-error" : ""}` }, h("span", { class: "role" }, role), h("pre", { class: "text" }, text));
}
