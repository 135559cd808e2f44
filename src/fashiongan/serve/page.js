// The page talks to the JSON/PNG API of the same server; no external scripts (it works offline).
"use strict";

const $ = (id) => document.getElementById(id);
const SCALE = 3; // small images are shown enlarged, pixels kept sharp

function showError(text) { $("error").textContent = text; }

async function fetchImage(url) {
  const response = await fetch(url);
  if (!response.ok) {
    let message = `error ${response.status}`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return { blob: await response.blob(), headers: response.headers };
}

function show(img, blob) {
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.onload = () => { img.style.width = `${img.naturalWidth * SCALE}px`; img.dataset.loaded = "1"; };
  img.dataset.loaded = "";
  img.src = URL.createObjectURL(blob);
}

function generateQuery(seed) {
  const query = new URLSearchParams({ class: $("class").value, n: $("n").value, truncation: $("truncation").value });
  if (seed !== "") query.set("seed", seed);
  return query;
}

async function generate() {
  showError("");
  try {
    const { blob, headers } = await fetchImage(`/api/generate?${generateQuery($("seed").value.trim())}`);
    const seed = headers.get("X-Seed");
    $("seed-used").textContent = seed;
    $("seed-a").value = seed;
    $("seed-b").value = String(Number(seed) + 1);
    show($("grid"), blob);
    const grid = $("download-grid");
    grid.href = $("grid").src;
    grid.hidden = false;
    const zip = $("download-zip");
    zip.href = `/api/zip?${generateQuery(seed)}`;
    zip.hidden = false;
  } catch (error) { showError(error.message); }
}

async function walk() {
  showError("");
  const query = new URLSearchParams({
    class: $("class").value, seed_a: $("seed-a").value, seed_b: $("seed-b").value,
    steps: $("steps").value, truncation: $("truncation").value,
  });
  try {
    const { blob } = await fetchImage(`/api/interpolate?${query}`);
    show($("strip"), blob);
  } catch (error) { showError(error.message); }
}

async function start() {
  const info = await (await fetch("/api/info")).json();
  const kind = info.conditional ? `${info.classes.length} classes` : "unconditional";
  $("model").textContent = `${info.image_size}×${info.image_size} px, ${info.channels} channel(s), ${kind}.`;
  for (const name of info.classes) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    $("class").append(option);
  }
  $("class").disabled = !info.conditional;
  $("n").max = info.max_n;
  $("steps").max = info.max_steps;
  $("generate").addEventListener("click", generate);
  $("random").addEventListener("click", () => { $("seed").value = ""; generate(); });
  $("walk").addEventListener("click", walk);
  document.body.dataset.ready = "1";
}

start().catch((error) => showError(`could not load the model info: ${error.message}`));
