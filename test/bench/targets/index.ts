import { direct } from "./direct.ts";
import { portkey } from "./portkey.ts";
import { relay } from "./relay.ts";
import { sluice } from "./sluice.ts";
import type { TargetDefinition } from "./types.ts";

/** Every target, in report order. A new target (e.g. the WordPress PHP hop) goes here. */
export const TARGETS: TargetDefinition[] = [direct, relay, portkey, sluice];
