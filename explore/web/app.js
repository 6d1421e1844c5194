// smd explore: the page. It holds no physics: the worker's smd.wasm (Go
// package explore) turns the controls into the `smd simulate` config, runs
// it and computes the theory; this file draws and keeps the URL.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("controls");
const COL = { step: 0, risk: 3, risk_se: 4, loss: 5, loss_se: 6, au_rms: 9, au_rms_se: 10, norm: 11, norm_se: 12 };
const BLUE = "#0b6bcb", ORANGE = "#d35400", THEORY = "#222", PINTHEORY = "#b35a1f";

let module = null, worker = null, seq = 0, running = false, generation = 0, runsDone = 0;
let engineVersion = "", native = null;
const pending = new Map();
const view = { current: null, pinned: null };

function status(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

function newWorker() {
  if (worker) worker.terminate();
  for (const p of pending.values()) p.resolve({ error: "cancelled" });
  pending.clear();
  running = false;
  worker = new Worker("worker.js");
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      const m = e.data;
      if (m.type === "ready") { engineVersion = m.version; resolve(); return; }
      if (m.type === "fatal") { reject(new Error(m.error)); return; }
      const p = pending.get(m.id);
      if (!p) return;
      if (m.type === "row") p.onRow(m.row);
      else if (m.type === "theory") p.onTheory(m.theory);
      else { pending.delete(m.id); p.resolve(m.result); }
    };
    worker.onerror = (e) => reject(new Error(e.message || "worker failed"));
    worker.postMessage({ type: "init", module });
  });
}

function call(msg, onRow, onTheory) {
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, { resolve, onRow: onRow || (() => {}), onTheory: onTheory || (() => {}) });
    worker.postMessage({ ...msg, id });
  });
}

// ---- form and URL ----
function setForm(query) {
  const q = new URLSearchParams(query);
  for (const el of form.elements) {
    if (!el.name || !q.has(el.name)) continue;
    if (el.type === "checkbox") el.checked = q.get(el.name) === "true";
    else el.value = q.get(el.name);
  }
  syncInit();
}
function readForm() {
  const q = new URLSearchParams();
  for (const el of form.elements) {
    if (!el.name) continue;
    q.set(el.name, el.type === "checkbox" ? String(el.checked) : el.value.trim());
  }
  return q.toString();
}
function syncInit() {
  const norm = form.elements.init.value === "norm";
  form.elements.std.disabled = norm;
  form.elements.norm.disabled = !norm;
  form.elements.f0.disabled = !norm;
}
function setURL() {
  let q = view.current ? view.current.query : readForm();
  if (view.pinned) q += "&pin=" + encodeURIComponent(view.pinned.query);
  history.replaceState(null, "", "?" + q);
}
function blobURL(text, type) { return URL.createObjectURL(new Blob([text], { type })); }
function setLink(id, href) {
  const a = $(id);
  if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
  a.href = href || "#";
  a.setAttribute("aria-disabled", href ? "false" : "true");
}

// ---- runs ----
async function apply(query) {
  const gen = ++generation;
  // Clear a previous error at once (synchronously): the page never shows a
  // stale message for a view it is already checking.
  status("checking the config…");
  if (running) await newWorker();
  const cfg = await call({ type: "config", query });
  if (gen !== generation) return;
  if (cfg.error) { status(cfg.error, true); return; }
  setForm(cfg.query);
  await runInto("current", cfg, gen);
}

