/**
 * Rewrites plugin/languages/sluice.pot from the sources (WP-CLI's make-pot is not
 * available offline):  node --import tsx test/plugin/write-pot.ts
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectMessages, pluginVersion, renderPot } from "./support/pot.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const target = path.join(repoRoot, "plugin", "languages", "sluice.pot");
const messages = collectMessages(repoRoot);
writeFileSync(target, renderPot(messages, pluginVersion(repoRoot)));
console.log(`Wrote ${messages.size} strings to ${path.relative(repoRoot, target)}`);
