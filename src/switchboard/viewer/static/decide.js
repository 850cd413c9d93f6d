// A paused run's pending calls, each with its decision: approve, deny, or supply a result.
// Once every call has one, they are posted, and the run is resumed by the viewer's hook.
import { h, problem } from "./dom.js";
import { argumentsView } from "./tree.js";

const DENIAL = "The user denied this call.";

/** The panel of the run's pending calls; `onResume` follows the run once it resumes. */
export function pendingPanel(run, onResume) {
  const decisions = new Map();
  const status = h("p", { class: "resume-status", role: "status" });
  const { available, in_flight: inFlight, error } = run.resume;
  if (inFlight) status.textContent = "Resuming…";
  const calls = run.pending_calls.map((call) => pendingCall(call, run, decisions, status, onResume, available && !inFlight));
  return h(
    "section",
    { class: "pending" },
    h("h2", {}, `Waiting on ${run.pending_calls.length === 1 ? "a call" : `${run.pending_calls.length} calls`}`),
    available ? null : h("p", { class: "note" }, "To decide here, start the viewer with the run's tools: switchboard view --tools FILE --model MODEL"),
    error ? problem(`The last resume failed: ${error}`) : null,
    calls,
    status,
  );
}

function pendingCall(call, run, decisions, status, onResume, enabled) {
  const choice = h("span", { class: "choice" });
  const decide = (decision, shown) => {
    decisions.set(call.call_id, decision);
    choice.textContent = shown;
    if (decisions.size === run.pending_calls.length) send(run, decisions, status, onResume);
  };
  const disabled = !enabled;
  let controls;
  if (call.kind === "external") {
    const result = h("input", { class: "supply-result", placeholder: "the result", "aria-label": "result", disabled });
    controls = [result, h("button", { class: "supply", type: "button", disabled, onclick: () => decide({ decision: "supply", result: result.value }, "result supplied") }, "Supply result")];
  } else {
    const message = h("input", { class: "deny-message", value: DENIAL, "aria-label": "message for the model when denied", disabled });
    controls = [
      h("button", { class: "approve", type: "button", disabled, onclick: () => decide({ decision: "approve" }, "approved") }, "Approve"),
      h("button", { class: "deny", type: "button", disabled, onclick: () => decide({ decision: "deny", message: message.value || DENIAL }, "denied") }, "Deny"),
      message,
    ];
  }
  return h(
    "div",
    { class: "pending-call", dataset: { callId: call.call_id } },
    h("div", {}, h("span", { class: "tool" }, call.tool), " ", h("code", { class: "call-id" }, call.call_id), call.reason ? h("span", { class: "reason" }, ` ${call.reason}`) : null),
    argumentsView(call.arguments, `pending/${call.call_id}`, true),
    h("div", { class: "decide" }, controls, choice),
  );
}

async function send(run, decisions, status, onResume) {
  for (const button of document.querySelectorAll(".pending button")) button.disabled = true;
  status.textContent = "Resuming…";
  let reason;
  try {
    const response = await fetch(`api/runs/${encodeURIComponent(run.run_id)}/resume`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ decisions: Object.fromEntries(decisions) }),
    });
    if (response.ok) {
      onResume();
      return;
    }
    const body = await response.json().catch(() => ({}));
    reason = body.error || response.statusText;
  } catch (error) {
    reason = `the viewer did not answer (${error.message})`;
  }
  status.textContent = `Not resumed: ${reason}`;
  decisions.clear();
  for (const button of document.querySelectorAll(".pending button")) button.disabled = false;
}
