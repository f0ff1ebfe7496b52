import { direct } from "./direct.ts";
import { portkey } from "./portkey.ts";
import { relay } from "./relay.ts";
import { sluice } from "./sluice.ts";
import type { TargetDefinition } from "./types.ts";
import { wordpress } from "./wordpress.ts";

/** Every target, in report order (and start order: wp relays the sluice target, so it comes after it). */
export const TARGETS: TargetDefinition[] = [direct, relay, portkey, sluice, wordpress];
