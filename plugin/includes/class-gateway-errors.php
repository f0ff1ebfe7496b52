<?php
/**
 * Turns the gateway's failures into the WP_Error shape of the contract
 * (docs/wordpress-contract.md): the gateway's status and message are kept, its
 * code becomes sluice_gateway_<code>; an unreachable gateway is a 502
 * sluice_unavailable. The public chat route words them for visitors
 * (for_visitor()): the gateway's message may name a provider's masked key, an
 * internal address, a cap's amount or the allowlist, so only administrators see it.
 * The codes and their statuses are Error_Codes' (contract/error-codes.ts).
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Gateway_Errors {

	/** The gateway could not be reached (connection refused, timeout, cut before the status line). */
	public static function unavailable( string $detail = '' ): WP_Error {
		$data = array();
		if ( '' !== $detail && current_user_can( 'manage_options' ) ) {
			// Why, for admins only: visitors see the plain sentence.
			$data['detail'] = $detail;
		}
		return Error_Codes::wp_error( Error_Codes::SLUICE_UNAVAILABLE, __( 'Chat is unavailable right now.', 'sluice' ), $data );
	}

	public static function not_configured(): WP_Error {
		return Error_Codes::wp_error(
			Error_Codes::SLUICE_NOT_CONFIGURED,
			__( 'Chat is not set up yet: the site needs its gateway URL, site id and secret.', 'sluice' )
		);
	}

	/**
	 * The gateway's error envelope {"error":{"code","message","request_id"[,"scope","resets_at"]}}
	 * as a WP_Error.
	 *
	 * @param int    $status Gateway's HTTP status.
	 * @param string $body   Gateway's body.
	 */
	public static function from_gateway( int $status, string $body ): WP_Error {
		$decoded = json_decode( $body, true );
		$error   = is_array( $decoded ) && is_array( $decoded['error'] ?? null ) ? $decoded['error'] : array();
		$code    = is_string( $error['code'] ?? null ) ? preg_replace( '/[^a-z0-9_]/', '_', strtolower( $error['code'] ) ) : '';
		$message = is_string( $error['message'] ?? null ) && '' !== $error['message']
			? $error['message']
			/* translators: %d: HTTP status code. */
			: sprintf( __( 'The chat gateway answered with HTTP %d.', 'sluice' ), $status );
		$data = array( 'status' => $status >= 400 && $status < 600 ? $status : 502 );
		if ( is_string( $error['request_id'] ?? null ) ) {
			$data['request_id'] = $error['request_id'];
		}
		// A spend cap's refusal (budget_exhausted) says which cap and when it resets:
		// the Chat block words its message with them.
		if ( is_string( $error['scope'] ?? null ) ) {
			$data['scope'] = $error['scope'];
		}
		if ( array_key_exists( 'resets_at', $error ) && ( is_string( $error['resets_at'] ) || null === $error['resets_at'] ) ) {
			$data['resets_at'] = $error['resets_at'];
		}
		return new WP_Error( '' !== $code ? Error_Codes::GATEWAY_PREFIX . $code : Error_Codes::SLUICE_GATEWAY_ERROR, $message, $data );
	}

	/**
	 * A gateway refusal as the public chat route answers it: the code, status and
	 * what the Chat block needs (request id, a cap's scope and reset time, the
	 * wait), with a fixed message per kind of refusal. The gateway's own message
	 * goes to administrators only, as `detail`.
	 *
	 * @param WP_Error $error From from_gateway().
	 */
	public static function for_visitor( WP_Error $error ): WP_Error {
		$code   = (string) $error->get_error_code();
		$data   = (array) $error->get_error_data();
		$public = array_intersect_key( $data, array_flip( array( 'status', 'request_id', 'scope', 'resets_at', 'retry_after' ) ) );
		if ( current_user_can( 'manage_options' ) ) {
			$public['detail'] = $error->get_error_message();
		}
		return new WP_Error( $code, self::visitor_message( $code, (int) ( $data['status'] ?? 502 ), $data['scope'] ?? null ), $public );
	}

	/**
	 * A fixed sentence for a refusal, from its code and status.
	 *
	 * @param string $code   sluice_gateway_<code>.
	 * @param int    $status HTTP status.
	 * @param mixed  $scope  A spend cap's scope (day, month, visitor_day, request).
	 */
	private static function visitor_message( string $code, int $status, mixed $scope ): string {
		$bare = str_starts_with( $code, Error_Codes::GATEWAY_PREFIX ) ? substr( $code, strlen( Error_Codes::GATEWAY_PREFIX ) ) : $code;
		if ( Error_Codes::BUDGET_EXHAUSTED === $bare ) {
			return match ( $scope ) {
				'day'         => __( 'This site\'s chat budget is used up for today.', 'sluice' ),
				'month'       => __( 'This site\'s chat budget is used up for this month.', 'sluice' ),
				'visitor_day' => __( 'You have used up your chat allowance for today.', 'sluice' ),
				'request'     => __( 'That question could cost more than this chat allows for one answer.', 'sluice' ),
				default       => __( 'This chat has used up its budget for now.', 'sluice' ),
			};
		}
		if ( Error_Codes::PROVIDER_RATE_LIMITED === $bare ) {
			return __( 'The AI service is busy. Please try again in a moment.', 'sluice' );
		}
		if ( 413 === $status || in_array( $bare, array( Error_Codes::CONTEXT_LENGTH_EXCEEDED, Error_Codes::BODY_TOO_LARGE ), true ) ) {
			return __( 'The conversation is too long for this chat.', 'sluice' );
		}
		if ( 429 === $status ) {
			return __( 'Too many messages. Please wait a moment and try again.', 'sluice' );
		}
		if ( 401 === $status || 403 === $status ) {
			return __( 'This chat cannot answer because of how it is set up.', 'sluice' );
		}
		if ( $status >= 400 && $status < 500 && 404 !== $status ) {
			return __( 'The chat could not accept this request.', 'sluice' );
		}
		return __( 'Chat is unavailable right now.', 'sluice' );
	}

	/**
	 * A WP_Error as a REST response that also carries headers (e.g. Retry-After),
	 * which a WP_Error alone cannot.
	 *
	 * @param WP_Error              $error   The error.
	 * @param array<string, string> $headers Extra headers.
	 */
	public static function response( WP_Error $error, array $headers = array() ): WP_REST_Response {
		$response = rest_convert_error_to_response( $error );
		foreach ( $headers as $name => $value ) {
			$response->header( $name, $value );
		}
		return $response;
	}

	/**
	 * The gateway's Retry-After, when it sent a usable one.
	 *
	 * @return array<string, string>
	 */
	public static function retry_after( ?string $value ): array {
		return null !== $value && ctype_digit( trim( $value ) ) ? array( 'Retry-After' => trim( $value ) ) : array();
	}
}
