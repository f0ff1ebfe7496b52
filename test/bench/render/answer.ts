/**
 * The answer the `render` scenario streams into the Chat block: Markdown as a model
 * writes it (headings, prose with inline marks and links, lists, a table of 40 rows,
 * a TypeScript and a PHP fence of 60 lines each), cut into 5,000 deltas of a few
 * characters. Made up for the bench, the same on every run.
 */

export const TABLE_ROWS = 40;
export const CODE_LINES = 60;

const REGIONS = ["eu-west", "us-east", "ap-south", "sa-east", "eu-north"];
const MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku", "mistral/small", "auto"];

function tableRows(): string[] {
  const rows = [
    "| # | Site | Region | Model | Questions / day | TTFC p50 | Cost / month | Notes |",
    "| ---: | --- | --- | --- | ---: | ---: | ---: | --- |",
  ];
  for (let index = 1; index <= TABLE_ROWS; index++) {
    const region = REGIONS[index % REGIONS.length] ?? "eu-west";
    const model = MODELS[index % MODELS.length] ?? "auto";
    const questions = 120 + ((index * 373) % 2400);
    const ttfc = 180 + ((index * 97) % 420);
    const cost = ((questions * 30 * (0.00021 + (index % 7) * 0.00004)) / 1).toFixed(2);
    const note =
      index % 9 === 0
        ? "**cap reached** twice"
        : index % 5 === 0
          ? "direct mode, `nginx` in front"
          : index % 4 === 0
            ? "_buffered_ host (relay)"
            : "—";
    rows.push(
      `| ${index} | shop-${index}.example | ${region} | \`${model}\` | ${questions} | ${ttfc} ms | $${cost} | ${note} |`,
    );
  }
  return rows;
}

function typescriptLines(): string[] {
  const lines = [
    'import { createHmac, randomUUID } from "node:crypto";',
    "",
    "interface SignedRequest {",
    "  url: string;",
    "  body: string;",
    "  headers: Record<string, string>;",
    "}",
    "",
    "/** Signs a chat request the way the plugin does, for a quick test from a shell. */",
    "export function signRequest(site: string, secret: string, body: object): SignedRequest {",
    "  const text = JSON.stringify(body);",
    "  const timestamp = Math.floor(Date.now() / 1000).toString();",
    "  const nonce = randomUUID();",
    '  const mac = createHmac("sha256", secret)',
    '    .update([timestamp, nonce, text].join("\\n"))',
    '    .digest("hex");',
    "  return {",
    '    url: "https://gateway.example/v1/chat",',
    "    body: text,",
    "    headers: {",
    '      "Content-Type": "application/json",',
    '      "X-Sluice-Site": site,',
    '      "X-Sluice-Timestamp": timestamp,',
    '      "X-Sluice-Nonce": nonce,',
    '      "X-Sluice-Signature": mac,',
    "    },",
    "  };",
    "}",
    "",
  ];
  let step = 0;
  while (lines.length < CODE_LINES - 12) {
    step++;
    lines.push(
      `const limit${step} = { day: ${step * 5}, month: ${step * 120}, model: "${MODELS[step % MODELS.length]}" }; // tier ${step}`,
    );
  }
  lines.push(
    "",
    "async function main(): Promise<void> {",
    '  const request = signRequest("shop", process.env.SECRET ?? "", { messages: [] });',
    '  const response = await fetch(request.url, { method: "POST", ...request });',
    "  for await (const chunk of response.body ?? []) {",
    "    process.stdout.write(chunk);",
    "  }",
    '  if (!response.ok) throw new Error("HTTP " + response.status);',
    "}",
    "",
    "main().catch((error) => console.error(error));",
    "// end",
  );
  return lines.slice(0, CODE_LINES);
}

function phpLines(): string[] {
  const lines = [
    "<?php",
    "/**",
    " * Counts today's questions per block, for the report on the settings screen.",
    " */",
    "function sluice_example_daily_counts( int $days = 7 ): array {",
    "\tglobal $wpdb;",
    "\t$table  = $wpdb->prefix . 'sluice_example_questions';",
    "\t$since  = gmdate( 'Y-m-d', time() - $days * DAY_IN_SECONDS );",
    "\t$rows   = $wpdb->get_results(",
    "\t\t$wpdb->prepare(",
    '\t\t\t"SELECT block_id, day, COUNT(*) AS total FROM {$table} WHERE day >= %s GROUP BY block_id, day",',
    "\t\t\t$since",
    "\t\t),",
    "\t\tARRAY_A",
    "\t);",
    "\t$counts = array();",
    "\tforeach ( $rows as $row ) {",
    "\t\t$counts[ $row['block_id'] ][ $row['day'] ] = (int) $row['total'];",
    "\t}",
    "\treturn $counts;",
    "}",
    "",
  ];
  let step = 0;
  while (lines.length < CODE_LINES - 10) {
    step++;
    lines.push(
      `add_filter( 'sluice_example_limit_${step}', fn( $limit ) => max( ${step}, (int) $limit * ${(step % 3) + 1} ) ); // step ${step}`,
    );
  }
  lines.push(
    "",
    "add_action( 'rest_api_init', function () {",
    "\tregister_rest_route( 'sluice-example/v1', '/counts', array(",
    "\t\t'methods'             => 'GET',",
    "\t\t'callback'            => fn() => rest_ensure_response( sluice_example_daily_counts() ),",
    "\t\t'permission_callback' => fn() => current_user_can( 'manage_options' ),",
    "\t) );",
    "} );",
    "// end",
    "",
  );
  return lines.slice(0, CODE_LINES);
}

