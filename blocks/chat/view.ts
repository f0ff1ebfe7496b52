/**
 * Front-end entry of the Chat block (block.json "viewScript"): starts a ChatWidget in
 * every container that render.php printed.
 */
import { __ } from "@wordpress/i18n";
import { ConfigError, parseChatConfig } from "./view/config";
import { ChatWidget } from "./view/widget";

const STARTED = "sluiceChatStarted";

function start(): void {
  for (const root of document.querySelectorAll<HTMLElement>("[data-sluice-chat]")) {
    if (root.dataset[STARTED]) continue;
    root.dataset[STARTED] = "1";
    try {
      new ChatWidget(root, parseChatConfig(root.getAttribute("data-sluice-chat")));
    } catch (error) {
      const notice = document.createElement("p");
      notice.className = "sluice-chat__error-text";
      notice.textContent = __("The chat could not start on this page.", "sluice");
      root.replaceChildren(notice);
      if (!(error instanceof ConfigError)) throw error;
      console.error(`Sluice chat: ${error.message}`);
    }
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
