import { __, sprintf } from "@wordpress/i18n";

/** Who asked, in words: the Chat block (no source), a plugin or theme by its slug, WordPress. */
export function sourceLabel(source: string | null | undefined): string {
  if (!source) return __("Chat block", "sluice");
  if (source === "core") return __("WordPress", "sluice");
  const [kind, slug] = source.split(":", 2);
  if (slug && (kind === "plugin" || kind === "mu-plugin")) {
    /* translators: %s: a plugin's folder name, e.g. seo-helper */
    return sprintf(__("%s (plugin)", "sluice"), slug);
  }
  if (slug && kind === "theme") {
    /* translators: %s: a theme's folder name, e.g. twentytwentyfive */
    return sprintf(__("%s (theme)", "sluice"), slug);
  }
  return source;
}
