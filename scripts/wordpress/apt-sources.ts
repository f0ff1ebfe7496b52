import { existsSync, readFileSync } from "node:fs";

/**
 * Debian releases whose `wordpress` package is recent enough: trixie(-security) has
 * 6.8 (the php -S stack), forky 7.1.3 and sid 7.1.4 (the production stack). Which
 * revision each holds is whatever the archive serves that day: never pinned.
 */
export type CoreSuite = "trixie" | "forky" | "sid";

/** The suite the php -S stack fetches WordPress from. */
export const defaultCoreSuite: CoreSuite = "trixie";

/** The pockets beside the main suite that each release has (sid has none). */
const companionPockets: Record<CoreSuite, string[]> = {
  trixie: ["-security", "-updates"],
  forky: ["-security", "-updates"],
  sid: [],
};

const systemSourcesFile = "/etc/apt/sources.list.d/debian.sources";
const archiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

interface SourceStanza {
  uris: string[];
  suites: string[];
  signedBy: string | undefined;
}

function fallbackStanzas(suite: CoreSuite): SourceStanza[] {
  const stanzas: SourceStanza[] = [
    { uris: ["http://deb.debian.org/debian"], suites: [suite], signedBy: archiveKeyring },
  ];
  if (companionPockets[suite].includes("-security")) {
    stanzas.push({
      uris: ["http://deb.debian.org/debian-security"],
      suites: [`${suite}-security`],
      signedBy: archiveKeyring,
    });
  }
  return stanzas;
}

/**
 * A private deb822 sources file for a Debian release, derived from the system's own
 * (same mirrors and keyring, suites renamed), so that a mirror or proxy set up on
 * the machine keeps working. The system's apt configuration is never changed.
 */
export function debianSources(suite: CoreSuite, systemSources = readSystemSources()): string {
  const parsed = systemSources === undefined ? [] : parseStanzas(systemSources);
  const renamed = parsed
    .map((stanza) => ({ ...stanza, suites: renameSuites(stanza.suites, suite) }))
    .filter((stanza) => stanza.suites.length > 0 && stanza.uris.length > 0);
  const needsSecurity = companionPockets[suite].includes("-security");
  const hasSecurity = renamed.some((stanza) => stanza.suites.includes(`${suite}-security`));
  const hasMain = renamed.some((stanza) => stanza.suites.includes(suite));
  const stanzas = hasMain && (hasSecurity || !needsSecurity) ? renamed : fallbackStanzas(suite);
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

/**
 * bookworm → forky, bookworm-security → forky-security; drops backports and the
 * like, and the pockets the target release does not have (sid: all of them).
 */
function renameSuites(suites: string[], target: CoreSuite): string[] {
  const renamed = new Set<string>();
  for (const suite of suites) {
    const match = /^[a-z]+(-security|-updates)?$/.exec(suite);
    if (!match) continue;
    const pocket = match[1] ?? "";
    if (pocket === "" || companionPockets[target].includes(pocket)) {
      renamed.add(`${target}${pocket}`);
    }
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
