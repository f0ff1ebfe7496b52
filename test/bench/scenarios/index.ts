import { c250, c1000 } from "./concurrent.ts";
import { host } from "./host.ts";
import { ledger } from "./ledger.ts";
import { php } from "./php.ts";
import { render } from "./render.ts";
import { single } from "./single.ts";
import type { Scenario } from "./types.ts";

/** Every scenario, in run order. A new one (e.g. reservation/settlement) goes here. */
export const SCENARIOS: Scenario[] = [single, php, c250, c1000, ledger, host, render];
