/** Editor entry of the Chat block (block.json "editorScript"): registers it. */
import { type BlockConfiguration, registerBlockType } from "@wordpress/blocks";
import type { ChatAttributes } from "./attributes";
import metadata from "./block.json";
import Edit from "./edit";
import "./style.css";

registerBlockType<ChatAttributes>(metadata as unknown as BlockConfiguration<ChatAttributes>, {
  edit: Edit,
  // Rendered on the server by render.php.
  save: () => null,
});
