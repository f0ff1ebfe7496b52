<?php
/**
 * The error codes of contract/error-codes.ts, for the plugin: a constant per
 * code and the table of each one's HTTP status (null: none of its own), who
 * emits it, and whether an anonymous visitor may read its message.
 *
 * Written by `node --import tsx scripts/contract/write-php.ts`: do not edit by
 * hand. test/contract/php-table.test.ts fails when it is stale.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Error_Codes {

	/** The plugin relays a gateway refusal as sluice_gateway_<code>, with the gateway's status. */
	public const GATEWAY_PREFIX = 'sluice_gateway_';

	public const INVALID_REQUEST              = 'invalid_request';
	public const INVALID_JSON                 = 'invalid_json';
	public const INVALID_CONTENT_TYPE         = 'invalid_content_type';
	public const POLICY_TOO_LOOSE             = 'policy_too_loose';
	public const NOT_FOUND                    = 'not_found';
	public const BODY_TOO_LARGE               = 'body_too_large';
	public const UNSUPPORTED_ENCODING         = 'unsupported_encoding';
	public const SIGNATURE_MISSING            = 'signature_missing';
	public const UNKNOWN_SITE                 = 'unknown_site';
	public const TIMESTAMP_OUT_OF_WINDOW      = 'timestamp_out_of_window';
	public const INVALID_NONCE                = 'invalid_nonce';
	public const SIGNATURE_INVALID            = 'signature_invalid';
	public const NONCE_REUSED                 = 'nonce_reused';
	public const TICKET_MISSING               = 'ticket_missing';
	public const TICKET_INVALID               = 'ticket_invalid';
	public const TICKET_EXPIRED               = 'ticket_expired';
	public const TICKET_REUSED                = 'ticket_reused';
	public const TICKET_BODY_MISMATCH         = 'ticket_body_mismatch';
	public const ORIGIN_MISMATCH              = 'origin_mismatch';
	public const UNKNOWN_MODEL                = 'unknown_model';
	public const CONTEXT_LENGTH_EXCEEDED      = 'context_length_exceeded';
	public const MODEL_NOT_ALLOWED            = 'model_not_allowed';
	public const BUDGET_EXHAUSTED             = 'budget_exhausted';
	public const PROVIDER_NOT_CONFIGURED      = 'provider_not_configured';
	public const NO_ROUTE                     = 'no_route';
	public const LEDGER_UNAVAILABLE           = 'ledger_unavailable';
	public const TRANSCRIPT_NOT_FOUND         = 'transcript_not_found';
	public const PROVIDER_ERROR               = 'provider_error';
	public const PROVIDER_BAD_REQUEST         = 'provider_bad_request';
	public const PROVIDER_AUTH                = 'provider_auth';
	public const PROVIDER_RATE_LIMITED        = 'provider_rate_limited';
	public const PROVIDER_UNAVAILABLE         = 'provider_unavailable';
	public const PROVIDER_UNREACHABLE         = 'provider_unreachable';
	public const PROVIDER_STREAM_ERROR        = 'provider_stream_error';
	public const UPSTREAM_STALLED             = 'upstream_stalled';
	public const STREAM_TIMEOUT               = 'stream_timeout';
	public const INTERNAL_ERROR               = 'internal_error';
	public const GATEWAY_RESTARTED            = 'gateway_restarted';
	public const SLUICE_INVALID_REQUEST       = 'sluice_invalid_request';
	public const SLUICE_SYSTEM_MESSAGE        = 'sluice_system_message';
	public const SLUICE_CHAT_OFF              = 'sluice_chat_off';
	public const SLUICE_NOT_CHAT_BLOCK        = 'sluice_not_chat_block';
	public const SLUICE_POST_NOT_FOUND        = 'sluice_post_not_found';
	public const SLUICE_BLOCK_NOT_FOUND       = 'sluice_block_not_found';
	public const SLUICE_RATE_LIMITED          = 'sluice_rate_limited';
	public const SLUICE_UNAVAILABLE           = 'sluice_unavailable';
	public const SLUICE_NOT_CONFIGURED        = 'sluice_not_configured';
	public const SLUICE_DIRECT_OFF            = 'sluice_direct_off';
	public const SLUICE_DAILY_CAP_REACHED     = 'sluice_daily_cap_reached';
	public const SLUICE_TURNSTILE_MISSING     = 'sluice_turnstile_missing';
	public const SLUICE_TURNSTILE_INVALID     = 'sluice_turnstile_invalid';
	public const SLUICE_TURNSTILE_UNAVAILABLE = 'sluice_turnstile_unavailable';
	public const SLUICE_GATEWAY_ERROR         = 'sluice_gateway_error';
	public const GATEWAY_STREAM_CUT           = 'gateway_stream_cut';
	public const REST_INVALID_PARAM           = 'rest_invalid_param';
	public const REST_COOKIE_INVALID_NONCE    = 'rest_cookie_invalid_nonce';

	/**
	 * Each code's status, emitter and visitor flag.
	 *
	 * @var array<string, array{status: int|null, emitter: string, visitor_may_see_message: bool}>
	 */
	public const TABLE = array(
		'invalid_request'              => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'invalid_json'                 => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'invalid_content_type'         => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'policy_too_loose'             => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'not_found'                    => array( 'status' => 404, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'body_too_large'               => array( 'status' => 413, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'unsupported_encoding'         => array( 'status' => 415, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'signature_missing'            => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'unknown_site'                 => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'timestamp_out_of_window'      => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'invalid_nonce'                => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'signature_invalid'            => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'nonce_reused'                 => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ticket_missing'               => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ticket_invalid'               => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ticket_expired'               => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ticket_reused'                => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ticket_body_mismatch'         => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'origin_mismatch'              => array( 'status' => 401, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'unknown_model'                => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'context_length_exceeded'      => array( 'status' => 400, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'model_not_allowed'            => array( 'status' => 403, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'budget_exhausted'             => array( 'status' => 429, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'provider_not_configured'      => array( 'status' => 503, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'no_route'                     => array( 'status' => 503, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'ledger_unavailable'           => array( 'status' => 503, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'transcript_not_found'         => array( 'status' => 404, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'provider_error'               => array( 'status' => 502, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_bad_request'         => array( 'status' => 502, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_auth'                => array( 'status' => 502, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_rate_limited'        => array( 'status' => 429, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_unavailable'         => array( 'status' => 503, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_unreachable'         => array( 'status' => 504, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'provider_stream_error'        => array( 'status' => 502, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'upstream_stalled'             => array( 'status' => 504, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'stream_timeout'               => array( 'status' => 504, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'internal_error'               => array( 'status' => 500, 'emitter' => 'gateway', 'visitor_may_see_message' => true ),
		'gateway_restarted'            => array( 'status' => null, 'emitter' => 'gateway', 'visitor_may_see_message' => false ),
		'sluice_invalid_request'       => array( 'status' => 400, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_system_message'        => array( 'status' => 400, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_chat_off'              => array( 'status' => 403, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_not_chat_block'        => array( 'status' => 403, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_post_not_found'        => array( 'status' => 404, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_block_not_found'       => array( 'status' => 404, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_rate_limited'          => array( 'status' => 429, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_unavailable'           => array( 'status' => 502, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_not_configured'        => array( 'status' => 503, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_direct_off'            => array( 'status' => 409, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_daily_cap_reached'     => array( 'status' => 429, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_turnstile_missing'     => array( 'status' => 400, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_turnstile_invalid'     => array( 'status' => 403, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_turnstile_unavailable' => array( 'status' => 503, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'sluice_gateway_error'         => array( 'status' => null, 'emitter' => 'plugin', 'visitor_may_see_message' => false ),
		'gateway_stream_cut'           => array( 'status' => null, 'emitter' => 'plugin', 'visitor_may_see_message' => true ),
		'rest_invalid_param'           => array( 'status' => 400, 'emitter' => 'wordpress', 'visitor_may_see_message' => true ),
		'rest_cookie_invalid_nonce'    => array( 'status' => 403, 'emitter' => 'wordpress', 'visitor_may_see_message' => true ),
	);

	/**
	 * The HTTP status of one of the table's codes (500 for a code without one).
	 *
	 * @param string $code One of the constants above.
	 */
	public static function status( string $code ): int {
		return self::TABLE[ $code ]['status'] ?? 500;
	}

	/**
	 * A WP_Error with the status the table gives its code.
	 *
	 * @param string               $code    One of the constants above.
	 * @param string               $message The message.
	 * @param array<string, mixed> $data    More data, after the status.
	 */
	public static function wp_error( string $code, string $message, array $data = array() ): WP_Error {
		return new WP_Error( $code, $message, array( 'status' => self::status( $code ) ) + $data );
	}
}
