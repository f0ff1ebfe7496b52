/**
 * Entry of Settings → Sluice (plugin/build/admin/index.js). The plugin prints
 * <div id="sluice-admin-root"> and enqueues this script with wp-components' styles.
 */
import { createRoot } from "@wordpress/element";
import { AdminApp } from "./app";
import "./admin.css";

const ROOT_ID = "sluice-admin-root";

function mount(): void {
  const root = document.getElementById(ROOT_ID);
  if (root) createRoot(root).render(<AdminApp />);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
