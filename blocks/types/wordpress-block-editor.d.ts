/**
 * @wordpress/block-editor ships no type declarations for its main entry. These are the
 * few exports the blocks use, typed as far as they are used.
 */
declare module "@wordpress/block-editor" {
  import type { ComponentType, HTMLAttributes, ReactNode } from "react";

  export function useBlockProps(
    props?: HTMLAttributes<HTMLElement> & Record<string, unknown>,
  ): HTMLAttributes<HTMLElement> & Record<string, unknown>;

  export const InspectorControls: ComponentType<{ children?: ReactNode; group?: string }>;
}
