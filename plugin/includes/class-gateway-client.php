<?php
/**
 * Signed requests to the Sluice gateway with curl: plain JSON calls here, and the
 * prepared handle that Stream_Relay drives for a streaming chat.
 *
 * WordPress's HTTP API is not used: it cannot stream, and the JSON calls share
 * the same handle setup so that both paths sign and time out alike.
 *
 * @package Sluice
 */

namespace Sluice;

use CurlHandle;
use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Gateway_Client {

	private const CONNECT_TIMEOUT_MS = 5000;

	public function __construct( private Settings $settings ) {
	}

	public function is_configured(): bool {
		return $this->settings->is_configured();
	}

	/**
	 * A signed JSON request; the gateway's answer whatever its status, or a 502
	 * sluice_unavailable WP_Error when it cannot be reached.
	 *
	 * @param string     $method  GET, POST or PUT.
	 * @param string     $path    Gateway path with its query, e.g. /v1/models.
	 * @param array|null $payload JSON body (POST, PUT); a JSON object even when empty.
	 * @param int        $timeout Seconds for the whole request.
	 * @param string     $accept  Accept header (text/csv for an export).
	 */
	public function request( string $method, string $path, ?array $payload = null, int $timeout = 30, string $accept = 'application/json' ): Gateway_Response|WP_Error {
		$body   = null === $payload ? '' : ( array() === $payload ? '{}' : self::encode( $payload ) );
		$handle = $this->prepare( $method, $path, $body, $accept );
		if ( is_wp_error( $handle ) ) {
			return $handle;
		}
		$headers = array();
		curl_setopt_array(
			$handle,
			array(
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_TIMEOUT        => $timeout,
				CURLOPT_HEADERFUNCTION => static function ( $unused_handle, string $line ) use ( &$headers ): int {
					if ( str_starts_with( $line, 'HTTP/' ) ) {
						$headers = array();
					} elseif ( str_contains( $line, ':' ) ) {
						[ $name, $value ]                   = explode( ':', $line, 2 );
						$headers[ strtolower( trim( $name ) ) ] = trim( $value );
					}
					return strlen( $line );
				},
			)
		);
		$body = curl_exec( $handle );
		if ( false === $body ) {
			return Gateway_Errors::unavailable( curl_error( $handle ) );
		}
		return new Gateway_Response( (int) curl_getinfo( $handle, CURLINFO_RESPONSE_CODE ), $headers, (string) $body );
	}

	/**
	 * A signed JSON call for the admin routes: the gateway's JSON object on a 2xx;
	 * otherwise its refusal as a WP_Error with its status and message
	 * (sluice_gateway_<code>), or 502 sluice_unavailable.
	 *
	 * @param string     $method  GET or PUT.
	 * @param string     $path    Gateway path with its query.
	 * @param array|null $payload JSON body (PUT).
	 * @param int        $timeout Seconds for the whole request.
	 * @return array<string, mixed>|WP_Error
	 */
	public function json( string $method, string $path, ?array $payload = null, int $timeout = 15 ): array|WP_Error {
		$answer = $this->request( $method, $path, $payload, $timeout );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		if ( ! $answer->ok() ) {
			return Gateway_Errors::from_gateway( $answer->status, $answer->body );
		}
		return $answer->json() ?? Gateway_Errors::unavailable( 'the gateway answered with something other than JSON' );
	}

	/**
	 * A curl handle for one signed request, with everything set but what to do
	 * with the answer (the caller adds its callbacks or CURLOPT_RETURNTRANSFER).
	 *
	 * @param string $method GET, POST or PUT.
	 * @param string $path   Gateway path with its query.
	 * @param string $body   Raw body ('' for a GET).
	 * @param string $accept Accept header.
	 */
	public function prepare( string $method, string $path, string $body, string $accept ): CurlHandle|WP_Error {
		if ( ! $this->settings->is_configured() ) {
			return Gateway_Errors::not_configured();
		}
		$base = $this->settings->gateway_url();
		// A stored URL (not wp-config.php's) may only reach public addresses: checked on every call, curl pinned to them.
		$pinned = $this->settings->from_constant( 'gateway_url' ) ? array() : Gateway_Address::pinned( $base );
		if ( is_wp_error( $pinned ) ) {
			return $pinned;
		}
		// The gateway signs the path it receives: a gateway behind a path prefix sees the prefix too.
		$signed_path = rtrim( (string) wp_parse_url( $base, PHP_URL_PATH ), '/' ) . $path;
		$signer      = new Signer( $this->settings->site_id(), (string) $this->settings->secret() );
		$method      = strtoupper( $method );

		$handle = curl_init();
		if ( false === $handle ) {
			return Gateway_Errors::unavailable( 'curl_init failed' );
		}
		$options = array(
			CURLOPT_URL               => $base . $path,
			CURLOPT_CUSTOMREQUEST     => $method,
			CURLOPT_HTTP_VERSION      => CURL_HTTP_VERSION_1_1,
			CURLOPT_PROTOCOLS         => CURLPROTO_HTTP | CURLPROTO_HTTPS,
			CURLOPT_FOLLOWLOCATION    => false,
			CURLOPT_CONNECTTIMEOUT_MS => (int) apply_filters( 'sluice_gateway_connect_timeout_ms', self::CONNECT_TIMEOUT_MS ),
			CURLOPT_NOSIGNAL          => true,
			CURLOPT_USERAGENT         => 'Sluice-WordPress/' . SLUICE_VERSION . '; ' . home_url( '/' ),
			CURLOPT_HTTPHEADER        => array_merge(
				array(
					'Accept: ' . $accept,
					// No "100 Continue" round trip before the body.
					'Expect:',
				),
				'' === $body ? array() : array( 'Content-Type: application/json' ),
				$signer->header_lines( $method, $signed_path, $body )
			),
		);
		if ( 'GET' !== $method ) {
			$options[ CURLOPT_POSTFIELDS ] = $body;
		}
		if ( array() !== $pinned ) {
			$options[ CURLOPT_RESOLVE ] = $pinned;
		}
		curl_setopt_array( $handle, $options );
		return $handle;
	}

	/** JSON exactly as it is signed and sent. */
	public static function encode( array $payload ): string {
		return (string) wp_json_encode( $payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}
}
