import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import php from "highlight.js/lib/languages/php";
import python from "highlight.js/lib/languages/python";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";

/**
 * Syntax highlighting of fenced code: highlight.js's core with the languages models
 * write most on a WordPress site, registered by hand (the full bundle is ten times the
 * size). A fence names its language ("```ts"); nothing is guessed, so code in another
 * language, or in none, is shown plain.
 */
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("python", python);
hljs.registerLanguage("php", php);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("json", json);
hljs.registerLanguage("xml", xml);
hljs.registerLanguage("css", css);
hljs.registerLanguage("sql", sql);
// Names models use that the languages above do not list as aliases.
hljs.registerAliases(["shell", "console", "zsh"], { languageName: "bash" });

/**
 * The language a fence's info string names ("ts", "js title=x"), as its registered name
 * ("typescript"), or `undefined` when highlight.js does not know it.
 */
export function knownLanguage(info: string): string | undefined {
  const name = info.trim().split(/\s/, 1)[0]?.toLowerCase() ?? "";
  const language = name ? hljs.getLanguage(name) : undefined;
  if (!language) return undefined;
  return hljs.listLanguages().find((registered) => hljs.getLanguage(registered) === language);
}

/**
 * The code as HTML for a language knownLanguage returned: highlight.js's spans (class
 * names only; the text escaped by highlight.js).
 */
export function highlightCode(code: string, language: string): string {
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}
