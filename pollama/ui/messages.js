// The conversation's messages as elements: user text shown as typed, answers as sanitized markdown with
// their reasoning collapsed and their stats underneath; regenerate / edit on the last turn.

import { renderMarkdown } from "./render.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, onClick, className) {
  const node = element("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

export function statsText(stats) {
  if (!stats) return "";
  const seconds = (stats.eval_duration || 0) / 1e9;
  const rate = seconds > 0 ? ` · ${(stats.eval_count / seconds).toFixed(1)} tokens/s` : "";
  return `${stats.eval_count ?? 0} tokens${rate} · prompt ${stats.prompt_eval_count ?? 0} tokens`;
}

/** Fill an assistant message's element from `message` (called again as it streams). */
export function updateAnswer(node, message) {
  const thinking = node.querySelector(".thinking");
  thinking.hidden = !message.thinking;
  thinking.querySelector(".thinking-text").textContent = message.thinking || "";
  renderMarkdown(node.querySelector(".content"), message.content || "");
  node.querySelector(".stats").textContent = statsText(message.stats);
  const note = node.querySelector(".note");
  note.textContent = message.error ? `Error: ${message.error}` : message.stopped ? "Stopped" : "";
  note.classList.toggle("error", Boolean(message.error));
}

function answer(message) {
  const node = element("article", "message assistant");
  const thinking = element("details", "thinking");
  thinking.append(element("summary", "", "Thinking"), element("div", "thinking-text"));
  node.append(thinking, element("div", "content"), element("div", "stats"), element("div", "note"));
  updateAnswer(node, message);
  return node;
}

const SIGNATURES = { "/9j/": "image/jpeg", R0lG: "image/gif", UklG: "image/webp" };

function imageType(base64) {
  return SIGNATURES[base64.slice(0, 4)] || "image/png";
}

function question(message) {
  const node = element("article", "message user");
  node.append(element("div", "content", message.content));
  if (message.images?.length) {
    const images = element("div", "images");
    for (const data of message.images) {
      const img = element("img");
      img.src = `data:${imageType(data)};base64,${data}`;
      img.alt = "attached image";
      images.append(img);
    }
    node.append(images);
  }
  return node;
}

/** An editor in place of the last question: `onSave(text)` sends it again. */
function editInPlace(node, message, onSave) {
  const editor = element("textarea", "editor");
  editor.value = message.content;
  const actions = element("div", "actions");
  actions.append(button("Save & send", () => onSave(editor.value)), button("Cancel", () => {
    editor.replaceWith(content);
    actions.remove();
  }));
  const content = node.querySelector(".content");
  content.replaceWith(editor);
  node.querySelector(".actions")?.remove();
  node.append(actions);
  editor.focus();
}

/** Render the whole conversation into `container`. `busy`: a generation is running (no turn actions). */
export function renderMessages(container, conversation, { busy, onRegenerate, onEdit }) {
  container.replaceChildren();
  const messages = conversation.messages;
  messages.forEach((message, i) => {
    const node = message.role === "user" ? question(message) : answer(message);
    const lastUser = message.role === "user" && !messages.slice(i + 1).some((m) => m.role === "user");
    if (!busy && lastUser) {
      const actions = element("div", "actions");
      actions.append(button("Edit", () => editInPlace(node, message, (text) => onEdit(i, text)), "edit"));
      node.append(actions);
    }
    if (!busy && message.role === "assistant" && i === messages.length - 1) {
      const actions = element("div", "actions");
      actions.append(button("Regenerate", onRegenerate, "regenerate"));
      node.append(actions);
    }
    container.append(node);
  });
  if (!messages.length) container.append(element("p", "empty", "Ask anything."));
}

/** The element of the last message in `container`. */
export function lastNode(container) {
  return container.lastElementChild;
}
