import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The plugin's classes that implement or extend the AI Client's (WordPress 7.0+) cannot even
// be loaded on WordPress 6.6–6.9: PHP stops with "Interface … not found". So no other file may
// name them, not even for a constant, except Sluice\Ai_Client, which touches them only after it
// has checked that the AI Client exists. (A 6.8 site that loaded one would fail every request.)

const includes = fileURLToPath(new URL("../../plugin/includes/", import.meta.url));

/** PHP without its comments: a class named in a comment is not loaded. */
function code(php: string): string {
  return php.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

const files = readdirSync(includes)
  .filter((name) => name.endsWith(".php"))
  .map((name) => ({ name, text: code(readFileSync(path.join(includes, name), "utf8")) }));

/** Sluice class names whose declaration implements or extends a WordPress\AiClient type. */
function aiClientBoundClasses(): string[] {
  const bound: string[] = [];
  for (const { text } of files) {
    const imported = [...text.matchAll(/^use WordPress\\AiClient\\[\w\\]*\\(\w+);$/gm)].map(
      (match) => match[1],
    );
    const declaration = /^final class (\w+)(?: extends (\w+))?(?: implements ([\w, ]+))?/m.exec(
      text,
    );
    if (!declaration?.[1]) continue;
    const parents = [declaration[2], ...(declaration[3]?.split(",") ?? [])]
      .map((name) => name?.trim())
      .filter(Boolean);
    if (parents.some((parent) => imported.includes(parent))) bound.push(declaration[1]);
  }
  return bound;
}

describe("the plugin's AI Client classes", () => {
  it("are found (the check below would pass vacuously otherwise)", () => {
    expect(aiClientBoundClasses()).toEqual(
      expect.arrayContaining(["Ai_Provider", "Ai_Model", "Ai_Model_Directory", "Ai_Availability"]),
    );
  });

  it("are named only by each other and by the Ai_Client gate", () => {
    const bound = aiClientBoundClasses();
    const boundFiles = new Set(
      bound.map((name) => `class-${name.toLowerCase().replaceAll("_", "-")}.php`),
    );
    const offenders: string[] = [];
    for (const { name, text } of files) {
      if (boundFiles.has(name) || name === "class-ai-client.php") continue;
      for (const bare of bound) {
        if (new RegExp(`\\b${bare}\\b`).test(text)) offenders.push(`${name} names ${bare}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
