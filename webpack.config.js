/**
 * The @wordpress/scripts build, plus the admin screen. wp-scripts finds the Chat
 * block's entries through blocks/chat/block.json; the admin screen has no block.json,
 * so its entry is added here. This file is an ES module (package.json "type": "module").
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import defaultConfig from "@wordpress/scripts/config/webpack.config.js";

const root = path.dirname(fileURLToPath(import.meta.url));
const blockEntries = defaultConfig.entry;

export default {
  ...defaultConfig,
  entry: () => ({
    ...(typeof blockEntries === "function" ? blockEntries() : blockEntries),
    "admin/index": path.join(root, "blocks/admin/index.tsx"),
  }),
};
