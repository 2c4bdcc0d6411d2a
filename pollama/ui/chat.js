// One streamed answer from /api/chat: the request built from the conversation and its settings, the
// answer filled in as chunks arrive, the final chunk's stats kept. Aborting `signal` (Stop) ends the
// fetch; the server cancels the generation when its client goes.

import { stream } from "./api.js";

const OPTIONS = ["temperature", "num_ctx", "seed"];

export function chatRequest(conversation, canThink) {
  const messages = conversation.messages.map(({ role, content, images }) =>
    (images?.length ? { role, content, images } : { role, content }));
  if (conversation.system) messages.unshift({ role: "system", content: conversation.system });
  const options = {};
  for (const name of OPTIONS) {
    if (typeof conversation.options?.[name] === "number") options[name] = conversation.options[name];
  }
  const body = { model: conversation.model, messages, options, stream: true };
  if (canThink) body.think = Boolean(conversation.think);
  return body;
}

/** Stream the answer to `request` (a chatRequest) into `answer` (a message object), calling `onChunk()` as
 * it grows. Resolves when the answer is complete, stopped or failed (then `answer.stopped` / `.error`). */
export async function generate(request, answer, { signal, onChunk }) {
  try {
    for await (const chunk of stream("/api/chat", request, signal)) {
      answer.content += chunk.message?.content || "";
      answer.thinking = (answer.thinking || "") + (chunk.message?.thinking || "");
      if (chunk.done) {
        const { eval_count, eval_duration, prompt_eval_count, prompt_eval_duration, total_duration } = chunk;
        answer.stats = { eval_count, eval_duration, prompt_eval_count, prompt_eval_duration, total_duration };
      }
      onChunk();
    }
  } catch (error) {
    if (error.name === "AbortError") answer.stopped = true;
    else answer.error = error.message;
  }
  if (!answer.thinking) delete answer.thinking;
}
