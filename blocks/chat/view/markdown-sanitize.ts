import createPurifier, { type DOMPurify, type WindowLike } from "dompurify";

/**
 * The last gate before the DOM: every HTML string markdown.ts writes goes through
 * DOMPurify with an allowlist of the elements and attributes that Markdown produces, and
 * comes out as a DocumentFragment. Anything else (script, img, iframe, style, on*
 * handlers, a URL other than http/https/mailto) is dropped here even if an earlier step
 * let it through. Links get rel="nofollow noopener noreferrer"; web links open in a new
 * tab.
 */
const ALLOWED_TAGS = [
  "p",
  "br",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "span",
  "a",
  "ul",
  "ol",
  "li",
  "blockquote",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
];
const ALLOWED_ATTR = ["href", "class", "start", "align"];
/** Attributes whose values are not URLs (DOMPurify holds any other's value to ALLOWED_URI_REGEXP). */
const NOT_URL_ATTR = ["start", "align"];
const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);
/** DOMPurify's own check of URL attributes (after it strips whitespace and controls). */
const ALLOWED_URI_REGEXP = /^(?:https?|mailto):/i;
/** Class names that markdown.ts and highlight.js write. */
const CLASS_NAME = /^(?:hljs(?:-[\w-]+)?|[a-z]+_+|language-[\w+#.-]+|sluice-chat__[\w-]+)$/;
const LINK_REL = "nofollow noopener noreferrer";

/** Whether a link may keep this href: an absolute http, https or mailto URL. */
export function isSafeHref(href: string): boolean {
  try {
    return LINK_PROTOCOLS.has(new URL(href).protocol);
  } catch {
    return false;
  }
}

const purifiers = new WeakMap<WindowLike, DOMPurify>();

function purifierFor(view: WindowLike): DOMPurify {
  const known = purifiers.get(view);
  if (known) return known;
  const purifier = createPurifier(view);
  // Without a working DOM, DOMPurify returns its input unchanged: refuse instead.
  if (!purifier.isSupported) throw new Error("Sluice: DOMPurify cannot run in this window");
  purifier.addHook("uponSanitizeAttribute", (_node, data) => {
    if (data.attrName !== "class") return;
    data.attrValue = data.attrValue
      .split(/\s+/)
      .filter((name) => CLASS_NAME.test(name))
      .join(" ");
  });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName !== "A") return;
    const href = node.getAttribute("href");
    if (href === null || !isSafeHref(href)) {
      node.removeAttribute("href");
      return;
    }
    node.setAttribute("rel", LINK_REL);
    if (/^https?:/i.test(href)) node.setAttribute("target", "_blank");
  });
  purifiers.set(view, purifier);
  return purifier;
}

/** The HTML, cleaned, as nodes ready to go into `doc`. */
export function sanitizeToFragment(doc: Document, html: string): DocumentFragment {
  const view = doc.defaultView;
  if (!view) throw new Error("Sluice: formatted text needs a document with a window");
  const fragment = purifierFor(view).sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP,
    ADD_URI_SAFE_ATTR: NOT_URL_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
  return doc.adoptNode(fragment);
}
