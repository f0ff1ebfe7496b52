import {
  ERROR_CODES,
  type ErrorCodeRow,
  RELAYED_GATEWAY_PREFIX,
} from "../../contract/error-codes.ts";

/** Where the plugin keeps the table, from the repository's root. */
export const PHP_TABLE_PATH = "plugin/includes/class-error-codes.php";

/** The PHP constant of a code: its name in capitals (`sluice_chat_off` → `SLUICE_CHAT_OFF`). */
export function phpConstantName(code: string): string {
  return code.toUpperCase();
}

function phpValue(value: string | number | boolean | null): string {
  if (value === null) return "null";
  if (typeof value === "string") return `'${value.replace(/[\\']/g, "\\$&")}'`;
  return String(value);
}

/**
 * contract/error-codes.ts as a PHP class: a constant per code, the table of
 * status, emitter and visitor flag, and a WP_Error builder that takes the
 * status from the table. Deterministic: the committed file is compared with it.
 */
export function renderErrorCodesPhp(): string {
  const rows = Object.entries(ERROR_CODES) as [string, ErrorCodeRow][];
  const nameWidth = Math.max(...rows.map(([code]) => phpConstantName(code).length));
  const keyWidth = Math.max(...rows.map(([code]) => phpValue(code).length));
  const constants = rows.map(
    ([code]) => `\tpublic const ${phpConstantName(code).padEnd(nameWidth)} = ${phpValue(code)};`,
  );
  const table = rows.map(
    ([code, row]) =>
      `\t\t${phpValue(code).padEnd(keyWidth)} => array( 'status' => ${phpValue(row.status)}, 'emitter' => ${phpValue(row.emitter)}, 'visitor_may_see_message' => ${phpValue(row.visitorMaySeeMessage)} ),`,
  );
  return `<?php
/**
 * The error codes of contract/error-codes.ts, for the plugin: a constant per
 * code and the table of each one's HTTP status (null: none of its own), who
 * emits it, and whether an anonymous visitor may read its message.
 *
 * Written by \`node --import tsx scripts/contract/write-php.ts\`: do not edit by
 * hand. test/contract/php-table.test.ts fails when it is stale.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Error_Codes {

\t/** The plugin relays a gateway refusal as sluice_gateway_<code>, with the gateway's status. */
\tpublic const GATEWAY_PREFIX = ${phpValue(RELAYED_GATEWAY_PREFIX)};

${constants.join("\n")}

\t/**
\t * Each code's status, emitter and visitor flag.
\t *
\t * @var array<string, array{status: int|null, emitter: string, visitor_may_see_message: bool}>
\t */
\tpublic const TABLE = array(
${table.join("\n")}
\t);

\t/**
\t * The HTTP status of one of the table's codes (500 for a code without one).
\t *
\t * @param string $code One of the constants above.
\t */
\tpublic static function status( string $code ): int {
\t\treturn self::TABLE[ $code ]['status'] ?? 500;
\t}

\t/**
\t * A WP_Error with the status the table gives its code.
\t *
\t * @param string               $code    One of the constants above.
\t * @param string               $message The message.
\t * @param array<string, mixed> $data    More data, after the status.
\t */
\tpublic static function wp_error( string $code, string $message, array $data = array() ): WP_Error {
\t\treturn new WP_Error( $code, $message, array( 'status' => self::status( $code ) ) + $data );
\t}
}
`;
}
