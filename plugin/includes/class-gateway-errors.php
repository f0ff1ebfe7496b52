<?php
/**
 * Turns the gateway's failures into the WP_Error shape of the contract
 * (docs/wordpress-contract.md): the gateway's status and message are kept, its
 * code becomes sluice_gateway_<code>; an unreachable gateway is a 502
 * sluice_unavailable.
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
		$data = array( 'status' => 502 );
		if ( '' !== $detail && current_user_can( 'manage_options' ) ) {
			// Why, for admins only: visitors see the plain sentence.
			$data['detail'] = $detail;
		}
		return new WP_Error( 'sluice_unavailable', __( 'Chat is unavailable right now.', 'sluice' ), $data );
	}

	public static function not_configured(): WP_Error {
		return new WP_Error(
			'sluice_not_configured',
			__( 'Chat is not set up yet: the site needs its gateway URL, site id and secret.', 'sluice' ),
			array( 'status' => 503 )
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
		return new WP_Error( 'sluice_gateway_' . ( '' !== $code ? $code : 'error' ), $message, $data );
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
