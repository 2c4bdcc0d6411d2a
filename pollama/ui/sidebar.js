// The conversation list: pick, rename (in place) and delete (asks twice) the conversations kept here.

import * as store from "./store.js";

function button(label, title, onClick) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  node.title = title;
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick(node);
  });
  return node;
}

function renameInPlace(item, conversation, onChange) {
  const input = document.createElement("input");
  input.value = store.titleOf(conversation);
  input.setAttribute("aria-label", "Conversation name");
  let finished = false;
  const finish = (keep) => {  // once: Enter, then the blur of the input being removed
    if (finished) return;
    finished = true;
    if (keep && input.value.trim()) store.rename(conversation.id, input.value.trim());
    onChange();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") finish(true);
    if (event.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true), { once: true });
  item.replaceChildren(input);
  input.focus();
  input.select();
}

function confirmDelete(node, conversation, onChange) {
  if (node.dataset.armed) {
    store.remove(conversation.id);
    onChange();
    return;
  }
  node.dataset.armed = "1";
  node.textContent = "Delete?";
  setTimeout(() => {
    delete node.dataset.armed;
    node.textContent = "×";
  }, 3000);
}

/** List the stored conversations in `list`; `current` is highlighted. */
export function renderSidebar(list, currentId, { onPick, onChange }) {
  list.replaceChildren(...store.loadAll().map((conversation) => {
    const item = document.createElement("li");
    item.className = conversation.id === currentId ? "current" : "";
    item.dataset.id = conversation.id;
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = store.titleOf(conversation);
    title.tabIndex = 0;
    title.addEventListener("click", () => onPick(conversation.id));
    title.addEventListener("keydown", (event) => { if (event.key === "Enter") onPick(conversation.id); });
    item.append(title,
      button("✎", "Rename", () => renameInPlace(item, conversation, onChange)),
      button("×", "Delete", (node) => confirmDelete(node, conversation, onChange)));
    return item;
  }));
}
