<?php
/**
 * GET/POST /wp-json/sluice/v1/settings — the admin screen's settings. The secret
 * and Turnstile's secret are write-only: a GET says whether one is set, never what it is. A gateway URL
 * that points at a private or local address is refused (Gateway_Address: only
 * wp-config.php may set one). Both answers carry the modes (relay or direct:
 * Direct_Mode) and `warnings` for the admin: plain http to a remote gateway, a
 * direct URL an https page cannot call, visitors who all seem to share one address.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Settings_Route {

	public function __construct(
		private Settings $settings,
		private Direct_Mode $direct,
		private Shared_Address_Check $address_check,
	) {
	}

	public function register( string $route_namespace ): void {
		Admin_Route_Pair::register( $route_namespace, '/settings', array( $this, 'read' ), array( $this, 'update' ), self::update_args() );
	}

	/** @return array<string, array<string, mixed>> */
	private static function update_args(): array {
		return array(
			'gateway_url'           => array(
				'type'              => 'string',
				'description'       => __( 'Base URL of the Sluice gateway, e.g. https://gateway.example.com (a public address: a private or local one is set with SLUICE_GATEWAY_URL in wp-config.php).', 'sluice' ),
				'validate_callback' => array( self::class, 'validate_gateway_url' ),
			),
			'site_id'               => array(
				'type'        => 'string',
				'description' => __( 'This site\'s id on the gateway.', 'sluice' ),
				'pattern'     => '^$|' . Settings::SITE_ID_PATTERN,
			),
			'secret'                => array(
				'type'              => 'string',
				'description'       => __( 'The site\'s shared secret (write-only; empty removes the stored one).', 'sluice' ),
				'validate_callback' => array( self::class, 'validate_secret' ),
			),
			'streaming_mode'        => array(
				'type' => 'string',
				'enum' => Settings::STREAMING_MODES,
			),
			'rate_limit_per_minute' => array(
				'type'    => 'integer',
				'minimum' => 0,
				'maximum' => Settings::MAX_RATE_LIMIT,
			),
			'direct_url'            => array(
				'type'              => 'string',
				'description'       => __( 'The gateway as visitors\' browsers reach it, for direct streaming: an https URL, or a path on this site such as /sluice-gateway where a proxy publishes it. Empty: relay mode.', 'sluice' ),
				'validate_callback' => array( self::class, 'validate_direct_url' ),
			),
			'turnstile_site_key'    => array(
				'type'        => 'string',
				'description' => __( 'Cloudflare Turnstile\'s site key (public; empty, or no secret: no Turnstile check).', 'sluice' ),
				'pattern'     => '^$|' . Settings::TURNSTILE_KEY_PATTERN,
			),
			'turnstile_secret'      => array(
				'type'        => 'string',
				'description' => __( 'Cloudflare Turnstile\'s secret key (write-only; empty removes the stored one).', 'sluice' ),
				'pattern'     => '^\\s*$|' . Settings::TURNSTILE_KEY_PATTERN,
			),
		);
	}

	/**
	 * @param mixed           $value   Sent value.
	 * @param WP_REST_Request $request Request.
	 * @param string          $param   Parameter name.
	 */
	public static function validate_direct_url( $value, $request, $param ): bool|WP_Error {
		$valid = rest_validate_request_arg( $value, $request, $param );
		if ( is_wp_error( $valid ) ) {
			return $valid;
		}
		if ( null === Direct_Mode::normalize_url( (string) $value ) ) {
			return Error_Codes::wp_error( Error_Codes::REST_INVALID_PARAM, __( 'The direct streaming URL must be an http:// or https:// URL without a query, or a path on this site starting with / (e.g. /sluice-gateway).', 'sluice' ) );
		}
		return true;
	}

	/**
	 * @param mixed           $value   Sent value.
	 * @param WP_REST_Request $request Request.
	 * @param string          $param   Parameter name.
	 */
	public static function validate_gateway_url( $value, $request, $param ): bool|WP_Error {
		$valid = rest_validate_request_arg( $value, $request, $param );
		if ( is_wp_error( $valid ) ) {
			return $valid;
		}
		$url = Settings::normalize_url( (string) $value );
		if ( null === $url ) {
			return Error_Codes::wp_error( Error_Codes::REST_INVALID_PARAM, __( 'The gateway URL must start with http:// or https://.', 'sluice' ) );
		}
		$refusal = '' === $url ? null : Gateway_Address::refusal( $url );
		if ( null !== $refusal ) {
			return Error_Codes::wp_error( Error_Codes::REST_INVALID_PARAM, $refusal );
		}
		return true;
	}

	/**
	 * @param mixed           $value   Sent value.
	 * @param WP_REST_Request $request Request.
	 * @param string          $param   Parameter name.
	 */
	public static function validate_secret( $value, $request, $param ): bool|WP_Error {
		$valid = rest_validate_request_arg( $value, $request, $param );
		if ( is_wp_error( $valid ) ) {
			return $valid;
		}
		$secret = trim( (string) $value );
		if ( '' !== $secret && strlen( $secret ) < Settings::MIN_SECRET_LENGTH ) {
			/* translators: %d: minimum number of characters. */
			return Error_Codes::wp_error( Error_Codes::REST_INVALID_PARAM, sprintf( __( 'The secret must be at least %d characters, as the gateway printed it.', 'sluice' ), Settings::MIN_SECRET_LENGTH ) );
		}
		return true;
	}

	public function read(): WP_REST_Response {
		$answer             = array_merge( $this->settings->to_public_array(), $this->direct->to_public_array() );
		$answer['warnings'] = array_merge(
			self::gateway_warnings( $this->settings->gateway_url(), $this->settings->from_constant( 'gateway_url' ) ),
			self::direct_warnings( $this->direct->chat_url(), Site_Origin::current() ),
			$this->address_check->warnings()
		);
		return new WP_REST_Response( $answer, 200 );
	}

	/**
	 * What the admin should know about the gateway URL in effect.
	 *
	 * @param string $url           Settings::gateway_url().
	 * @param bool   $from_constant Whether wp-config.php set it.
	 * @return array<int, array{code: string, message: string, example: string}>
	 */
	public static function gateway_warnings( string $url, bool $from_constant ): array {
		$warnings = array();
		if ( '' === $url ) {
			return $warnings;
		}
		if ( ! $from_constant && Gateway_Address::names_local_host( $url ) ) {
			$warnings[] = array(
				'code'    => 'gateway_private_address',
				'message' => __( 'The stored gateway URL points at a private or local address, which only wp-config.php may set: the chat does not call it. Add this line to wp-config.php:', 'sluice' ),
				'example' => sprintf( "define( 'SLUICE_GATEWAY_URL', '%s' );", $url ),
			);
		}
		if ( Gateway_Address::is_plain_http_to_remote( $url ) ) {
			$warnings[] = array(
				'code'    => 'gateway_plain_http',
				'message' => __( 'The gateway URL uses plain http to a host that is not on this server or a private network: visitors\' questions and the answers cross the internet unencrypted, where anyone on the way can read them (the secret itself is never sent). Use https.', 'sluice' ),
				'example' => '',
			);
		}
		return $warnings;
	}

	/**
	 * What the admin should know about the direct streaming URL.
	 *
	 * @param string $chat_url    Direct_Mode::chat_url().
	 * @param string $site_origin Site_Origin::current().
	 * @return array<int, array{code: string, message: string, example: string}>
	 */
	public static function direct_warnings( string $chat_url, string $site_origin ): array {
		if ( '' === $chat_url || ! str_starts_with( $site_origin, 'https://' ) || ! str_starts_with( $chat_url, 'http://' ) ) {
			return array();
		}
		return array(
			array(
				'code'    => 'direct_plain_http',
				'message' => __( 'The direct streaming URL uses plain http while this site\'s pages are https: browsers refuse such calls, so visitors\' chats go through WordPress (relay). Use an https URL, or a path on this site that a proxy sends to the gateway.', 'sluice' ),
				'example' => '',
			),
		);
	}

	public function update( WP_REST_Request $request ): WP_REST_Response {
		$changes = array();
		foreach ( array_keys( self::update_args() ) as $field ) {
			if ( $request->has_param( $field ) ) {
				$changes[ $field ] = $request->get_param( $field );
			}
		}
		if ( isset( $changes['gateway_url'] ) ) {
			$changes['gateway_url'] = Settings::normalize_url( (string) $changes['gateway_url'] ) ?? '';
		}
		if ( isset( $changes['direct_url'] ) ) {
			$changes['direct_url'] = Direct_Mode::normalize_url( (string) $changes['direct_url'] ) ?? '';
		}
		$this->settings->update( $changes );
		return $this->read();
	}
}
