const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/**
 * Updates live nodes to match freshly rendered ones, keeping every live node whose kind
 * and tag still match: a growing paragraph keeps its element and its text node (which
 * grows with appendData), a growing code block keeps its pre and code. Only what differs
 * is written, so the block being streamed is not torn down and rebuilt each frame (a
 * selection, a screen reader's position and the layout all survive).
 */
export function morphNode(live: Node, fresh: Node): Node {
  if (live.nodeType !== fresh.nodeType || live.nodeName !== fresh.nodeName) {
    live.parentNode?.replaceChild(fresh, live);
    return fresh;
  }
  if (live.nodeType === TEXT_NODE) {
    syncText(live as Text, (fresh as Text).data);
    return live;
  }
  if (live.nodeType === ELEMENT_NODE) {
    syncAttributes(live as Element, fresh as Element);
    morphChildren(live, fresh);
  }
  return live;
}

/** Makes `live`'s children match `fresh`'s (fresh's nodes may be moved into live). */
export function morphChildren(live: Node, fresh: Node): void {
  let current = live.firstChild;
  for (const node of [...fresh.childNodes]) {
    if (current) current = morphNode(current, node).nextSibling;
    else live.appendChild(node);
  }
  while (current) {
    const next = current.nextSibling;
    live.removeChild(current);
    current = next;
  }
}

function syncText(node: Text, data: string): void {
  if (node.data === data) return;
  if (data.startsWith(node.data)) node.appendData(data.slice(node.data.length));
  else node.data = data;
}

function syncAttributes(live: Element, fresh: Element): void {
  for (const name of live.getAttributeNames()) {
    if (!fresh.hasAttribute(name)) live.removeAttribute(name);
  }
  for (const name of fresh.getAttributeNames()) {
    const value = fresh.getAttribute(name) ?? "";
    if (live.getAttribute(name) !== value) live.setAttribute(name, value);
  }
}
