// The page: wires the model picker, the composer, the conversation list and the dialogs together.

import { onKeyNeeded } from "./api.js";
import { chatRequest, generate } from "./chat.js";
import { attachImages } from "./images.js";
import { lastNode, renderMessages, updateAnswer } from "./messages.js";
import { modelNames, openDetails, openModels, setUpPull, showModel } from "./models.js";
import { renderSidebar } from "./sidebar.js";
import * as store from "./store.js";

const $ = (id) => document.getElementById(id);
let conversation = store.loadAll()[0] || store.create("");
let running = null;  // {conversation, controller} of the answer being generated
let capabilities = [];  // the picked model's
const images = attachImages($("attachments"));

function problem(error) {
  const banner = $("banner");
  banner.hidden = !error;
  banner.textContent = error ? `${error.message || error}` : "";
  if (error?.status === 401) {  // the key dialog was closed without a key: offer it again
    const retry = document.createElement("button");
    retry.type = "button";
    retry.id = "enter-key";
    retry.textContent = "Enter API key";
    retry.addEventListener("click", () => fillModelPicker().then(() => problem(null), problem));
    banner.append(" ", retry);
  }
}

function redraw() {
  const busy = Boolean(running);
  renderMessages($("messages"), conversation, { busy, onRegenerate: regenerate, onEdit: edit });
  renderSidebar($("conversations"), conversation.id, { onPick: pick, onChange: afterSidebarChange });
  $("send").hidden = busy;
  $("stop").hidden = !busy;
}

function afterSidebarChange() {
  const kept = store.loadAll().find((c) => c.id === conversation.id);
  if (kept) conversation = kept;
  else pick(null);
  redraw();
}

async function pickModel(name) {
  conversation.model = name;
  try {
    capabilities = (await showModel(name)).capabilities || [];
  } catch (error) {
    capabilities = [];
    problem(error);
  }
  $("attach").hidden = !capabilities.includes("vision");
  if ($("attach").hidden) images.clear();
  $("think-row").hidden = !capabilities.includes("thinking");
}

async function fillModelPicker() {
  const names = await modelNames();
  const picker = $("model");
  picker.replaceChildren(...names.map((name) => new Option(name, name)));
  if (!names.length) picker.append(new Option("no models: pull one under Models", ""));
  picker.value = names.includes(conversation.model) ? conversation.model : names[0] || "";
  await pickModel(picker.value);
  document.body.dataset.ready = "1";  // tests wait for this
}

function pick(id) {
  running?.controller.abort();
  conversation = store.loadAll().find((c) => c.id === id) || store.create($("model").value);
  if (conversation.model && conversation.model !== $("model").value
      && [...$("model").options].some((o) => o.value === conversation.model)) {
    $("model").value = conversation.model;
  }
  pickModel($("model").value).then(redraw);
  document.body.classList.remove("sidebar-open");
  redraw();
  $("prompt").focus();
}

async function answer() {
  const current = conversation;
  const request = chatRequest(current, capabilities.includes("thinking"));
  const message = { role: "assistant", content: "" };
  current.messages.push(message);
  running = { conversation: current, controller: new AbortController() };
  store.save(current);
  redraw();
  const node = lastNode($("messages"));
  let drawing = false;
  const onChunk = () => {
    if (drawing) return;
    drawing = true;
    requestAnimationFrame(() => {
      drawing = false;
      updateAnswer(node, message);
      node.scrollIntoView({ block: "end" });
    });
  };
  await generate(request, message, { signal: running.controller.signal, onChunk });
  running = null;
  store.save(current);
  if (current === conversation) redraw();
  lastNode($("messages"))?.scrollIntoView({ block: "end" });
}

function send() {
  const text = $("prompt").value;
  if (running || !conversation.model || (!text.trim() && !images.count())) return;
  const message = { role: "user", content: text };
  if (images.count()) message.images = images.take();
  conversation.messages.push(message);
  $("prompt").value = "";
  growPrompt();
  answer();
}

function regenerate() {
  if (conversation.messages.at(-1)?.role === "assistant") conversation.messages.pop();
  answer();
}

function edit(index, text) {
  const old = conversation.messages[index];
  conversation.messages = conversation.messages.slice(0, index);
  conversation.messages.push({ ...old, content: text });
  answer();
}

function growPrompt() {
  const prompt = $("prompt");
  prompt.style.height = "auto";
  prompt.style.height = `${Math.min(prompt.scrollHeight, 240)}px`;
}

function setUpComposer() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("prompt").addEventListener("input", growPrompt);
  $("stop").addEventListener("click", () => running?.controller.abort());
  $("attach").addEventListener("click", () => $("attach-file").click());
  $("attach-file").addEventListener("change", (event) => {
    images.add(event.target.files);
    event.target.value = "";
  });
  $("main").addEventListener("dragover", (event) => { if (!$("attach").hidden) event.preventDefault(); });
  $("main").addEventListener("drop", (event) => {
    if ($("attach").hidden) return;
    event.preventDefault();
    images.add(event.dataTransfer.files);
  });
}

function setUpSettings() {
  const dialog = $("settings-dialog");
  const form = $("settings-form");
  $("open-settings").addEventListener("click", () => {
    form.system.value = conversation.system || "";
    for (const name of ["temperature", "num_ctx", "seed"]) form[name].value = conversation.options?.[name] ?? "";
    form.think.checked = Boolean(conversation.think);
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "save") return;
    conversation.system = form.system.value;
    conversation.options = {};
    for (const name of ["temperature", "num_ctx", "seed"]) {
      if (form[name].value !== "") conversation.options[name] = Number(form[name].value);
    }
    conversation.think = form.think.checked;
    store.save(conversation);
    redraw();
  });
}

let keyAsked = null;  // one dialog for every request refused at the same time

function askForKey(refused) {
  keyAsked ||= new Promise((resolve) => {
    const dialog = $("key-dialog");
    $("key-error").hidden = !refused;
    dialog.querySelector("input").value = "";
    dialog.addEventListener("close", () => {
      keyAsked = null;
      resolve(dialog.returnValue === "ok" ? dialog.querySelector("input").value.trim() : null);
    }, { once: true });
    dialog.showModal();
  });
  return keyAsked;
}

function setUpShortcuts() {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && running) running.controller.abort();
    if (event.ctrlKey && event.shiftKey && event.key.toLowerCase() === "o") {
      event.preventDefault();
      pick(null);
    }
  });
}

function setUp() {
  onKeyNeeded(askForKey);
  setUpComposer();
  setUpSettings();
  setUpShortcuts();
  setUpPull(() => fillModelPicker().catch(problem));
  $("new-chat").addEventListener("click", () => pick(null));
  $("open-models").addEventListener("click", () => openModels().catch(problem));
  $("model-info").addEventListener("click", () => openDetails($("model").value).catch(problem));
  $("model").addEventListener("change", async () => {
    await pickModel($("model").value);
    if (conversation.messages.length) store.save(conversation);
  });
  $("toggle-sidebar").addEventListener("click", () => document.body.classList.toggle("sidebar-open"));
  redraw();
  fillModelPicker().then(() => problem(null), problem);
  $("prompt").focus();
}

setUp();
