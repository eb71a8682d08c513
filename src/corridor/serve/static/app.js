// corridor's what-if page: pick a scenario, change levers, run an ensemble, read its bands and map.
// Everything comes from the JSON API (/docs); the levers sent back are the `--set NAME=VALUE` the
// command line takes.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { scenarios: [], detail: null, job: null, result: null, charts: [], map: null, layers: null, basemap: null };
const GROUP_ORDER = ["ports", "shelters", "states"];
const GROUP_TITLES = { ports: "Ports: lists, waits and claims", shelters: "Shelters and camps against capacity", states: "People by state" };

async function api(path, options) {
  const res = await fetch(path, options);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const detail = body && body.detail ? body.detail : `${res.status} ${res.statusText}`;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return body;
}

function showError(message) {
  const el = $("#error");
  el.textContent = message || "";
  el.hidden = !message;
}

function fmt(x, unit) {
  if (x === null || x === undefined) return "–";
  const digits = Math.abs(x) < 10 && !Number.isInteger(x) ? 1 : 0;
  return x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 }) + (unit === "days" ? " d" : "");
}

// ---------------------------------------------------------------- levers

function leverInput(lv) {
  const input = document.createElement("input");
  input.dataset.lever = lv.name;
  input.id = "lever-" + lv.name.replace(/[^a-z0-9]+/gi, "-");
  if (lv.type === "boolean") {
    input.type = "checkbox";
    input.checked = !!lv.value;
    input.dataset.default = String(!!lv.value);
  } else {
    input.type = lv.type === "date" ? "date" : lv.type === "text" ? "text" : "number";
    if (lv.type === "number" || lv.type === "integer") input.step = "any";
    input.value = lv.value === null || lv.value === undefined ? "" : String(lv.value);
    input.placeholder = lv.value === null ? "none" : "";
    input.dataset.default = input.value;
  }
  input.addEventListener("input", () => markChanged(input));
  input.addEventListener("change", () => markChanged(input));
  return input;
}

function inputValue(input) {
  return input.type === "checkbox" ? String(input.checked) : input.value;
}

function markChanged(input) {
  const changed = inputValue(input) !== input.dataset.default;
  const row = input.closest(".lever");
  row.classList.toggle("changed", changed);
  row.querySelector(".flag").hidden = !changed;
  const n = overrides().length;
  $("#changed").textContent = n ? `${n} lever${n > 1 ? "s" : ""} changed from the scenario's values.` : "";
}

function overrides() {
  const out = [];
  for (const input of document.querySelectorAll("[data-lever]")) {
    const value = inputValue(input);
    if (value === input.dataset.default) continue;
    out.push(`${input.dataset.lever}=${value === "" ? "none" : value}`);
  }
  return out;
}

function drawLevers(sc) {
  const box = $("#levers");
  box.replaceChildren();
  sc.groups.forEach((group, i) => {
    const det = document.createElement("details");
    det.id = "group-" + group.id;
    // on a phone the levers come before the results: open only the first group there
    det.open = i === 0 || (group.id === "shelters" && window.innerWidth > 820);
    const sum = document.createElement("summary");
    sum.textContent = group.title;
    det.append(sum);
    for (const lv of sc.levers.filter((l) => l.group === group.id)) {
      const row = document.createElement("div");
      row.className = "lever";
      const input = leverInput(lv);
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = lv.label;
      const flag = document.createElement("strong");
      flag.className = "flag";
      flag.textContent = " (changed)";
      flag.hidden = true;
      label.append(flag);
      const unit = document.createElement("span");
      unit.className = "unit";
      const shown = lv.value === null || lv.value === undefined ? "none" : String(lv.value);
      unit.textContent = `${lv.unit ? lv.unit + "; " : ""}scenario: ${shown}; ${lv.name}`;
      row.append(label, input, unit);
      det.append(row);
    }
    box.append(det);
  });
  $("#changed").textContent = "";
}

// ---------------------------------------------------------------- scenarios

