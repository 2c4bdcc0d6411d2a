// Model output is untrusted. Markdown goes through marked, raw HTML in it is shown as text, code is
// highlighted, and the result passes DOMPurify before it reaches the page (links lose javascript: URLs).

import DOMPurify from "./vendor/dompurify/purify.es.js";
import hljs from "./vendor/highlight.js/core.min.js";
import bash from "./vendor/highlight.js/languages/bash.min.js";
import c from "./vendor/highlight.js/languages/c.min.js";
import cpp from "./vendor/highlight.js/languages/cpp.min.js";
import css from "./vendor/highlight.js/languages/css.min.js";
import diff from "./vendor/highlight.js/languages/diff.min.js";
import go from "./vendor/highlight.js/languages/go.min.js";
import java from "./vendor/highlight.js/languages/java.min.js";
import javascript from "./vendor/highlight.js/languages/javascript.min.js";
import jsonLang from "./vendor/highlight.js/languages/json.min.js";
import markdown from "./vendor/highlight.js/languages/markdown.min.js";
import python from "./vendor/highlight.js/languages/python.min.js";
import rust from "./vendor/highlight.js/languages/rust.min.js";
import shell from "./vendor/highlight.js/languages/shell.min.js";
import sql from "./vendor/highlight.js/languages/sql.min.js";
import typescript from "./vendor/highlight.js/languages/typescript.min.js";
import xml from "./vendor/highlight.js/languages/xml.min.js";
import yaml from "./vendor/highlight.js/languages/yaml.min.js";
import { Marked } from "./vendor/marked/marked.esm.js";

const LANGUAGES = {
  bash, c, cpp, css, diff, go, java, javascript, json: jsonLang, markdown, python, rust, shell, sql,
  typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

function highlighted(code, lang) {
  const language = (lang || "").split(/\s/)[0].toLowerCase();
  if (hljs.getLanguage(language)) return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return hljs.highlightAuto(code).value;
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
    code: ({ text, lang }) =>
      `<pre><code class="hljs">${highlighted(text, lang)}</code></pre>`,
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const PURIFY = {
  FORBID_TAGS: ["style", "img", "svg", "math", "form", "input", "button", "textarea", "select", "iframe"],
  FORBID_ATTR: ["style"],
};

/** Put `text` (markdown) into `element` as sanitized HTML. */
export function renderMarkdown(element, text) {
  element.innerHTML = DOMPurify.sanitize(marked.parse(text), PURIFY);
  for (const pre of element.querySelectorAll("pre")) addCopyButton(pre);
}

function addCopyButton(pre) {
  if (!navigator.clipboard) return;  // only in a secure context (localhost or https)
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(pre.querySelector("code")?.textContent ?? "");
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  pre.append(button);
}
