// The official `ollama` npm client against a pollama server: node compat.mjs <base url> <closed port>
// Covers what the Python client does not: version(), abort() of streams (one and all), Uint8Array images,
// the fetch-based NDJSON reader, and errors thrown from inside a stream. Prints one "ok <name>" per check.
import assert from 'node:assert/strict'
import { Ollama } from 'ollama'

const [host, closedPort] = process.argv.slice(2)
const ollama = new Ollama({ host })
const greedy = { temperature: 0, seed: 3, num_predict: 8 }
const hello = [{ role: 'user', content: 'Hello' }]

async function check(name, fn) {
  await fn()
  console.log(`ok ${name}`)
}

// a stream the client aborted must free its slot: what follows may not wait for 100000 tokens
async function within(seconds, promise) {
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${seconds}s`)), seconds * 1000)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

async function rejects(promise, status) {
  try {
    await promise
  } catch (e) {
    if (status !== undefined) assert.equal(e.status_code, status, String(e))
    assert.ok(e.message || e.error, 'an error with a message')
    return e
  }
  assert.fail('expected a rejection')
}

await check('version', async () => {
  const { version } = await ollama.version()
  assert.match(version, /^\d+\.\d+\.\d+/)
})

await check('list show ps', async () => {
  const names = (await ollama.list()).models.map((m) => m.model)
  assert.ok(names.includes('tiny:latest'), names.join(','))
  const info = await ollama.show({ model: 'tiny' })
  assert.equal(info.details.format, 'gguf')
  assert.ok(info.capabilities.includes('completion'))
  await ollama.generate({ model: 'tiny', prompt: 'x', options: { num_predict: 1 } })
  assert.ok((await ollama.ps()).models.some((m) => m.model === 'tiny:latest'))
})

await check('chat stream matches non-stream', async () => {
  const whole = await ollama.chat({ model: 'tiny', messages: hello, options: greedy })
  assert.ok(whole.done && whole.message.content)
  let text = ''
  let last
  for await (const part of await ollama.chat({ model: 'tiny', messages: hello, options: greedy, stream: true })) {
    text += part.message.content
    last = part
  }
  assert.equal(text, whole.message.content)
  assert.ok(last.done && last.eval_count === whole.eval_count)
})

await check('generate stream matches non-stream', async () => {
  const whole = await ollama.generate({ model: 'tiny', prompt: 'Once upon', options: greedy })
  let text = ''
  for await (const part of await ollama.generate({ model: 'tiny', prompt: 'Once upon', options: greedy,
    stream: true })) text += part.response
  assert.equal(text, whole.response)
})

await check('abort one stream', async () => {
  const stream = await ollama.generate({ model: 'tiny', prompt: 'Tell a long story', stream: true,
    options: { num_predict: 100000 } })
  let parts = 0
  const err = await rejects((async () => {
    for await (const _ of stream) {
      if (++parts === 3) stream.abort()
    }
  })())
  assert.equal(err.name, 'AbortError')
  assert.equal(parts, 3)
  const after = await within(30, ollama.generate({ model: 'tiny', prompt: 'Hi', options: greedy }))
  assert.ok(after.done && after.response)
})

await check('abort all streams', async () => {
  const streams = await Promise.all([0, 1].map(() => ollama.chat({ model: 'tiny', messages: hello, stream: true,
    options: { num_predict: 100000 } })))
  const runs = streams.map(async (s) => {
    let n = 0
    for await (const _ of s) if (++n === 2) ollama.abort()
  })
  for (const run of runs) assert.equal((await rejects(run)).name, 'AbortError')
  // both slots (OLLAMA_NUM_PARALLEL=2) are free again
  const after = await within(30, Promise.all([0, 1].map(() => ollama.chat({ model: 'tiny', messages: hello,
    options: greedy }))))
  assert.ok(after.every((r) => r.done))
})

await check('images as Uint8Array reach the server', async () => {
  const png = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'))
  const err = await rejects(ollama.generate({ model: 'tiny', prompt: 'What is this?', images: [png] }), 400)
  assert.match(err.message, /image|vision/i)
})

await check('embed and embeddings', async () => {
  const out = await ollama.embed({ model: 'tinybert', input: ['hello world', 'goodbye'] })
  assert.equal(out.embeddings.length, 2)
  const norm = out.embeddings[0].reduce((s, x) => s + x * x, 0)
  assert.ok(Math.abs(norm - 1) < 1e-3, String(norm))
  const legacy = await ollama.embeddings({ model: 'tinybert', prompt: 'hello world' })
  assert.equal(legacy.embedding.length, out.embeddings[0].length)
})

await check('create copy delete', async () => {
  const made = await ollama.create({ model: 'js-made', from: 'tiny', system: 'You are a JS test.' })
  assert.equal(made.status, 'success')
  const steps = []
  for await (const p of await ollama.create({ model: 'js-too', from: 'js-made', parameters: { top_k: 5 },
    stream: true })) steps.push(p.status)
  assert.equal(steps.at(-1), 'success')
  assert.match((await ollama.show({ model: 'js-too' })).modelfile, /You are a JS test\./)
  assert.equal((await ollama.copy({ source: 'js-too', destination: 'js-copy' })).status, 'success')
  for (const model of ['js-made', 'js-too', 'js-copy']) assert.equal((await ollama.delete({ model })).status, 'success')
  await rejects(ollama.show({ model: 'js-made' }), 404)
  await rejects(ollama.delete({ model: 'js-made' }), 404)
})

await check('errors keep their status', async () => {
  const err = await rejects(ollama.chat({ model: 'missing', messages: hello }), 404)
  assert.match(err.message, /not found/)
  await rejects(ollama.chat({ model: 'missing', messages: hello, stream: true }), 404)
  await rejects(ollama.embed({ model: 'tinybert', input: 'x', dimensions: -1 }), 400)
})

await check('pull and push to an unreachable registry', async () => {
  const name = `127.0.0.1:${closedPort}/library/js-nothing:latest`
  await rejects(ollama.pull({ model: name, insecure: true }))
  // a stream that already started reports the failure as an error line: the iterator throws it
  await rejects((async () => {
    for await (const _ of await ollama.pull({ model: name, insecure: true, stream: true }));
  })())
  assert.equal((await ollama.copy({ source: 'tiny', destination: name })).status, 'success')
  await rejects(ollama.push({ model: name, insecure: true }))
  await rejects((async () => {
    for await (const _ of await ollama.push({ model: name, insecure: true, stream: true }));
  })())
  assert.equal((await ollama.delete({ model: name })).status, 'success')
})

console.log('all ok')
