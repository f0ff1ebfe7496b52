import { direct } from "./direct.ts";
import { host } from "./host.ts";
import { portkey } from "./portkey.ts";
import { relay } from "./relay.ts";
import { sluice } from "./sluice.ts";
import type { TargetDefinition } from "./types.ts";
import { wordpress } from "./wordpress.ts";

/** Every target, in report order (and start order: wp and host are in front of the sluice target, so they come after it). */
export const TARGETS: TargetDefinition[] = [direct, relay, portkey, sluice, wordpress, host];
