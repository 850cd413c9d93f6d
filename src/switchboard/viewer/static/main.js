// The page's router: #/ is the list of runs (with its filters), #/runs/ID one run.
import { showRuns } from "./list.js";
import { leaveRun, showRun } from "./run.js";

const main = document.getElementById("main");

function route() {
  leaveRun();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const match = path.match(/^\/runs\/([^/]+)$/);
  if (match) showRun(main, decodeURIComponent(match[1]));
  else showRuns(main, new URLSearchParams(query));
  window.scrollTo(0, 0);
}

window.addEventListener("hashchange", route);
route();