async function loadScenarios() {
  const data = await api("/api/scenarios");
  state.scenarios = data.scenarios;
  $("#runs").value = data.limits.default_runs;
  $("#runs").max = data.limits.max_runs;
  const sel = $("#scenario");
  sel.replaceChildren();
  for (const sc of data.scenarios) {
    const opt = document.createElement("option");
    opt.value = sc.name;
    opt.textContent = `${sc.name} (${sc.start_date}, ${sc.days} days)`;
    sel.append(opt);
  }
  const wanted = new URLSearchParams(location.search).get("scenario");
  const tj = data.scenarios.find((s) => s.name === wanted) || data.scenarios.find((s) => s.name.includes("tijuana")) || data.scenarios[0];
  if (tj) sel.value = tj.name;
  sel.addEventListener("change", () => pickScenario(sel.value));
  if (tj) await pickScenario(tj.name);
}

async function pickScenario(name) {
  showError("");
  state.detail = await api("/api/scenarios/" + encodeURIComponent(name).replace(/%2F/g, "/"));
  $("#description").textContent = state.detail.description || `${state.detail.title}: ${state.detail.format} format.`;
  drawLevers(state.detail);
  // a calibration of this scenario on the server: each run may take a draw from its posterior
  const post = state.detail.posterior;
  $("#posterior-pick").hidden = !post;
  if (post) {
    $("#posterior-pick span").textContent =
      `Draw the uncertain inputs (${post.levers.length} lever${post.levers.length === 1 ? "" : "s"}) from the calibration ${post.name}` +
      (post.known_by ? ` (observations to ${post.known_by})` : "");
  }
  $("#results").hidden = true;
}

// ---------------------------------------------------------------- running