async function runInto(slot, cfg, gen) {
  const run = { query: cfg.query, yaml: cfg.yaml, rows: [], theory: null, result: null };
  const q = new URLSearchParams(cfg.query);
  run.steps = +q.get("steps");
  run.decay = +q.get("decay_factor") !== 1 ? +q.get("decay_step") : null;
  view[slot] = run;
  if (slot === "current") {
    setURL();
    setLink("download-config", blobURL(cfg.yaml, "application/yaml"));
    setLink("export-csv", null);
    $("summary").textContent = "";
    document.body.dataset.state = "running";
  }
  running = true;
  const t0 = performance.now();
  status(slot === "pinned" ? "running the pinned view…" : "running…");
  const result = await call({ type: "run", yaml: cfg.yaml }, (row) => {
    run.rows.push(row);
    run.streamed = (run.streamed || 0) + 1;
    if (slot === "current") {
      const pct = run.steps > 0 ? Math.min(100, Math.round(100 * row[COL.step] / run.steps)) : 0;
      status(`running: step ${row[COL.step]} of ${run.steps} (${pct}%), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    scheduleDraw();
  }, (th) => { run.theory = th; scheduleDraw(); });
  running = false;
  if (gen !== undefined && gen !== generation) return;
  if (result.error) {
    if (result.error !== "cancelled") status(result.error, true);
    if (slot === "current") document.body.dataset.state = "error";
    return;
  }
  run.result = result;
  run.rows = result.rows;
  run.theory = result.theory;
  scheduleDraw();
  if (slot !== "current") return;
  $("summary").textContent = result.summary;
  setLink("export-csv", blobURL(result.csv, "text/csv"));
  const warn = result.warnings.length ? " · warning: " + result.warnings.join("; ") : "";
  status(`done: engine ${result.method}, ${result.rows.length} rows, ${result.wallSec.toFixed(2)} s${warn}`);
  showFacts(run);
  showSpeed(result);
  runsDone++;
  document.body.dataset.streamed = String(run.streamed || 0);
  document.body.dataset.runs = String(runsDone);
  document.body.dataset.state = "done";
}

function fmt(v, d = 4) {
  if (v === null || v === undefined || !isFinite(v)) return "—";
  return Number(v.toPrecision(d)).toString();
}
function fmtRate(v) { return isFinite(v) && v > 0 ? v.toExponential(2).replace("e+", "e") : "—"; }

function showFacts(run) {
  const th = run.theory, q = new URLSearchParams(run.query);
  const last = (a) => (a && a.length ? a[a.length - 1] : NaN);
  const method = q.get("method") === "auto" ? `${run.result.method} (auto)` : run.result.method;
  let html = `engine <b id="engine">${method}</b> · p = ${q.get("p")} · ${run.result.rows.length} recorded steps`;
  if (th && !th.note) {
    html += ` · at the end: r* = <b>${fmt(last(th.riskLimit))}</b>, √(2λη) = <b>${fmt(last(th.auLimit))}</b>, ‖X_∞‖ = <b>${fmt(last(th.normLimit))}</b>`;
  } else if (th) {
    html += ` · ${th.note}`;
  }
  $("facts").innerHTML = html;
}

function showSpeed(result) {
  let html = `speed in this browser: <b id="browser-speed">${fmtRate(result.stepsPerSec)}</b> trial-steps/s (WebAssembly, one thread${runsDone === 0 ? "; a first run is slower: the browser optimises the engine's code as it runs" : ""})`;
  if (native) {
    html += ` · native <code>smd</code> on the machine that wrote this page, on the default view (engine ${native.method}): ` +
      `<b id="native-speed">${fmtRate(native.trial_steps_per_s_1_worker)}</b> on 1 core, ` +
      `${fmtRate(native.trial_steps_per_s_all_workers)} on ${native.workers}`;
    if (view.current && view.current.query !== native.query) html += " (this view differs from the default: compare with care)";
  }
  $("speed").innerHTML = html;
  $("versions").textContent = `Engine: ${result.version} (wasm)` + (native ? `; page written by ${native.version}.` : ".");
}

// ---- drawing ----
let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawAll(); });
}

function series(run, col, se, color, width, alpha) {
  return { x: run.rows.map((r) => r[COL.step]), y: run.rows.map((r) => r[col]), se: run.rows.map((r) => r[se]), color, width, alpha };
}
function overlay(th, key, color, dash) {
  if (!th || !th[key] || !th.steps) return null;
  return { x: th.steps, y: th[key], color, width: 1.5, dash };
}

const PANELS = [
  { id: "c-risk", title: "risk r = 1 − E f", log: true, col: "risk", th: [["riskLimit", [2, 3]], ["riskAdiabatic", [8, 3, 2, 3]]] },
  { id: "c-loss", title: "loss E L(X)", log: false, col: "loss", th: [["lossLimit", [2, 3]]] },
  { id: "c-au", title: "angular update √(EΔ²) (rad/step)", log: true, col: "au_rms", th: [["auPath", [7, 4]], ["auLimit", [2, 3]]] },
  { id: "c-norm", title: "weight norm E‖X‖", log: true, col: "norm", th: [["normPath", [7, 4]], ["normLimit", [2, 3]]] },
];

function drawAll() {
  for (const p of PANELS) {
    const layers = [];
    const decays = [];
    for (const [slot, color, thColor] of [["pinned", ORANGE, PINTHEORY], ["current", BLUE, THEORY]]) {
      const run = view[slot];
      if (!run) continue;
      layers.push(series(run, COL[p.col], COL[p.col + "_se"], color, slot === "current" ? 1.8 : 1.4, 0.18));
      for (const [key, dash] of p.th) {
        const o = overlay(run.theory, key, thColor, dash);
        if (o) layers.push(o);
      }
      if (run.decay !== null && run.decay <= run.steps) decays.push(run.decay);
    }
    drawPanel($(p.id), p.title, p.log, layers, decays);
  }
  const lg = [`<span style="--c:${BLUE}">this run (mean ± SE)</span>`];
  if (view.pinned) lg.push(`<span style="--c:${ORANGE}">pinned run</span>`);
  lg.push(`<span class="dot" style="--c:${THEORY}">limits: Theorem 2 r* and loss, √(2λη), equilibrium ‖X‖ (eq 17)</span>`);
  lg.push(`<span class="dash" style="--c:${THEORY}">paths: eq 17 norm, Lemma 1 AU along it; risk: Theorem 2 r* at the current norm</span>`);
  $("legend").innerHTML = lg.join("");
}

function niceStep(span, n) {
  const raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}
function tickLabel(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

function drawPanel(cv, title, log, layers, decays) {
  const dpr = window.devicePixelRatio || 1, w = cv.clientWidth, h = cv.clientHeight;
  if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
    cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
  }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const L = 56, R = 22, T = 22, B = 32, pw = w - L - R, ph = h - T - B;
  g.fillStyle = "#1b1f24"; g.font = "600 13px system-ui, sans-serif"; g.textAlign = "left"; g.textBaseline = "alphabetic";
  g.fillText(title, L, 15);
  const ok = (y) => isFinite(y) && (!log || y > 0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of layers) {
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (!ok(y)) continue;
      x0 = Math.min(x0, s.x[i]); x1 = Math.max(x1, s.x[i]);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (!(x1 >= x0) || !(y1 >= y0)) {
    g.fillStyle = "#5b6570"; g.font = "12px system-ui, sans-serif"; g.fillText("waiting for data…", L, T + 20);
    return;
  }
  if (view.current && view.current.steps) x1 = Math.max(x1, view.current.steps);
  if (x1 === x0) x1 = x0 + 1;
  const tf = log ? Math.log10 : (v) => v;
  let a = tf(y0), b = tf(y1);
  if (b - a < 1e-12) { const d = log ? 0.05 : Math.max(Math.abs(a) * 0.05, 1e-6); a -= d; b += d; }
  const pad = (b - a) * 0.06; a -= pad; b += pad;
  const X = (x) => L + (x - x0) / (x1 - x0) * pw;
  const Y = (y) => T + (1 - (tf(y) - a) / (b - a)) * ph;
  // grid and ticks
  g.strokeStyle = "#e3e7eb"; g.lineWidth = 1; g.fillStyle = "#5b6570"; g.font = "11px system-ui, sans-serif";
  let yt = [];
  if (log) {
    const lo = Math.floor(a), hi = Math.ceil(b), mult = hi - lo <= 2 ? [1, 2, 5] : [1];
    for (let k = lo; k <= hi; k++) for (const m of mult) { const v = m * Math.pow(10, k); if (tf(v) >= a && tf(v) <= b) yt.push(v); }
    if (yt.length < 2) { const st = niceStep(Math.pow(10, b) - Math.pow(10, a), 4); for (let v = Math.ceil(Math.pow(10, a) / st) * st; v <= Math.pow(10, b); v += st) yt.push(v); }
  } else {
    const st = niceStep(b - a, 4);
    for (let v = Math.ceil(a / st) * st; v <= b + 1e-12; v += st) yt.push(v);
  }
  g.textAlign = "right"; g.textBaseline = "middle";
  for (const v of yt) {
    const y = Y(v);
    g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
    g.fillText(tickLabel(v), L - 5, y);
  }
  const xs = niceStep(x1 - x0, Math.max(2, Math.floor(pw / 90)));
  g.textAlign = "center"; g.textBaseline = "top";
  for (let v = Math.ceil(x0 / xs) * xs; v <= x1 + 1e-9; v += xs) {
    const x = X(v);
    g.beginPath(); g.moveTo(x, T); g.lineTo(x, T + ph); g.stroke();
    g.fillText(tickLabel(v), x, T + ph + 4);
  }
  g.fillText("t (steps)", L + pw / 2, T + ph + 17);
  g.strokeStyle = "#9aa4ae"; g.strokeRect(L, T, pw, ph);
  g.save();
  g.beginPath(); g.rect(L, T, pw, ph); g.clip();
  for (const d of decays) {
    g.strokeStyle = "#8a949e"; g.setLineDash([2, 3]); g.beginPath(); g.moveTo(X(d), T); g.lineTo(X(d), T + ph); g.stroke();
  }
  g.setLineDash([]);
  for (const s of layers) {
    if (s.se) { // band: mean ± SE
      g.fillStyle = s.color; g.globalAlpha = s.alpha;
      g.beginPath();
      let started = false;
      const up = [];
      for (let i = 0; i < s.x.length; i++) {
        const hi = s.y[i] + s.se[i];
        if (!ok(hi) || !isFinite(s.se[i])) continue;
        up.push(i);
        if (!started) { g.moveTo(X(s.x[i]), Y(hi)); started = true; } else g.lineTo(X(s.x[i]), Y(hi));
      }
      for (let j = up.length - 1; j >= 0; j--) {
        const i = up[j];
        let lo = s.y[i] - s.se[i];
        if (!ok(lo)) lo = log ? Math.pow(10, a) : lo;
        g.lineTo(X(s.x[i]), Y(lo));
      }
      if (started) g.fill();
      g.globalAlpha = 1;
    }
    g.strokeStyle = s.color; g.lineWidth = s.width; g.setLineDash(s.dash || []);
    g.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      if (!ok(s.y[i])) { pen = false; continue; }
      const x = X(s.x[i]), y = Y(s.y[i]);
      if (pen) g.lineTo(x, y); else { g.moveTo(x, y); pen = true; }
    }
    g.stroke();
    g.setLineDash([]);
  }
  g.restore();
}

// ---- events ----
let debounce = null;
form.addEventListener("input", (e) => {
  if (e.target.name === "init") syncInit();
  clearTimeout(debounce);
  debounce = setTimeout(() => apply(readForm()), 450);
});
form.addEventListener("change", () => { clearTimeout(debounce); apply(readForm()); });
$("pin").addEventListener("click", () => {
  if (view.pinned) {
    view.pinned = null;
    $("pin").textContent = "Pin this run";
  } else if (view.current && view.current.result) {
    view.pinned = view.current;
    $("pin").textContent = "Unpin";
  }
  setURL();
  scheduleDraw();
});
$("reset").addEventListener("click", () => apply(""));
window.addEventListener("resize", scheduleDraw);

async function main() {
  try {
    module = await WebAssembly.compileStreaming(fetch("smd.wasm"));
    await newWorker();
  } catch (err) {
    status("cannot start the engine: " + err.message, true);
    return;
  }
  native = await fetch("native.json").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  const q = new URLSearchParams(location.search);
  const pin = q.get("pin");
  q.delete("pin");
  if (pin) {
    const cfg = await call({ type: "config", query: pin });
    if (cfg.error) status("pinned view: " + cfg.error, true);
    else {
      await runInto("pinned", cfg);
      if (view.pinned && view.pinned.result) $("pin").textContent = "Unpin";
      else view.pinned = null;
    }
  }
  await apply(q.toString());
}
main();
