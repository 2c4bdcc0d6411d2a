// Conversations kept in this browser's localStorage: one JSON list, newest first.
//   {id, title, model, system, options: {temperature, num_ctx, seed}, think, updated,
//    messages: [{role, content, thinking?, images?, stats?, error?}]}

const STORE = "pollama.conversations";

export function loadAll() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function saveAll(list) {
  try {
    localStorage.setItem(STORE, JSON.stringify(list));
  } catch {  // over the quota: images are what takes the room, keep the text
    const text = list.map((c) => ({ ...c, messages: c.messages.map(({ images, ...m }) => m) }));
    localStorage.setItem(STORE, JSON.stringify(text));
  }
}

export function create(model) {
  return {
    id: Date.now().toString(36) + Math.random().toString(36).slice(2),
    title: "", model, system: "", options: {}, think: true, messages: [], updated: Date.now(),
  };
}

export function titleOf(conversation) {
  if (conversation.title) return conversation.title;
  const first = conversation.messages.find((m) => m.role === "user");
  return first ? first.content.slice(0, 60) || "Image" : "New chat";
}

/** Store `conversation` (replacing the one with its id) at the top of the list. */
export function save(conversation) {
  conversation.updated = Date.now();
  saveAll([conversation, ...loadAll().filter((c) => c.id !== conversation.id)]);
}

export function remove(id) {
  saveAll(loadAll().filter((c) => c.id !== id));
}

export function rename(id, title) {
  saveAll(loadAll().map((c) => (c.id === id ? { ...c, title } : c)));
}