async function run() {
  showError("");
  const button = $("#run");
  button.disabled = true;
  const progress = $("#progress");
  progress.hidden = false;
  progress.value = 0;
  $("#status").textContent = "Queued…";
  try {
    const body = {
      scenario: state.detail.name,
      overrides: overrides(),
      runs: parseInt($("#runs").value, 10) || undefined,
      posterior: Boolean(state.detail.posterior) && $("#posterior").checked,
    };
    const job = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    state.job = job.id;
    const t0 = performance.now();
    for (;;) {
      const s = await api("/api/runs/" + job.id);
      const p = s.progress;
      progress.max = Math.max(1, p.total);
      progress.value = p.done;
      $("#status").textContent = `${s.status}: ${p.done} of ${p.total} runs (${p.stage}), ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      if (s.status === "done") {
        const inputs = s.posterior ? ", inputs drawn from the calibration" : "";
        $("#status").textContent = `Done: ${s.runs} runs${s.overrides.length ? " and the baseline's" : ""}${inputs} in ${s.seconds.toFixed(1)} s.`;
        showResult(s);
        break;
      }
      if (s.status === "failed") throw new Error(s.error);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    showError(e.message);
    $("#status").textContent = "";
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
}

// ---------------------------------------------------------------- results

function showResult(s) {
  state.result = s.result;
  $("#results").hidden = false;
  $("#results-title").textContent = s.overrides.length ? `What if ${s.overrides.join(", ")}?` : `${s.scenario} as it is`;
  $("#download-zip").href = `/api/runs/${s.id}/run.zip`;
  $("#download-report").href = `/api/runs/${s.id}/report.html`;
  const post = s.result.posterior;
  $("#inputs").hidden = !post;
  if (post) {
    const drawn = post.draws.filter((d) => !d.set);
    const shown = drawn.slice(0, 4).map((d) => `${d.lever} ${fmt(d.q05)}–${fmt(d.q95)}`).join("; ");
    $("#inputs").textContent =
      `Each run drew ${drawn.length} uncertain input${drawn.length === 1 ? "" : "s"} from the calibration ${post.name} (90% of the draws: ${shown}` +
      `${drawn.length > 4 ? "; …" : ""}); the bands carry that uncertainty as well as chance. The baseline took the same draws.`;
  }
  const hasBaseline = s.result.series.some((x) => x.baseline);
  for (const input of document.querySelectorAll('input[name="view"]')) input.disabled = !hasBaseline;
  if (!hasBaseline) document.querySelector('input[name="view"][value="bands"]').checked = true;
  drawFigures(s.result);
  drawCharts();
  drawMap(s.result);
  if (window.innerWidth <= 820) $("#results").scrollIntoView();  // on a phone the results are below the levers
}

function drawFigures(r) {
  const body = $("#figures tbody");
  body.replaceChildren();
  for (const f of r.figures) {
    const tr = document.createElement("tr");
    const b = f.band, base = f.baseline, d = f.difference;
    const cells = [
      f.title,
      `${fmt(b.p50, f.unit)} [${fmt(b.p05, f.unit)} – ${fmt(b.p95, f.unit)}]`,
      base ? fmt(base.p50, f.unit) : "–",
      d ? `${d.p50 > 0 ? "+" : ""}${fmt(d.p50, f.unit)} [${fmt(d.p05, f.unit)} – ${fmt(d.p95, f.unit)}]` : "–",
    ];
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.append(td);
    }
    body.append(tr);
  }
  $("#figures caption").textContent = r.dates.length ? `On the last day, ${r.dates[r.dates.length - 1]}` : "";
}

function hatch(u, color, gap, width, cross) {
  const c = document.createElement("canvas");
  c.width = c.height = gap;
  const g = c.getContext("2d");
  g.strokeStyle = color;
  g.lineWidth = width;
  g.beginPath();
  g.moveTo(0, gap); g.lineTo(gap, 0);
  g.moveTo(-1, 1); g.lineTo(1, -1);
  g.moveTo(gap - 1, gap + 1); g.lineTo(gap + 1, gap - 1);
  if (cross) { g.moveTo(0, 0); g.lineTo(gap, gap); }
  g.stroke();
  return u.ctx.createPattern(c, "repeat");
}

function chartWidth(el) {
  return Math.max(260, Math.floor(el.getBoundingClientRect().width) - 10);
}

function makeChart(fig, spec, r, view) {
  const xs = r.dates.map((d) => Date.parse(d + "T00:00:00Z") / 1000);
  const band = view === "difference" ? spec.difference : spec.band;
  const series = [{}];
  const data = [xs];
  const add = (label, values, opts) => { series.push({ label, points: { show: false }, ...opts }); data.push(values); };
  add("95%", band.p95, { stroke: "rgba(90,110,130,.6)", width: 1 });
  add("75%", band.p75, { stroke: "rgba(90,110,130,.8)", width: 1 });
  add(view === "difference" ? "median difference" : "median", band.p50, { stroke: "#1d2733", width: 2.5 });
  add("25%", band.p25, { stroke: "rgba(90,110,130,.8)", width: 1 });
  add("5%", band.p05, { stroke: "rgba(90,110,130,.6)", width: 1 });
  if (view !== "difference" && spec.baseline) add("baseline median", spec.baseline.p50, { stroke: "#8a4b08", width: 2, dash: [7, 5] });
  if (view === "difference") add("no change", xs.map(() => 0), { stroke: "#8a4b08", width: 1, dash: [3, 3] });
  if (view !== "difference" && spec.capacity) add("capacity", xs.map(() => spec.capacity), { stroke: "#8a1111", width: 2, dash: [2, 4] });
  const opts = {
    width: chartWidth(fig),
    height: 220,
    scales: { x: { time: true } },
    series,
    bands: [
      { series: [1, 5], fill: (u) => hatch(u, "#9fb0c2", 8, 1, false) },
      { series: [2, 4], fill: (u) => hatch(u, "#6b7f95", 4, 1.2, true) },
    ],
    axes: [{}, { label: view === "difference" ? `${spec.unit}, what-if − baseline` : spec.unit, size: 64 }],
    legend: { show: false },
  };
  return new uPlot(opts, data, fig);
}

function drawCharts() {
  const r = state.result;
  if (!r) return;
  const view = document.querySelector('input[name="view"]:checked').value;
  for (const c of state.charts) c.destroy();
  state.charts = [];
  const box = $("#charts");
  box.replaceChildren();
  for (const group of GROUP_ORDER) {
    const specs = r.series.filter((s) => s.group === group && (view !== "difference" || s.difference));
    if (!specs.length) continue;
    const det = document.createElement("details");
    det.id = "charts-" + group;
    det.open = group !== "states" || state.statesOpen;
    const sum = document.createElement("summary");
    sum.textContent = `${GROUP_TITLES[group]} (${specs.length})`;
    const grid = document.createElement("div");
    grid.className = "grid";
    det.append(sum, grid);
    box.append(det);
    if (group === "states") {
      det.addEventListener("toggle", () => {
        if (det.open === !!state.statesOpen) return;
        state.statesOpen = det.open;
        drawCharts();  // charts drawn while closed had no width
      });
    }
    if (!det.open) continue;
    for (const spec of specs) {
      const fig = document.createElement("figure");
      fig.dataset.series = spec.id;
      const cap = document.createElement("figcaption");
      cap.textContent = spec.title + (view === "difference" ? ": what-if − baseline" : "") + (spec.capacity && view !== "difference" ? ` (capacity ${fmt(spec.capacity)})` : "");
      fig.append(cap);
      grid.append(fig);
      state.charts.push(makeChart(fig, spec, r, view));
    }
  }
  box.dataset.drawn = String(state.charts.length);
}

// ---------------------------------------------------------------- map

async function drawMap(r) {
  const sc = state.detail;
  if (!state.map) {
    state.map = L.map("map", { zoomSnap: 0.25, preferCanvas: true, attributionControl: true });
    state.map.attributionControl.addAttribution("Outlines: Natural Earth");
  }
  if (!state.basemap) {
    const geo = await api("/api/basemap.geojson");
    state.basemap = L.geoJSON(geo, { style: { color: "#fff", weight: 1, fillColor: "#cfd8df", fillOpacity: 1 }, interactive: false }).addTo(state.map);
  }
  if (state.layers) state.layers.remove();
  state.layers = L.layerGroup().addTo(state.map);
  const where = {};
  for (const p of sc.places) where[p.name] = [p.lat, p.lon];
  const located = sc.places.filter((p) => p.lat || p.lon);
  if (located.length) state.map.fitBounds(L.latLngBounds(located.map((p) => [p.lat, p.lon])).pad(0.15));
  const slider = $("#day");
  slider.max = String(r.dates.length - 1);
  slider.value = String(r.dates.length - 1);
  slider.oninput = () => drawDay(r, where);
  drawDay(r, where);
}

function drawDay(r, where) {
  const t = parseInt($("#day").value, 10);
  $("#day-label").textContent = r.dates[t];
  state.layers.clearLayers();
  const flows = r.map.set_out_p50[t];
  const seen = new Set();
  r.map.roads.forEach((name, i) => {
    const [a, b] = name.split(" -> ");
    const key = [a, b].sort().join("|");
    const both = (flows[i] || 0) + (flows[i ^ 1] || 0);
    if (seen.has(key) || !where[a] || !where[b]) return;
    seen.add(key);
    L.polyline([where[a], where[b]], { color: "#24425f", weight: 1 + 2 * Math.log10(1 + both), opacity: both ? 0.8 : 0.25 })
      .bindTooltip(`${a} – ${b}: ${both.toLocaleString("en")} set out`)
      .addTo(state.layers);
  });
  const pops = r.map.population_p50[t];
  const places = {};
  for (const p of state.detail.places) places[p.name] = p;
  r.map.places.forEach((name, j) => {
    if (!where[name]) return;
    const n = pops[j] || 0;
    const place = places[name];
    L.circleMarker(where[name], {
      radius: 3 + Math.sqrt(n) / 8,
      color: "#1d2733",
      weight: place && place.capacity && n > place.capacity ? 3 : 1,
      dashArray: place && place.capacity && n > place.capacity ? "3 3" : null,
      fillColor: "#6b7f95",
      fillOpacity: 0.55,
    })
      .bindTooltip(`${name}: ${n.toLocaleString("en")} people${place && place.capacity ? ` (capacity ${place.capacity.toLocaleString("en")})` : ""}`)
      .addTo(state.layers);
  });
}

// ---------------------------------------------------------------- start

$("#run").addEventListener("click", run);
$("#reset").addEventListener("click", () => state.detail && drawLevers(state.detail));
for (const input of document.querySelectorAll('input[name="view"]')) input.addEventListener("change", drawCharts);
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawCharts, 200);
});
loadScenarios().catch((e) => showError(e.message));
