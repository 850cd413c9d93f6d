// The page's router: #/ is the list of runs (with its filters), #/runs/ID one run.
import { showRuns } from "./list.js";
import { page } from "./dom.js";
import { leaveRun, showRun } from "./run.js";

const main = document.getElementById("main");

function route() {
  leaveRun();
  page.visit += 1;
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const match = path.match(/^\/runs\/([^/]+)$/);
  if (match) showRun(main, decoded(match[1]));
  else showRuns(main, new URLSearchParams(query));
  window.scrollTo(0, 0);
}

function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a hand-typed address with a stray %: look the id up as written
  }
}

window.addEventListener("hashchange", route);
route();
