import { existsSync, readFileSync } from "node:fs";

/** Debian release whose `wordpress` package is recent enough (6.8 in trixie-security). */
export const wordPressSuite = "trixie";

const systemSourcesFile = "/etc/apt/sources.list.d/debian.sources";
const archiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

interface SourceStanza {
  uris: string[];
  suites: string[];
  signedBy: string | undefined;
}

const fallbackStanzas: SourceStanza[] = [
  { uris: ["http://deb.debian.org/debian"], suites: [wordPressSuite], signedBy: archiveKeyring },
  {
    uris: ["http://deb.debian.org/debian-security"],
    suites: [`${wordPressSuite}-security`],
    signedBy: archiveKeyring,
  },
];

/**
 * A private deb822 sources file for Debian trixie, derived from the system's own
 * (same mirrors and keyring, suites renamed), so that a mirror or proxy set up on
 * the machine keeps working. The system's apt configuration is never changed.
 */
export function trixieSources(systemSources = readSystemSources()): string {
  const parsed = systemSources === undefined ? [] : parseStanzas(systemSources);
  const renamed = parsed
    .map((stanza) => ({ ...stanza, suites: renameSuites(stanza.suites) }))
    .filter((stanza) => stanza.suites.length > 0 && stanza.uris.length > 0);
  const hasSecurity = renamed.some((stanza) =>
    stanza.suites.includes(`${wordPressSuite}-security`),
  );
  const hasMain = renamed.some((stanza) => stanza.suites.includes(wordPressSuite));
  const stanzas = hasMain && hasSecurity ? renamed : fallbackStanzas;
  return stanzas.map(renderStanza).join("\n");
}

function readSystemSources(): string | undefined {
  return existsSync(systemSourcesFile) ? readFileSync(systemSourcesFile, "utf8") : undefined;
}

function parseStanzas(text: string): SourceStanza[] {
  const stanzas: SourceStanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      if (line.startsWith("#") || !line.includes(":")) continue;
      const separator = line.indexOf(":");
      fields.set(line.slice(0, separator).trim().toLowerCase(), line.slice(separator + 1).trim());
    }
    const types = (fields.get("types") ?? "").split(/\s+/);
    const components = (fields.get("components") ?? "").split(/\s+/);
    if (!types.includes("deb") || !components.includes("main")) continue;
    if (fields.get("enabled")?.toLowerCase() === "no") continue;
    stanzas.push({
      uris: (fields.get("uris") ?? "").split(/\s+/).filter(Boolean),
      suites: (fields.get("suites") ?? "").split(/\s+/).filter(Boolean),
      signedBy: fields.get("signed-by"),
    });
  }
  return stanzas;
}

/** bookworm → trixie, bookworm-security → trixie-security; drops backports and the like. */
function renameSuites(suites: string[]): string[] {
  const renamed = new Set<string>();
  for (const suite of suites) {
    const match = /^[a-z]+(-security|-updates)?$/.exec(suite);
    if (match) renamed.add(`${wordPressSuite}${match[1] ?? ""}`);
  }
  return [...renamed];
}

function renderStanza(stanza: SourceStanza): string {
  const lines = [
    "Types: deb",
    `URIs: ${stanza.uris.join(" ")}`,
    `Suites: ${stanza.suites.join(" ")}`,
    "Components: main",
  ];
  // A multi-line inline key cannot be carried over on one line; use the archive keyring.
  const keyring = stanza.signedBy?.startsWith("/") ? stanza.signedBy : archiveKeyring;
  lines.push(`Signed-By: ${keyring}`);
  return `${lines.join("\n")}\n`;
}