const PROSE = [
  "Short version: the **direct** mode is the one to pick for a busy shop, and the relay is fine for a blog. Below is what each of your sites did last month, then the code to check it yourself.",
  "Both modes send the same answer, word for word. What differs is who holds the connection while the model writes: in relay mode a PHP worker of your site waits for the whole answer, in direct mode the visitor's browser talks to the gateway and PHP only signs a short-lived ticket. On a host with five workers, five long answers at once are enough to make the home page wait.",
  "A few things to keep in mind before you switch:",
];

const LIST = [
  "- The gateway must be reachable from the visitor's browser, on the site's own origin (a `location` in nginx) or its own subdomain with CORS.",
  "- Caching plugins must not cache `/wp-json/sluice/v1/ticket`; most skip REST routes already, but *check yours*.",
  "- A ticket lives 60 seconds and is good for one answer, so a page left open overnight simply asks for a new one.",
  "- Turnstile, when it is on, is checked once per ticket, before anything reaches the model.",
  "- Budgets and caps are enforced by the gateway in both modes: switching does not change what a question may cost.",
  "- Logs keep the same fields; the `mode` column tells which path an answer took. See [the deployment notes](https://example.com/docs/deploy?from=chat&section=direct).",
];

const AFTER_TABLE = [
  "The sites marked _buffered_ are behind a host that holds the whole response until it ends, so their visitors saw the answer appear at once after a long wait; the block notices that and asks for buffered answers from then on. Direct mode fixes it for them, because the stream no longer goes through the host's PHP.",
  "To reproduce the figures, sign a request the way the plugin does and read the stream from a shell. This is enough for a test from your laptop:",
];

const BETWEEN_CODE = [
  "Run it with `node --import tsx sign.ts` and you should see `usage_start`, a few hundred `content` events and `usage_final` with the cost. If the first event takes more than a second, the model is slow, not the gateway: the `ttfc_ms` field says how long the gateway waited for it.",
  "On the WordPress side, the counts come from a small table the plugin fills as questions arrive. A report like the one above can be read with a query of this shape (the table name is made up here; use the one your install has):",
];

const CLOSING = [
  "### What I would do",
  "1. Turn on direct mode on the three busiest shops first (rows 5, 10 and 35), and watch the home page's response time for a day.",
  "2. Leave the blogs on relay: they get a few questions a day and their hosts have workers to spare.",
  "3. Raise the cap on the sites that reached it twice, or switch them to `auto` so that a cheaper model answers when the budget runs low.",
  "4. Check the two hosts that buffer again next week; one of them may have fixed its proxy.",
  "",
  "If any of this does not match what your dashboard shows, tell me which row and I will go through its log with you. The numbers above are monthly totals, so a single busy day can move a row a lot; the **median** latency is the steadier figure to compare.",
  "One last note on cost: the monthly figure includes the questions that were answered from the cache, which cost nothing at the model but still count as questions. That is why two sites with the same number of questions can show different costs. The ~~old~~ current price table is applied at the time of each answer, so a price change in the middle of the month shows up as a step in the daily chart rather than a change of the whole month.",
];

/** The whole answer, as the model would finish writing it. */
export function answerMarkdown(): string {
  return [
    "## Relay or direct mode for your sites",
    "",
    PROSE[0],
    "",
    PROSE[1],
    "",
    PROSE[2],
    "",
    ...LIST,
    "",
    "Here is last month, per site (questions per day are the daily mean):",
    "",
    ...tableRows(),
    "",
    AFTER_TABLE[0],
    "",
    AFTER_TABLE[1],
    "",
    "```ts",
    ...typescriptLines(),
    "```",
    "",
    BETWEEN_CODE[0],
    "",
    BETWEEN_CODE[1],
    "",
    "```php",
    ...phpLines(),
    "```",
    "",
    ...CLOSING,
  ].join("\n");
}

/**
 * The text cut into `count` deltas of nearly equal length (a few characters each), as
 * they come: through words, marks, table pipes and fences alike. They add up to the text.
 */
export function splitDeltas(text: string, count: number): string[] {
  const characters = [...text];
  if (characters.length < count) throw new Error("the answer is shorter than its deltas");
  const deltas: string[] = [];
  for (let index = 0; index < count; index++) {
    const from = Math.floor((index * characters.length) / count);
    const to = Math.floor(((index + 1) * characters.length) / count);
    deltas.push(characters.slice(from, to).join(""));
  }
  return deltas;
}
