// The server's API, same origin only. When the server answers 401 the page asks for a key once, keeps it in
// localStorage and sends it as `Authorization: Bearer` (never in a URL), then retries.

const KEY_STORE = "pollama.apiKey";

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let askForKey = async () => null;

/** `ask(wasRefused)` resolves to a key typed by the user. */
export function onKeyNeeded(ask) {
  askForKey = ask;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = localStorage.getItem(KEY_STORE);
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

async function errorOf(response) {
  const text = await response.text();
  try {
    return new APIError(response.status, JSON.parse(text).error || text);
  } catch {
    return new APIError(response.status, text || response.statusText);
  }
}

/** fetch(path) with the key; on 401 asks for a key and tries again. Throws APIError on other errors. */
export async function request(path, { body, method, signal } = {}) {
  for (let refused = false; ; refused = true) {
    const response = await fetch(path, {
      method: method || (body === undefined ? "GET" : "POST"),
      headers: headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "omit",
    });
    if (response.status !== 401) {
      if (!response.ok) throw await errorOf(response);
      return response;
    }
    const key = await askForKey(refused || Boolean(localStorage.getItem(KEY_STORE)));
    if (!key) throw await errorOf(response);
    localStorage.setItem(KEY_STORE, key);
  }
}

export async function json(path, body, method) {
  return (await request(path, { body, method })).json();
}

/** POST `body` to `path` and yield each NDJSON line as an object; an `{"error"}` line throws. */
export async function* stream(path, body, signal) {
  const response = await request(path, { body, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    for (const line of lines) if (line.trim()) yield parseLine(line);
  }
  if (buffered.trim()) yield parseLine(buffered);
}

function parseLine(line) {
  const chunk = JSON.parse(line);
  if (chunk.error) throw new APIError(500, chunk.error);
  return chunk;
}
