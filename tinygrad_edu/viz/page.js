// Walk the chain rule over the graph: no libraries, just the DOM.
// The page holds the trace in <script id="walks"> as JSON: walks.backward is the list of
// trace steps in the order backward() takes them, walks.forward the Values in the order
// the forward pass computes them. Each SVG node <g> has its DOT name as id: v3, op3.
"use strict";
const walks = JSON.parse(document.getElementById("walks").textContent);
const valueNodes = Array.from(document.querySelectorAll("g.node")).filter((g) => g.id.startsWith("v"));
let mode = "backward"; // or "forward"
let position = 0;      // how many steps of the current walk have been taken

// What is visible after `position` steps: backward shows every value's data and the grads
// computed so far (a grad reached along several edges only once its sum is complete);
// forward shows the data computed so far and no grads.
function visibleNumbers(steps) {
  const data = new Set(), grads = new Set();
  if (mode === "backward") {
    valueNodes.forEach((g) => data.add(g.id));
    if (position > 0) grads.add(walks.root); // dL/dL = 1 starts the walk
    steps.slice(0, position).forEach((step) => { if (step.complete) grads.add(step.node); });
  } else {
    steps.slice(0, position).forEach((step) => data.add(step.node));
  }
  return { data, grads };
}

function highlight(step) {
  document.querySelectorAll("g.current, g.source").forEach((g) => g.classList.remove("current", "source"));
  if (!step) {
    if (mode === "backward") keepInView([document.getElementById(walks.root)]); // where backward starts
    return;
  }
  const current = document.getElementById(step.node);
  current.classList.add("current");
  // In backward the gradient arrives from the operation's output; in forward the operation makes the node.
  const sources = [step.operation, step.output].filter(Boolean).map((id) => document.getElementById(id));
  sources.forEach((g) => g.classList.add("source"));
  keepInView([current, ...sources]);
}

// Scroll the graph's pane, when they are not all in view already, to centre the nodes of this step.
function keepInView(nodes) {
  const pane = document.getElementById("graph");
  const view = pane.getBoundingClientRect();
  const boxes = nodes.map((g) => g.getBoundingClientRect());
  const left = Math.min(...boxes.map((b) => b.left)), right = Math.max(...boxes.map((b) => b.right));
  const top = Math.min(...boxes.map((b) => b.top)), bottom = Math.max(...boxes.map((b) => b.bottom));
  if (left >= view.left && right <= view.right && top >= view.top && bottom <= view.bottom) return;
  pane.scrollBy((left + right - view.left - view.right) / 2, (top + bottom - view.top - view.bottom) / 2);
}

function showPanel(steps, step) {
  const title = mode === "backward" ? "Backward" : "Forward";
  document.getElementById("panel-title").textContent = step
    ? `${title}: step ${position} of ${steps.length}`
    : `${title}: press Next to ${mode === "backward" ? "start at the loss" : "compute the first value"}`;
  const list = document.getElementById("panel-lines");
  list.replaceChildren(...(step ? step.lines : []).map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  document.getElementById("position").textContent = `${position} / ${steps.length}`;
}

function fit(on) {
  document.getElementById("graph").classList.toggle("fit", on);
  document.getElementById("fit").setAttribute("aria-pressed", on);
}

function render() {
  const steps = walks[mode];
  const { data, grads } = visibleNumbers(steps);
  valueNodes.forEach((g) => {
    g.classList.toggle("data-hidden", !data.has(g.id));
    g.classList.toggle("grad-hidden", !grads.has(g.id));
  });
  highlight(steps[position - 1]);
  showPanel(steps, steps[position - 1]);
  document.getElementById("mode-backward").setAttribute("aria-pressed", mode === "backward");
  document.getElementById("mode-forward").setAttribute("aria-pressed", mode === "forward");
}

function move(by) {
  position = Math.min(Math.max(position + by, 0), walks[mode].length);
  render();
}

function start(newMode) {
  mode = newMode;
  position = 0;
  render();
}

document.getElementById("next").addEventListener("click", () => move(1));
document.getElementById("back").addEventListener("click", () => move(-1));
document.getElementById("reset").addEventListener("click", () => start(mode));
document.getElementById("mode-backward").addEventListener("click", () => start("backward"));
document.getElementById("mode-forward").addEventListener("click", () => start("forward"));
document.getElementById("fit").addEventListener("click", () => {
  fit(!document.getElementById("graph").classList.contains("fit"));
  render();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight") move(1);
  if (event.key === "ArrowLeft") move(-1);
});
fit(false);
render();
