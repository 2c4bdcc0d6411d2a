// The Models window (what is loaded, unload, pull with progress, what is installed) and a model's details.

import { json, stream } from "./api.js";

const $ = (id) => document.getElementById(id);
const shown = new Map();  // model name -> its /api/show answer

export async function modelNames() {
  return (await json("/api/tags")).models.map((m) => m.name);
}

export async function showModel(name) {
  if (!shown.has(name)) shown.set(name, await json("/api/show", { model: name }));
  return shown.get(name);
}

function row(label, buttonLabel, onClick) {
  const item = document.createElement("li");
  const text = document.createElement("span");
  text.textContent = label;
  const action = document.createElement("button");
  action.type = "button";
  action.textContent = buttonLabel;
  action.addEventListener("click", onClick);
  item.append(text, action);
  return item;
}

function gib(bytes) {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

async function refreshLoaded() {
  const { models } = await json("/api/ps");
  $("loaded").replaceChildren(...models.map((m) => row(
    `${m.name} · ${gib(m.size)} · until ${new Date(m.expires_at).toLocaleTimeString()}`, "Unload",
    async () => {
      await json("/api/generate", { model: m.name, keep_alive: 0 });
      await refreshLoaded();
    })));
  if (!models.length) $("loaded").textContent = "No model is loaded.";
}

async function refreshInstalled() {
  const names = await modelNames();
  $("installed").replaceChildren(...names.map((name) => row(name, "Details", () => openDetails(name))));
}

export async function openModels() {
  $("models-dialog").showModal();
  await Promise.all([refreshLoaded(), refreshInstalled()]);
}

/** Pull `model`, the progress bar following the bytes of every layer; `onDone()` after success. */
async function pull(model, insecure, onDone) {
  const layers = new Map();  // digest -> [completed, total]
  const bar = $("pull-progress");
  const text = $("pull-text");
  $("pull-status").hidden = false;
  bar.value = 0;
  $("pull").disabled = true;
  try {
    for await (const chunk of stream("/api/pull", { model, insecure, stream: true })) {
      if (chunk.digest && chunk.total) layers.set(chunk.digest, [chunk.completed || 0, chunk.total]);
      const [done, total] = [...layers.values()].reduce(([d, t], [c, s]) => [d + c, t + s], [0, 0]);
      if (total) [bar.max, bar.value] = [total, done];
      text.textContent = total ? `${chunk.status} · ${Math.floor((100 * done) / total)}%` : chunk.status;
    }
    await Promise.all([refreshInstalled(), onDone()]);
  } catch (error) {
    text.textContent = `Error: ${error.message}`;
  } finally {
    $("pull").disabled = false;
  }
}

export function setUpPull(onDone) {
  $("pull-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    pull(form.model.value.trim(), form.insecure.checked, onDone);
  });
}

function contextLength(info) {
  const key = Object.keys(info || {}).find((k) => k.endsWith(".context_length"));
  return key ? String(info[key]) : "";
}

export async function openDetails(name) {
  const show = await showModel(name);
  const details = show.details || {};
  const facts = {
    family: details.family, parameters: details.parameter_size, quantization: details.quantization_level,
    format: details.format, context: contextLength(show.model_info),
    capabilities: (show.capabilities || []).join(", "),
  };
  $("show-title").textContent = name;
  $("show-details").replaceChildren(...Object.entries(facts).filter(([, v]) => v).flatMap(([k, v]) => {
    const term = document.createElement("dt");
    const value = document.createElement("dd");
    term.textContent = k;
    value.textContent = v;
    return [term, value];
  }));
  $("show-parameters").textContent = show.parameters || "(none)";
  $("show-template").textContent = show.template || "(none)";
  $("show-dialog").showModal();
}
